"""
The events queries that the trace book's indexes answer (a trace's rows, one operation's spans
by duration, counts by operation, a rare operation, logs of one severity) answer exactly what
the same query answers when every row is read, on a store that has evicted its oldest spans
and logs.  Each pair differs only in a way that takes the query off its index (a wildcard or a
negation matches the same rows but names no single value).
"""

from __future__ import annotations

import random

import pytest
import pytest_twisted

from conftest import NOW
from sentry_fake.application import Settings
from scenario import AUTH, envelope
from test_explore_api import child, item, log_entry, query, send, transaction

#: The store keeps this many spans and log entries of each kind; more are sent.
CAPACITY = 400
OPS = ("db", "fetch", "cache")


@pytest.fixture
def settings() -> Settings:
    return Settings(max_events=CAPACITY)


async def fill(api, seed: int = 7) -> list[str]:
    """
    Transactions of a few spans each, in several traces, one in ten spans of a rare operation;
    four log entries with each, one in twenty of them fatal.  Returns the trace ids.
    """
    chance = random.Random(seed)
    traces = [f"{n:x}" * 32 for n in range(1, 9)]
    for n in range(120):
        trace, start = chance.choice(traces), NOW - 600 + n
        spans = []
        for k in range(5):
            op = "rare" if chance.random() < 0.1 else chance.choice(OPS)
            # Durations repeat, so that ties are ordered too.
            spans.append(child(f"{n:08x}{k:08x}", op, f"{op} {n}.{k}", start + k * 0.01,
                               chance.choice((0.01, 0.02, 0.05, 0.1)), parent=f"{n:016x}",
                               trace=trace))
        logs = [log_entry(f"line {n}.{k}", trace=trace, when=start + k,
                          level="fatal" if chance.random() < 0.05 else "info")
                for k in range(4)]
        await send(api, item("transaction", transaction(trace=trace, root=f"{n:016x}",
                                                         start=start, spans=spans)),
                   item("log", {"items": logs}, item_count=len(logs),
                        content_type="application/vnd.sentry.items.log+json"))
    return traces


async def rows(api, **params):
    return (await query(api, **{"per_page": 100, **params})).json()["data"]


SPAN_FIELDS = ["id", "span.op", "span.description", "span.duration", "timestamp"]


@pytest_twisted.ensureDeferred
async def test_indexed_span_queries_answer_what_reading_every_span_answers(api):
    traces = await fill(api)
    everything = await rows(api, dataset="spans", field=["count()"])
    assert everything == [{"count()": CAPACITY}]

    for op in OPS + ("rare", "missing"):
        for sort in ("-span.duration", "-timestamp"):
            indexed = await rows(api, dataset="spans", field=SPAN_FIELDS, sort=sort,
                                 query=f"span.op:{op}")
            scanned = await rows(api, dataset="spans", field=SPAN_FIELDS, sort=sort,
                                 query=f"span.op:{op}*")
            assert indexed == scanned, (op, sort)
            assert all(row["span.op"] == op for row in indexed)
    assert await rows(api, dataset="spans", field=SPAN_FIELDS, query="span.op:missing") == []
    rare = await rows(api, dataset="spans", field=SPAN_FIELDS, query="span.op:rare")
    assert rare and [row["timestamp"] for row in rare] == sorted(
        (row["timestamp"] for row in rare), reverse=True)

    by_op = await rows(api, dataset="spans", field=["span.op", "count()"], sort="-count()")
    scanned = await rows(api, dataset="spans", field=["span.op", "count()"], sort="-count()",
                         query="!span.op:missing")
    assert by_op == scanned
    assert sum(row["count()"] for row in by_op) == CAPACITY

    for trace in traces:
        indexed = await rows(api, dataset="spans", field=SPAN_FIELDS, query=f"trace:{trace}")
        scanned = await rows(api, dataset="spans", field=SPAN_FIELDS + ["trace"],
                             query=f"trace:{trace[:-1]}*")
        shown = [{key: row[key] for key in indexed[0]} for row in scanned]
        assert len(indexed) == len(shown), (len(indexed), len(shown))
        assert sorted(map(str, indexed)) == sorted(map(str, shown))
        assert indexed == shown


@pytest_twisted.ensureDeferred
async def test_logs_of_one_severity_answer_what_reading_every_entry_answers(api):
    traces = await fill(api)
    fields = ["message", "severity", "trace", "timestamp"]
    for severity in ("fatal", "info", "error"):
        indexed = await rows(api, dataset="logs", field=fields, query=f"severity:{severity}",
                             sort="-timestamp")
        scanned = await rows(api, dataset="logs", field=fields, query=f"severity:{severity}*",
                             sort="-timestamp")
        assert indexed == scanned, severity
        assert all(row["severity"] == severity for row in indexed)
    fatal = await rows(api, dataset="logs", field=fields, query="severity:FATAL")
    assert fatal and len(fatal) < 40
    # Only the entries still kept: the oldest were evicted.
    assert len(await rows(api, dataset="logs", field=["message"], per_page=100,
                          query="severity:info")) == 100
    assert len(await rows(api, dataset="logs", field=["message"], per_page=100,
                          query="severity:info", cursor="0:300:0")) < 100
    counted = await rows(api, dataset="logs", field=["count()"])
    assert counted == [{"count()": CAPACITY}]
    indexed = await rows(api, dataset="logs", field=fields, query=f"trace:{traces[0]}")
    assert indexed and {row["trace"] for row in indexed} == {traces[0]}


@pytest_twisted.ensureDeferred
async def test_pages_sorted_by_time_hold_rows_that_arrived_out_of_their_order(api, clock):
    """
    Spans, logs and errors sent long after they happened (and some ahead of the server's
    clock) are paged in the order of their times, each once.
    """
    chance = random.Random(3)
    delays = [chance.choice((0, 5, 3600, 7200, 86400)) for _ in range(60)]
    delays[7] = -45  # a client whose clock runs ahead
    for n, delay in enumerate(delays):
        clock.advance(1)
        when = clock.seconds() - delay
        span = child(f"{n + 1:016x}", "db", f"{n} late by {delay}", when - 0.5, 0.5,
                     trace=f"{n + 1:032x}")
        await send(api, item("span", span),
                   item("log", {"items": [log_entry(f"line {n}", when=when)]}, item_count=1,
                        content_type="application/vnd.sentry.items.log+json"),
                   item("event", {"message": f"error {n}", "level": "error",
                                  "timestamp": when}))
    for dataset, text in (("spans", "span.description"), ("logs", "message"),
                          ("errors", "message")):
        fields = [text, "timestamp"] if dataset != "errors" else ["message", "timestamp"]
        seen, cursor = [], "0:0:0"
        while cursor is not None:
            answer = await query(api, dataset=dataset, field=fields, sort="-timestamp",
                                 per_page=7, cursor=cursor)
            seen += answer.json()["data"]
            link = answer.header("Link") or ""
            following = [part for part in link.split(",") if 'rel="next"' in part
                         and 'results="true"' in part]
            cursor = following[0].split('cursor="')[1].split('"')[0] if following else None
        assert len(seen) == 60, dataset
        assert len({row[fields[0]] for row in seen}) == 60, dataset
        times = [row["timestamp"] for row in seen]
        assert times == sorted(times, reverse=True), dataset


@pytest_twisted.ensureDeferred
async def test_rows_of_several_projects_at_one_instant_come_in_one_order(api):
    created = await api.request("POST", "/api/0/teams/parlel/parlel/projects/",
                                json_body={"name": "two"})
    assert created.code == 201
    second = created.json()["id"]
    [key] = (await api.request("GET", "/api/0/projects/parlel/two/keys/")).json()
    trace = "ab" * 16
    # The clock does not move: every span arrives at the same instant, ending at the same time.
    for n in range(3):
        for project, auth in (("1", None), (second, key["public"])):
            span = child(f"{n:08x}{int(project):08x}", "rare", f"{project}/{n}", NOW - 10, 1.0,
                         trace=trace)
            headers = {"X-Sentry-Auth": f"Sentry sentry_key={auth}"} if auth else AUTH
            answer = await api.request("POST", f"/api/{project}/envelope/", token=None,
                                       body=envelope(item("span", span)), headers=headers)
            assert answer.code == 200, answer

    async def order(text):
        answer = await query(api, dataset="spans", field=["span.description"], query=text,
                             sort="-timestamp", project=["1", second])
        return [row["span.description"] for row in answer.json()["data"]]

    walked = await order("span.op:rare*")
    assert walked == [f"{project}/{n}" for n in (2, 1, 0) for project in (second, "1")]
    assert await order("span.op:rare") == walked
    assert await order(f"trace:{trace}") == walked
