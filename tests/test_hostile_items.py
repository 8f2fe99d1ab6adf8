"""
Trace, replay and profile items that once broke the store after it accepted them: a number
too big for a float, a replay's time beyond any date, a profile of the wrong shape, a replay
fed without end, a User-Agent of megabytes.  Each is now read as Relay reads it (what is
invalid is dropped), the server keeps serving, and every read of what was kept answers.
"""

from __future__ import annotations

import json
import shutil

import pytest
import pytest_twisted

from conftest import NOW
from scenario import AUTH, Harness, envelope, state_of
from test_explore_api import item, transaction
from test_openapi_contract import CHUNK, PROFILE, PROFILE_ID, PROFILER_ID, REPLAY_EVENT, REPLAY_ID
from test_relay_parity import UA_WINDOWS

ORG = "/api/0/organizations/parlel"
PROJECT = "/api/0/projects/parlel/parlel"
#: A JSON integer too big for a float (orjson refuses it; the standard library reads it).
HUGE = 10 ** 400
TRACE = "c" * 32


async def accepted(api, *items, header=None):
    answer = await api.request("POST", "/api/1/envelope/", body=envelope(*items, header=header),
                               headers=AUTH, token=None)
    assert answer.code == 200, answer
    return answer


async def reads_answer(api, *paths):
    for path in ("/__parlel/events", "/__parlel/items", "/", *paths):
        answer = await api.request("GET", path)
        assert answer.code == 200, (path, answer)


def metric(value):
    return {"timestamp": NOW - 5, "name": "orders", "type": "counter", "value": value}


def spans(query):
    return f"{ORG}/events/?dataset=spans&field=id&field=span.op&query={query}"


def _clock():
    from twisted.internet.task import Clock

    clock = Clock()
    clock.advance(NOW)
    return clock


HUGE_NUMBERS = {
    "metric value": (
        item("trace_metric", {"version": 2, "items": [metric(HUGE), metric(2.0)]}, item_count=2),
        [f"{ORG}/events/?dataset=tracemetrics&field=sum(value)&query=metric.name:orders"]),
    "measurement": (
        item("transaction", dict(transaction(trace=TRACE, start=NOW - 60.0),
                                 measurements={"lcp": {"value": HUGE}, "fcp": {"value": 1.5}})),
        [spans("is_transaction:true"), f"{ORG}/trace/{TRACE}/", f"{ORG}/trace-meta/{TRACE}/"]),
    "v1 span start": (
        item("span", {"trace_id": TRACE, "span_id": "5" * 16, "op": "db",
                      "start_timestamp": HUGE, "timestamp": NOW - 1}),
        [spans("span.op:db"), f"{ORG}/trace/{TRACE}/"]),
}


@pytest.mark.parametrize("name", HUGE_NUMBERS)
@pytest_twisted.ensureDeferred
async def test_a_number_too_big_for_a_float_is_an_invalid_value(tmp_path, name):
    sent, paths = HUGE_NUMBERS[name]
    harness = Harness(str(tmp_path / "data"), _clock())
    await accepted(harness.api, sent)
    await reads_answer(harness.api, *paths)
    store = harness.store
    if name == "metric value":
        # The point with the invalid value is dropped; the other one is kept.
        assert [point.value for point in store.traces.all("metrics")] == [2.0]
    elif name == "measurement":
        [segment] = list(store.traces.all("spans"))
        assert segment.measurements == {"fcp": 1.5}
    else:
        assert list(store.traces.all("spans")) == []
    # The record applies the same again: a restart rebuilds the same state.
    shutil.copytree(tmp_path / "data", tmp_path / "crashed")
    again = Harness(str(tmp_path / "crashed"), _clock())
    assert state_of(again.store) == state_of(store)
    await reads_answer(again.api, *paths)


@pytest.mark.parametrize("field", ["timestamp", "start_timestamp"])
@pytest_twisted.ensureDeferred
async def test_an_event_time_too_big_for_a_float_is_recorded_as_invalid(api, store, field):
    payload = {"message": "when?", "timestamp": NOW - 1, field: HUGE}
    if field == "start_timestamp":
        payload.update(type="transaction", transaction="t", contexts={"trace": {
            "trace_id": TRACE, "span_id": "1" * 16}})
    answer = await api.request("POST", "/api/1/store/", body=json.dumps(payload).encode(),
                               headers=AUTH, token=None)
    assert answer.code == 200, answer
    event = store.event(answer.json()["id"])
    if field == "timestamp":
        assert event.timestamp == event.received
        [error] = (await api.request(
            "GET", f"{PROJECT}/events/{event.event_id}/")).json()["errors"]
        assert (error["type"], error["data"]["reason"]) == ("invalid_data",
                                                            "timestamp out of range")
    await reads_answer(api, f"{PROJECT}/events/{event.event_id}/",
                       f"/__parlel/events/{event.event_id}", f"{PROJECT}/events/?full=true")


REPLAY_READS = [f"{ORG}/replays/", f"{ORG}/replays/{REPLAY_ID}/",
                f"{PROJECT}/replays/{REPLAY_ID}/recording-segments/",
                f"{ORG}/replay-count/?query=issue.id:[1]"]


@pytest.mark.parametrize("times", [{"timestamp": 1e20}, {"replay_start_timestamp": 1e20},
                                   {"timestamp": HUGE, "replay_start_timestamp": -HUGE},
                                   {"timestamp": "9999999999999", "replay_start_timestamp": True}])
@pytest_twisted.ensureDeferred
async def test_a_replay_time_beyond_any_date_is_dropped(api, store, times):
    await accepted(api, item("replay_event", dict(REPLAY_EVENT, **times)),
                   header={"event_id": REPLAY_ID})
    replay = store.traces.replay(REPLAY_ID)
    # What cannot be a time is not read as one: the replay's times are the valid ones sent,
    # or when it was received.
    assert replay.started <= replay.finished and replay.finished in (
        REPLAY_EVENT["timestamp"], NOW)
    await reads_answer(api, *REPLAY_READS)


@pytest_twisted.ensureDeferred
async def test_a_replay_count_of_an_id_of_thousands_of_digits_names_nothing(api):
    answer = await api.request("GET", f"{ORG}/replay-count/?query=issue.id:[{'9' * 5000}]")
    assert (answer.code, answer.json()) == (200, {})


BAD_PROFILES = [{"profile": "abc"}, {"profile": [1, 2]}, {"profile": {"samples": 5}},
                {"profile": {"frames": [1]}}, {"profile": {"stacks": [["a"]]}},
                {"profile": {"stacks": [[3]], "frames": [{}]}},
                {"profile": {"samples": [{"stack_id": 2}], "stacks": [[0]], "frames": [{}]}},
                {"profile": {"thread_metadata": [1]}}, {"profile": {"samples": [1]}}]


@pytest.mark.parametrize("bad", BAD_PROFILES, ids=lambda bad: json.dumps(bad["profile"]))
@pytest_twisted.ensureDeferred
async def test_a_profile_of_the_wrong_shape_is_dropped(api, bad):
    await accepted(api, item("profile", dict(PROFILE, event_id="1" * 32, **bad)),
                   item("profile", PROFILE))
    missing = await api.request("GET", f"{PROJECT}/profiling/profiles/{'1' * 32}/")
    assert missing.code == 404 and missing.json()["detail"]
    await reads_answer(api, f"{PROJECT}/profiling/profiles/{PROFILE_ID}/")


@pytest.mark.parametrize("bad", BAD_PROFILES + [{"profile": None}],
                         ids=lambda bad: json.dumps(bad["profile"]))
@pytest_twisted.ensureDeferred
async def test_a_profile_chunk_of_the_wrong_shape_is_dropped(api, bad):
    await accepted(api, item("profile_chunk", dict(CHUNK, chunk_id="1" * 32, **bad)),
                   item("profile_chunk", CHUNK))
    path = f"{ORG}/profiling/chunks/?project=1&profiler_id={PROFILER_ID}"
    await reads_answer(api, path)
    chunk = (await api.request("GET", path)).json()["chunk"]
    assert chunk["chunk_id"] == CHUNK["chunk_id"]
    assert chunk["profile"]["frames"] == [{"function": "work", "in_app": True}]


@pytest_twisted.ensureDeferred
async def test_a_replay_keeps_a_bounded_summary_however_many_segments_say_more(api, store):
    from sentry_fake.store.recordings import MAX_IDS, MAX_TAG_KEYS, MAX_TAG_VALUES, MAX_URLS

    for segment in range(50):
        await accepted(api, item("replay_event", dict(
            REPLAY_EVENT, segment_id=segment,
            urls=[f"https://shop/{segment}/{n}" for n in range(1000)],
            error_ids=[f"{segment:08x}{n:024x}" for n in range(200)] + ["f" * 32],
            trace_ids=["a" * 32, f"{segment:032x}"],
            tags={**{f"k{segment}-{n}": "v" for n in range(10)}, "page": f"p{segment}"},
            release=f"shop@{segment}")), header={"event_id": REPLAY_ID})
    replay = store.traces.replay(REPLAY_ID)
    assert len(replay.urls) == MAX_URLS and replay.urls[-1] == "https://shop/0/999"
    # Kept in the order first seen, each once.
    assert len(replay.error_ids) == len(set(replay.error_ids)) == MAX_IDS
    assert replay.error_ids[199:202] == [f"{199:032x}", "f" * 32, f"{1:08x}{0:024x}"]
    assert replay.trace_ids == ["a" * 32] + [f"{n:032x}" for n in range(50)]
    assert len(replay.tags) == MAX_TAG_KEYS and replay.tags["page"][:2] == ["p0", "p1"]
    assert len(replay.tags["page"]) == 50 <= MAX_TAG_VALUES
    assert replay.releases == [f"shop@{n}" for n in range(50)]
    listed = await api.request("GET", f"{ORG}/replays/")
    assert listed.code == 200 and len(listed.content) < 200_000
    await reads_answer(api, *REPLAY_READS)


@pytest_twisted.ensureDeferred
async def test_one_replay_is_found_without_listing_every_replay(api, store, monkeypatch):
    await accepted(api, item("replay_event", REPLAY_EVENT), header={"event_id": REPLAY_ID})

    def every_replay():
        raise AssertionError("one replay read listed them all")

    monkeypatch.setattr(store.traces, "replays", every_replay)
    for path in (f"{ORG}/replays/{REPLAY_ID}/",
                 f"{PROJECT}/replays/{REPLAY_ID}/recording-segments/"):
        assert (await api.request("GET", path)).code == 200
    other = await api.request("GET", f"/api/0/organizations/other/replays/{REPLAY_ID}/")
    assert other.code == 404


@pytest_twisted.ensureDeferred
async def test_an_item_whose_reader_raises_is_dropped_and_logged(api, store, monkeypatch):
    # A second line of defence: a reader with a bug drops its item, not the record's rest.
    from twisted.logger import Logger

    from sentry_fake.store import trace_writes

    def broken(*args):
        raise RuntimeError("a bug in a reader")

    logged = []
    monkeypatch.setattr(trace_writes, "metrics_of_item", broken)
    monkeypatch.setattr(store, "log", Logger(observer=logged.append))
    await accepted(api, item("trace_metric", {"version": 2, "items": [metric(1.0)]}),
                   item("replay_event", REPLAY_EVENT), header={"event_id": REPLAY_ID})
    assert list(store.traces.all("metrics")) == [] and store.traces.replay(REPLAY_ID)
    [failure] = [event for event in logged if "log_failure" in event]
    assert failure["kind"] == "trace_metric"
    await reads_answer(api, *REPLAY_READS)


@pytest_twisted.ensureDeferred
async def test_a_user_agent_of_megabytes_is_read_by_its_start(api, store, monkeypatch):
    from sentry_fake.store import user_agent

    lengths = []
    parse = user_agent.parse

    def measured(text):
        lengths.append(len(text))
        return parse(text)

    monkeypatch.setattr(user_agent, "parse", measured)
    agent = UA_WINDOWS + " " + "x" * 880_000
    answer = await api.request("POST", "/api/1/store/", headers=AUTH, token=None,
                               body=json.dumps({"message": "ua", "request": {
                                   "headers": {"User-Agent": agent}}}).encode())
    assert answer.code == 200, answer
    event_id = answer.json()["id"]
    detail = await api.request("GET", f"{PROJECT}/events/{event_id}/")
    assert detail.code == 200, detail
    assert lengths and max(lengths) <= user_agent.MAX_USER_AGENT
    browser = next(entry for entry in detail.json()["contexts"].items()
                   if entry[0] == "browser")[1]
    assert browser["name"] == "Chrome"
    await reads_answer(api, f"/__parlel/events/{event_id}")
