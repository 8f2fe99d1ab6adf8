"""
Check-ins arriving over HTTP: the cron endpoint (query string or JSON body) and envelope
C{check_in} items; each creates or updates a monitor and is kept as a captured item.
"""

import json

import pytest
import pytest_twisted
from records import reset

GUID = "a460c25f-f255-4577-b920-fcfacae4e5eb"
AUTH = {"X-Sentry-Auth": "Sentry sentry_key=parlel, sentry_version=7"}


async def cron(api, method, path, body=None, headers=None):
    return await api.request(method, path, body=body, headers=headers or {}, token=None)


async def check_ins(api, slug):
    answer = await api.request("GET", f"/api/0/organizations/parlel/monitors/{slug}/checkins/")
    assert answer.code == 200, answer
    return answer.json()


@pytest_twisted.ensureDeferred
async def test_get_with_query_opens_and_closes_a_check_in(api, store, clock):
    answer = await cron(api, "GET", f"/api/1/cron/nightly/parlel/?status=in_progress"
                                    f"&check_in_id={GUID}&environment=staging")
    assert (answer.code, answer.content) == (202, b"")
    assert answer.header("access-control-allow-origin") == "*"
    [opened] = await check_ins(api, "nightly")
    assert (opened["id"], opened["status"], opened["environment"]) == (GUID, "in_progress",
                                                                        "staging")
    assert opened["duration"] is None and opened["dateInProgress"] == opened["dateAdded"]

    clock.advance(42)
    answer = await cron(api, "GET", f"/api/1/cron/nightly/parlel?status=ok&check_in_id={GUID}"
                                    "&environment=staging")
    assert answer.code == 202
    [closed] = await check_ins(api, "nightly")
    assert (closed["id"], closed["status"], closed["duration"]) == (GUID, "ok", 42000)
    assert closed["dateUpdated"] > closed["dateAdded"]
    monitor = (await api.request("GET", "/api/0/organizations/parlel/monitors/nightly/")).json()
    [env] = monitor["environments"]
    assert (env["name"], env["status"]) == ("staging", "ok")

    items = [item for item in store.items("check_in")]
    assert [json.loads(item.payload)["status"] for item in items] == ["in_progress", "ok"]
    assert json.loads(items[0].payload)["monitor_slug"] == "nightly"


@pytest_twisted.ensureDeferred
async def test_post_json_body_with_config_and_the_path_slug_wins(api, store):
    body = json.dumps({"monitor_slug": "ignored", "status": "error", "duration": 1.5,
                       "monitor_config": {"schedule": {"type": "crontab", "value": "0 * * * *"},
                                          "checkin_margin": 5, "max_runtime": 10}}).encode()
    answer = await cron(api, "POST", "/api/1/cron/hourly-sync/parlel/", body,
                        {"Content-Type": "application/json; charset=utf-8"})
    assert (answer.code, answer.content) == (202, b"")
    monitors = (await api.request("GET", "/api/0/organizations/parlel/monitors/")).json()
    assert [m["slug"] for m in monitors] == ["hourly-sync"]
    assert monitors[0]["config"]["schedule"] == "0 * * * *"
    assert monitors[0]["config"]["schedule_type"] == "crontab"
    [check_in] = await check_ins(api, "hourly-sync")
    assert (check_in["status"], check_in["duration"]) == ("error", 1500)
    assert check_in["monitorConfig"]["checkin_margin"] == 5
    assert monitors[0]["environments"][0]["status"] == "error"


@pytest_twisted.ensureDeferred
async def test_key_in_a_header_or_the_query_string(api, store):
    answer = await cron(api, "POST", "/api/1/cron/by-header/?status=ok", b"", AUTH)
    assert answer.code == 202, answer
    answer = await cron(api, "GET", "/api/1/cron/by-query?status=ok&sentry_key=parlel")
    assert answer.code == 202, answer
    slugs = [m.slug for m in store.monitors.of_organization(1)]
    assert slugs == ["by-header", "by-query"]


@pytest.mark.parametrize("path, body, headers, code", [
    ("/api/1/cron/job/parlel/", None, {}, 400),
    ("/api/1/cron/job/parlel/?status=sleeping", None, {}, 400),
    ("/api/1/cron/job/parlel/?status=ok&check_in_id=nope", None, {}, 400),
    ("/api/1/cron/job/parlel/?status=ok&duration=long", None, {}, 400),
    ("/api/1/cron/job/parlel/", b"{not json", {"Content-Type": "application/json"}, 400),
    ("/api/1/cron/job/parlel/", b'{"status":"later"}', {"Content-Type": "application/json"}, 400),
    ("/api/1/cron/job/parlel/", b"[1]", {"Content-Type": "application/json"}, 400),
])
@pytest_twisted.ensureDeferred
async def test_refusals(api, store, path, body, headers, code):
    answer = await cron(api, "POST" if body else "GET", path, body, headers)
    assert answer.code == code, answer
    assert "detail" in answer.json()
    assert len(store.monitors) == 0 and list(store.items("check_in")) == []


@pytest_twisted.ensureDeferred
async def test_preflight(api):
    answer = await cron(api, "OPTIONS", "/api/1/cron/job/parlel/")
    assert answer.code == 200
    assert "POST" in answer.header("access-control-allow-methods")


def envelope(*payloads, event=None):
    lines = [b'{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc"}' if event else b"{}"]
    if event:
        lines += [b'{"type":"event"}', json.dumps(event).encode()]
    for payload in payloads:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        lines += [json.dumps({"type": "check_in", "length": len(body)}).encode(), body]
    return b"\n".join(lines) + b"\n"


@pytest_twisted.ensureDeferred
async def test_envelope_check_ins_create_and_update_monitors(api, store, clock):
    opening = {"check_in_id": GUID.replace("-", ""), "monitor_slug": "backup",
               "status": "in_progress", "environment": "production",
               "monitor_config": {"schedule": {"type": "interval", "value": 1, "unit": "day"}}}
    answer = await api.request("POST", "/api/1/envelope/", body=envelope(opening), headers=AUTH,
                               token=None)
    assert (answer.code, answer.json()) == (200, {})
    clock.advance(5)
    closing = dict(opening, status="ok", duration=4.25)
    del closing["monitor_config"]
    answer = await api.request("POST", "/api/1/envelope/",
                               body=envelope(closing, event={"message": "with an event"}),
                               headers=AUTH, token=None)
    assert answer.code == 200
    [check_in] = await check_ins(api, "backup")
    assert (check_in["id"], check_in["status"], check_in["duration"]) == (GUID, "ok", 4250)
    assert check_in["monitorConfig"]["schedule"] == [1, "day"]
    monitor = (await api.request("GET", "/api/0/organizations/parlel/monitors/backup/")).json()
    assert monitor["environments"][0]["nextCheckIn"] is not None
    assert len(list(store.items("check_in"))) == 2
    assert [event.title for event in store.events()] == ["with an event"]


@pytest.mark.parametrize("payload", [b"{oops", b'["x"]', b"42"])
@pytest_twisted.ensureDeferred
async def test_a_check_in_item_that_is_not_an_object_refuses_the_envelope(api, store, payload):
    body = envelope(payload, event={"message": "not stored"})
    answer = await api.request("POST", "/api/1/envelope/", body=body, headers=AUTH, token=None)
    assert answer.code == 400, answer
    assert answer.json()["detail"] == "invalid check-in"
    assert list(store.events()) == [] and list(store.items()) == [] and len(store.monitors) == 0


@pytest.mark.parametrize("payload", [{"monitor_slug": "x", "status": "late"}, {"status": "ok"},
                                     {"monitor_slug": "x", "status": "ok", "check_in_id": "no"}])
@pytest_twisted.ensureDeferred
async def test_an_object_that_is_not_a_check_in_is_kept_but_files_nothing(api, store, payload):
    body = envelope(payload)
    answer = await api.request("POST", "/api/1/envelope/", body=body, headers=AUTH, token=None)
    assert answer.code == 200, answer
    assert [json.loads(item.payload) for item in store.items("check_in")] == [payload]
    assert len(store.monitors) == 0


@pytest_twisted.ensureDeferred
async def test_reset_forgets_monitors(api, store):
    await cron(api, "GET", "/api/1/cron/job/parlel/?status=ok")
    assert len(store.monitors) == 1
    reset(store)
    assert len(store.monitors) == 0
