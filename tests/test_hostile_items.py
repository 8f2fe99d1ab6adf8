"""
Items that once broke the store after it accepted them: a number too big for a float in a
metric, a measurement, a span's or an event's time.  Each is now read as Relay reads it (an
invalid value is dropped), the record applies the same on every replay, and every read of what
was kept answers.
"""

from __future__ import annotations

import json
import shutil

import pytest
import pytest_twisted

from conftest import NOW
from scenario import AUTH, Harness, envelope, state_of
from test_explore_api import item, transaction

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
