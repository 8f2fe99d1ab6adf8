"""
Input that once made the server stall or fail after accepting it: each now gets a clear
answer, and whatever was accepted stays readable.
"""

import json

import pytest
import pytest_twisted

AUTH = {"X-Sentry-Auth": "Sentry sentry_key=parlel, sentry_version=7"}


async def send(api, payload):
    answer = await api.request("POST", "/api/1/store/", body=json.dumps(payload).encode(),
                               headers=AUTH, token=None)
    assert answer.code == 200, answer
    return answer.json()["id"]


@pytest.mark.parametrize("timestamp", [1e308, 10**30, "nan", "inf", -5, "9999999999999"])
@pytest_twisted.ensureDeferred
async def test_impossible_timestamps_become_the_receive_time(api, store, timestamp):
    event_id = await send(api, {"message": "when?", "timestamp": timestamp})
    assert store.event(event_id).timestamp == store.event(event_id).received
    detail = await api.request("GET", f"/api/0/projects/parlel/parlel/events/{event_id}/")
    assert detail.code == 200, detail


@pytest_twisted.ensureDeferred
async def test_odd_threads_and_spans_still_read_back(api):
    first = await send(api, {"message": "threads", "threads": {"values": [
        {"crashed": True, "stacktrace": {"frames": 7}}]}})
    second = await send(api, {"type": "transaction", "transaction": "t", "spans": 1,
                              "start_timestamp": 1795000000, "timestamp": 1795000001})
    for event_id in (first, second):
        answer = await api.request("GET", f"/api/0/organizations/parlel/eventids/{event_id}/")
        assert answer.code == 200, answer


@pytest_twisted.ensureDeferred
async def test_a_stack_text_built_to_backtrack_is_read_in_linear_time(api, store):
    stack = "Error: x\n    at " + "a (" * 20000 + "\n    at main (/app/main.js:3:9)"
    answer = await api.request("POST", "/v1/ingest", token=None,
                               headers={"X-Open-Sentry-Key": "parlel"},
                               json_body={"type": "error", "message": "deep",
                                          "exception": {"type": "Error", "value": "x",
                                                        "stacktrace": stack}})
    assert answer.code == 202, answer
    from sentry_fake.store.normalize import document

    (event,) = store.events()
    frames = document(event)["exception"]["values"][0]["stacktrace"]["frames"]
    assert frames[-1]["function"] == "main" and frames[-1]["lineno"] == 3


@pytest.mark.parametrize("query, detail", [
    ("since=0&until=10000000&resolution=10s", "Too many data points"),
    ("until=inf", "until must be a numeric timestamp."),
    ("since=nan", "since must be a numeric timestamp"),
])
@pytest_twisted.ensureDeferred
async def test_stats_windows_are_bounded(api, query, detail):
    answer = await api.request("GET", f"/api/0/projects/parlel/parlel/stats/?{query}")
    assert answer.code == 400 and answer.json()["detail"].startswith(detail)


@pytest.mark.parametrize("path", ["/api/0/projects/parlel/parlel/issues/",
                                  "/api/0/organizations/parlel/issues/",
                                  "/api/0/projects/parlel/parlel/events/?query=x"])
@pytest_twisted.ensureDeferred
async def test_absurd_cursors_are_invalid(api, path):
    joiner = "&" if "?" in path else "?"
    answer = await api.request("GET", f"{path}{joiner}cursor=0:99999999999999999999999:0")
    assert (answer.code, answer.json()) == (400, {"detail": "Invalid cursor parameter."})


def test_the_seeded_key_is_the_same_in_every_run():
    from twisted.internet.task import Clock

    from sentry_fake.store.service import StoreService

    first, second = StoreService(Clock()), StoreService(Clock())
    assert first.directory.key("parlel").secret == second.directory.key("parlel").secret
    assert len(first.directory.key("parlel").secret) == 32
