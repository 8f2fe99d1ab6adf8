"""
A trace as Sentry's trace view reads it (trace-meta and the span tree with its errors), what
Sentry's MCP server validates before a search, the attributes a dataset offers, and the trace
book's bounds: evictions counted, a deleted project's spans gone, everything back after a
restart.
"""

from __future__ import annotations

import pytest
import pytest_twisted
from treq.testing import StubTreq
from twisted.internet.task import Clock

from conftest import NOW, Client
from scenario import Harness, envelope, event_item, state_of
from sentry_fake.application import Settings, build_root
from sentry_fake.store.service import StoreService
from test_explore_api import OTHER_TRACE, TRACE, checkout, item, log_entry, query, send

ORG = "/api/0/organizations/parlel"


def error_in(span_id: str, message: str, trace: str = TRACE) -> dict:
    return {"message": message, "level": "error",
            "contexts": {"trace": {"trace_id": trace, "span_id": span_id}}}


@pytest_twisted.ensureDeferred
async def test_the_span_tree_with_errors_under_their_spans(api):
    await checkout(api)
    await send(api, event_item(error_in("3" * 16, "card declined")))
    await send(api, event_item(error_in("9" * 16, "somewhere else")))
    answer = await api.request("GET", f"{ORG}/trace/{TRACE}/")
    assert answer.code == 200
    [root, orphan] = answer.json()
    assert (root["event_id"], root["is_transaction"], root["parent_span_id"]) == (
        "1" * 16, True, None)
    assert root["transaction"] == "GET /checkout" and root["op"] == "http.server"
    assert root["duration"] == 500.0 and len(root["transaction_id"]) == 32
    assert [child["description"] for child in root["children"]] == [
        "SELECT * FROM carts", "POST https://pay.example/charge", "UPDATE carts"]
    charge = root["children"][1]
    [error] = charge["errors"]
    assert (error["description"], error["level"], error["event_type"]) == (
        "card declined", "error", "error")
    assert error["short_id"].startswith("PARLEL-") and error["transaction"] == "GET /checkout"
    # An error whose span is not in the trace stands at the top, after the spans.
    assert (orphan["description"], orphan["event_type"]) == ("somewhere else", "error")
    assert isinstance(orphan["culprit"], str)


@pytest_twisted.ensureDeferred
async def test_trace_meta_counts(api):
    await checkout(api)
    await send(api, event_item(error_in("2" * 16, "db timeout")))
    await send(api, item("log", {"version": 2, "items": [log_entry("a"), log_entry("b"),
                                                          log_entry("elsewhere",
                                                                    trace=OTHER_TRACE)]}))
    meta = (await api.request("GET", f"{ORG}/trace-meta/{TRACE}/")).json()
    assert (meta["span_count"], meta["errors"], meta["logs"]) == (4, 1, 2)
    assert (meta["spansCount"], meta["errorsCount"], meta["logsCount"]) == (4, 1, 2)
    assert meta["span_count_map"] == {"db.query": 2, "http.server": 1, "http.client": 1}
    [transaction] = meta["transaction_child_count_map"]
    assert transaction["count()"] == 4
    unknown = (await api.request("GET", f"{ORG}/trace-meta/{'c' * 32}/")).json()
    assert unknown["span_count"] == 0 and unknown["errors"] == 0
    assert (await api.request("GET", f"{ORG}/trace/{'c' * 32}/")).json() == []
    # Sentry's trace routes take a hex (or numeric) id only: any other is no route of its.
    for path in ("trace", "trace-meta"):
        for odd in ("ZZZ", "a" * 31 + "z", "a" * 40):
            answer = await api.request("GET", f"{ORG}/{path}/{odd}/")
            assert (answer.code, answer.json()) == (
                404, {"detail": "The requested resource does not exist"}), (path, odd)


@pytest_twisted.ensureDeferred
async def test_validate_as_the_mcp_server_calls_it(api):
    await checkout(api)

    async def validate(expected, **params):
        from urllib.parse import urlencode

        answer = await api.request("GET", f"{ORG}/events/validate/?" +
                                   urlencode(params, doseq=True))
        assert answer.code == expected, answer
        return answer.json()

    good = await validate(200, dataset="spans", field=["span.op", "span.duration", "count()"],
                          query="span.op:db.query", orderby="-count()")
    assert good["valid"] is True
    assert {entry["name"]: entry["attrType"] for entry in good["field"]} == {
        "span.op": "string", "span.duration": "number", "count()": "number"}
    bad = await validate(400, dataset="spans", field=["span.op", "nonsense.attribute"],
                         query="span.op:db", orderby="-span.duration")
    assert bad["valid"] is False
    assert bad["field"][1] == {"name": "nonsense.attribute", "valid": False,
                               "error": "Unknown attribute", "attrType": None}
    assert bad["orderby"][0]["error"] == "Orderby must also be a selected field"
    # A user attribute the spans carry is a known one.
    known = await validate(200, dataset="spans", field="rows")
    assert known["field"][0]["attrType"] == "number"
    discover = await validate(200, dataset="errors", field="title")
    assert "not compatible with the validate endpoint" in discover["dataset"][0]["error"]


@pytest_twisted.ensureDeferred
async def test_the_attributes_a_dataset_offers(api):
    await checkout(api)
    answer = await api.request("GET", f"{ORG}/trace-items/attributes/?itemType=spans")
    listed = {entry["key"]: entry for entry in answer.json()}
    assert listed["span.duration"]["attributeType"] == "number"
    assert listed["span.op"]["attributeSource"] == {"source_type": "sentry"}
    assert listed["tags[rows,number]"] == {"key": "tags[rows,number]", "name": "rows",
                                           "attributeSource": {"source_type": "user"},
                                           "attributeType": "number"}
    numbers = await api.request("GET", f"{ORG}/trace-items/attributes/?itemType=spans"
                                       "&attributeType=number&substringMatch=span.")
    assert {entry["key"] for entry in numbers.json()} == {"span.duration", "span.self_time"}
    missing = await api.request("GET", f"{ORG}/trace-items/attributes/")
    assert missing.code == 400


@pytest_twisted.ensureDeferred
async def test_spans_and_logs_are_bounded_and_go_with_their_project(clock):
    store = StoreService(clock, max_events=5)
    api = Client(StubTreq(build_root(store, Settings(), clock)), "http://localhost")
    await checkout(api)
    await send(api, item("log", {"version": 2, "items": [log_entry(str(n)) for n in range(7)]}))
    assert len(store.traces.all("spans")) == 4 and len(store.traces.all("logs")) == 5
    assert store.traces.evicted("logs") == 2
    await checkout(api)  # the same spans again: the first one of an id is kept
    assert len(store.traces.all("spans")) == 4
    await api.request("POST", f"{ORG}/projects/", json_body={"name": "Doomed"})
    doomed = store.directory.project(store.directory.organization("parlel"), "doomed")
    answer = await api.request("POST", f"/api/{doomed.id}/envelope/", body=envelope(
        item("transaction", {"type": "transaction", "transaction": "x",
                             "start_timestamp": NOW - 2, "timestamp": NOW - 1,
                             "contexts": {"trace": {"trace_id": "d" * 32,
                                                    "span_id": "8" * 16}}})),
        headers={"X-Sentry-Auth": "Sentry sentry_key=parlel"}, token=None)
    assert answer.code == 200
    assert len(store.traces.of_project("spans", doomed.id)) == 1
    assert (await api.request("DELETE", "/api/0/projects/parlel/doomed/")).code == 204
    assert len(store.traces.of_project("spans", doomed.id)) == 0


async def _traced(api) -> None:
    await checkout(api)
    segment = {"trace_id": OTHER_TRACE, "span_id": "5" * 16, "name": "streamed",
               "start_timestamp": NOW - 3, "end_timestamp": NOW - 2, "is_segment": True}
    await send(api, item("span", {"version": 2, "items": [segment]}))
    await send(api, item("log", {"version": 2, "items": [log_entry("kept")]}))


@pytest.mark.parametrize("clean", [False, True], ids=["after a crash", "after a stop"])
@pytest_twisted.ensureDeferred
async def test_spans_logs_and_made_transactions_survive_a_restart(tmp_path, clean):
    first = Harness(str(tmp_path), _clock())
    await _traced(first.api)
    spans = (await query(first.api, dataset="spans", field=["id", "transaction.event_id"],
                         sort="id")).json()["data"]
    logs = (await query(first.api, dataset="logs", field=["id", "message"])).json()["data"]
    expected = state_of(first.store)
    if clean:
        first.stop()
    again = Harness(str(tmp_path), _clock())
    assert state_of(again.store)["traces"] == expected["traces"]
    assert (await query(again.api, dataset="spans", field=["id", "transaction.event_id"],
                        sort="id")).json()["data"] == spans
    assert len(spans) == 5
    assert (await query(again.api, dataset="logs", field=["id", "message"])).json()["data"] \
        == logs
    made = (await again.api.request("GET", "/__parlel/events?type=transaction",
                                    token=None)).json()
    assert sorted(event["transaction"] for event in made["events"]) == [
        "GET /checkout", "streamed"]
    again.stop()


def _clock() -> Clock:
    clock = Clock()
    clock.advance(NOW)
    return clock


def test_trace_ids_are_read_as_sentry_writes_them():
    from sentry_fake.store.trace_items import span_id_of, trace_id_of

    assert trace_id_of("A" * 32) == "a" * 32
    assert trace_id_of("a" * 8 + "-" + "a" * 4 + "-" + "a" * 4 + "-" + "a" * 4 + "-" +
                       "a" * 12) == "a" * 32
    assert trace_id_of("not-a-trace") is None and span_id_of("12345") is None
