"""
Inspection for tests: filters, the long-poll, captured items and fault injection.
"""

import json

import pytest_twisted
from twisted.internet.defer import ensureDeferred

AUTH = {"X-Sentry-Auth": "Sentry sentry_key=parlel, sentry_version=7"}


def envelope(payload, item_type="event", extra=b""):
    body = json.dumps(payload).encode()
    return (b"{}\n" + json.dumps({"type": item_type, "length": len(body)}).encode() + b"\n"
            + body + b"\n" + extra)


async def send(api, payload, project=1, item_type="event"):
    return await api.request("POST", f"/api/{project}/envelope/", body=envelope(payload, item_type),
                             headers=AUTH, token=None)


@pytest_twisted.ensureDeferred
async def test_event_filters(api, clock):
    await send(api, {"message": "alpha", "level": "warning", "release": "1.0",
                     "environment": "prod"})
    clock.advance(10)
    await send(api, {"message": "beta", "level": "error", "release": "2.0"}, project=3)
    await send(api, {"type": "transaction", "transaction": "GET /", "spans": []},
               item_type="transaction")

    async def ids(query):
        answer = await api.request("GET", "/__parlel/events?" + query, token=None)
        assert answer.code == 200, answer
        return [event.get("message") or event["title"] for event in answer.json()["events"]]

    assert await ids("") == ["alpha", "beta", "GET /"]
    assert await ids("project=3") == ["beta"]
    assert await ids("type=transaction") == ["GET /"]
    assert await ids("level=warning") == ["alpha"]
    assert await ids("release=2.0") == ["beta"]
    assert await ids("environment=prod") == ["alpha"]
    assert await ids("text=ALP") == ["alpha"]
    assert await ids(f"since={clock.seconds()}") == ["beta", "GET /"]
    assert await ids("issue=1") == ["alpha"]
    bad = await api.request("GET", "/__parlel/events?since=yesterday", token=None)
    assert bad.code == 400 and "since" in bad.json()["detail"]


@pytest_twisted.ensureDeferred
async def test_long_poll_answers_as_soon_as_enough_arrive(api, client, clock):
    waiting = ensureDeferred(api.request("GET", "/__parlel/events?wait=5&min=2&level=error",
                                         token=None))
    await send(api, {"message": "one", "level": "error"})
    await send(api, {"message": "noise", "level": "info"})
    assert not waiting.called
    await send(api, {"message": "two", "level": "error"})
    clock.advance(0)
    client.flush()
    answer = await waiting
    assert [e["message"] for e in answer.json()["events"]] == ["one", "two"]
    assert clock.seconds() < 1_795_000_005


@pytest_twisted.ensureDeferred
async def test_long_poll_gives_up_after_wait(api, client, clock):
    waiting = ensureDeferred(api.request("GET", "/__parlel/items?type=session&wait=2&min=1",
                                         token=None))
    clock.advance(1.9)
    client.flush()
    assert not waiting.called
    clock.advance(0.2)
    client.flush()
    answer = await waiting
    assert answer.code == 200 and answer.json() == {"items": [], "count": 0}
    immediate = await api.request("GET", "/__parlel/events?wait=0", token=None)
    assert immediate.json()["count"] == 0
    bad = await api.request("GET", "/__parlel/events?wait=600", token=None)
    assert bad.code == 400


@pytest_twisted.ensureDeferred
async def test_item_filters(api):
    await send(api, {"sid": "s1", "status": "ok"}, item_type="session")
    await send(api, {"message": "m"}, project=2)
    items = (await api.request("GET", "/__parlel/items?type=session", token=None)).json()
    assert [i["payload"]["sid"] for i in items["items"]] == ["s1"]
    by_project = (await api.request("GET", "/__parlel/items?project=2", token=None)).json()
    assert [i["type"] for i in by_project["items"]] == ["event"]
    event_id = by_project["items"][0]["event_id"]
    by_event = (await api.request("GET", f"/__parlel/items?event_id={event_id}", token=None)).json()
    assert by_event["count"] == 1


@pytest_twisted.ensureDeferred
async def test_rate_limit_faults(api, store):
    plan = await api.request("POST", "/__parlel/faults", token=None,
                             json_body={"status": 429, "count": 2, "retry_after": 30,
                                        "rate_limits": "30:error;transaction:key"})
    assert plan.code == 201 and plan.json()["fault"]["remaining"] == 2
    for _ in range(2):
        answer = await send(api, {"message": "dropped"})
        assert answer.code == 429
        assert answer.header("retry-after") == "30"
        assert answer.header("x-sentry-rate-limits") == "30:error;transaction:key"
        assert "quota" in answer.json()["detail"]
    assert len(store.events()) == 0
    assert (await send(api, {"message": "kept"})).code == 200
    assert [e.message for e in store.events()] == ["kept"]
    assert (await api.request("GET", "/__parlel/faults", token=None)).json() == {"fault": None}
    manage = await api.request("GET", "/api/0/organizations/")
    assert manage.code == 200


@pytest_twisted.ensureDeferred
async def test_server_error_faults_and_clearing(api, store):
    await api.request("POST", "/__parlel/faults", token=None, json_body={"status": 503})
    for _ in range(3):
        answer = await send(api, {"message": "x"})
        assert (answer.code, answer.json()) == (503, {"detail": "the service is overloaded"})
    state = (await api.request("GET", "/__parlel/faults", token=None)).json()
    assert state["fault"]["applied"] == 3 and state["fault"]["remaining"] is None
    assert (await api.request("DELETE", "/__parlel/faults", token=None)).code == 200
    assert (await send(api, {"message": "x"})).code == 200
    await api.request("POST", "/__parlel/faults", token=None, json_body={"status": 500})
    await api.request("POST", "/__parlel/reset", token=None)
    assert (await send(api, {"message": "y"})).code == 200


@pytest_twisted.ensureDeferred
async def test_delay_faults(api, client, clock, store):
    await api.request("POST", "/__parlel/faults", token=None, json_body={"delay": 2, "count": 1})
    pending = ensureDeferred(send(api, {"message": "slow"}))
    client.flush()
    assert not pending.called and len(store.events()) == 0
    clock.advance(2)
    client.flush()
    answer = await pending
    assert answer.code == 200 and [e.message for e in store.events()] == ["slow"]


@pytest_twisted.ensureDeferred
async def test_bad_fault_plans(api):
    for body in ({"status": 404}, {}, {"status": 429, "ratio": 2}, {"delay": -1}, [1]):
        answer = await api.request("POST", "/__parlel/faults", token=None, json_body=body)
        assert answer.code == 400, body


@pytest_twisted.ensureDeferred
async def test_page_for_people(api):
    await send(api, {"message": "<script>alert(1)</script>"})
    answer = await api.request("GET", "/", token=None, headers={"Accept": "text/html"})
    assert answer.code == 200 and answer.header("content-type").startswith("text/html")
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in answer.content
    assert b"<script>alert" not in answer.content


@pytest_twisted.ensureDeferred
async def test_waiting_long_polls_are_answered_when_the_server_stops(root, api, client):
    waiting = ensureDeferred(api.request("GET", "/__parlel/events?wait=30&min=5", token=None))
    await send(api, {"message": "only one"})
    assert not waiting.called
    root.inspection.finish_waiting()
    client.flush()
    answer = await waiting
    assert [e["message"] for e in answer.json()["events"]] == ["only one"]
