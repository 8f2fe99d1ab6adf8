"""
The inspection surface: metadata, health, reset and what was captured.
"""


import pytest_twisted

AUTH = {"X-Sentry-Auth": "Sentry sentry_key=parlel, sentry_version=7"}
ENVELOPE = (b'{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc"}\n{"type":"event"}\n{"message":"hi"}\n'
            b'{"type":"attachment","filename":"a.bin","length":3}\n\xff\x00\xfe\n'
            b'{"type":"session"}\n{"sid":"s1","status":"ok"}\n')


async def send(api, project=1):
    answer = await api.request("POST", f"/api/{project}/envelope/", body=ENVELOPE, headers=AUTH,
                               token=None)
    assert answer.code == 200, answer


@pytest_twisted.ensureDeferred
async def test_metadata_and_health(api):
    health = await api.request("GET", "/health", token=None)
    assert (health.code, health.json()) == (200, {"status": "ok"})
    meta = (await api.request("GET", "/", token=None)).json()
    assert meta["service"] == "sentry" and meta["dsn"] == "http://parlel@localhost/1"
    assert (meta["organization"], meta["project"], meta["events"]) == ("parlel", "parlel", 0)


@pytest_twisted.ensureDeferred
async def test_events_items_and_reset(api, store):
    await send(api)
    await send(api, project=5)
    events = (await api.request("GET", "/__parlel/events", token=None)).json()
    assert events["count"] == 1  # the same event id twice is stored once
    (event,) = events["events"]
    assert (event["event_id"], event["message"], event["project"], event["type"]) == \
        ("9ec79c33ec9942ab8353589fcb2e04dc", "hi", 1, "default")
    assert event["issue_id"] == 1 and event["tags"] == [["level", "error"]]
    one = await api.request("GET", "/__parlel/events/9ec79c33-ec99-42ab-8353-589fcb2e04dc", token=None)
    assert one.json()["event_id"] == event["event_id"]
    missing = await api.request("GET", "/__parlel/events/" + "0" * 32, token=None)
    assert missing.code == 404
    by_project = (await api.request("GET", "/__parlel/events?project=5", token=None)).json()
    assert by_project["count"] == 0
    items = (await api.request("GET", "/__parlel/items", token=None)).json()
    assert [item["type"] for item in items["items"]] == ["event", "attachment", "session"] * 2
    attachment = items["items"][1]
    assert (attachment["payload_encoding"], attachment["payload"]) == ("base64", "/wD+")
    assert attachment["headers"]["filename"] == "a.bin"
    session = (await api.request("GET", "/__parlel/items?type=session", token=None)).json()
    assert session["count"] == 2 and session["items"][0]["payload"] == {"sid": "s1", "status": "ok"}
    reset = await api.request("POST", "/__parlel/reset", token=None)
    assert reset.code == 200
    after = (await api.request("GET", "/__parlel/events", token=None)).json()
    assert after == {"events": [], "count": 0, "evicted": 0}
    assert [p.slug for p in store.directory.projects_of()] == ["parlel"]
    assert store.directory.key("parlel") is not None


@pytest_twisted.ensureDeferred
async def test_wrong_method(api):
    answer = await api.request("GET", "/__parlel/reset", token=None)
    assert answer.code == 405 and answer.header("content-type") == "application/json"
