"""
The trace book keeps spans in blocks, one for each transaction's: what a block reads as the
transaction arrives (ids, operations, durations) is what reading the whole payload later gives,
the book holds exactly as many spans as it may (the oldest go first, a block's oldest spans
before its others), a span of a trace and id is kept once, and a block's spans, once read, are
the same objects every time.
"""

from __future__ import annotations

import orjson

from sentry_fake.store.span_blocks import SpanBlock, block_of_transaction, blocks_of_spans
from sentry_fake.store.trace_items import spans_of_item
from sentry_fake.store.transaction_spans import spans_of_transaction
from sentry_fake.store.traces import TraceBook

TRACE = "a" * 32
OTHER = "b" * 32


class Sent:
    """
    What a block reads a transaction's spans from: the event's payload and id.
    """

    def __init__(self, doc: dict, event_id: str = "e" * 32) -> None:
        self.raw = orjson.dumps(doc)
        self.event_id = event_id


def child(span_id, op="db", start=100.0, length=0.25, **more):
    end = start + length if isinstance(start, float) else None
    return {"span_id": span_id, "parent_span_id": "1" * 16, "op": op,
            "description": f"{op} {span_id}", "start_timestamp": start, "timestamp": end,
            **more}


def transaction(children, trace=TRACE, root="1" * 16, start=100.0, end=101.0):
    return {"type": "transaction", "transaction": "GET /checkout", "platform": "python",
            "environment": "prod", "release": "shop@1", "sdk": {"name": "sentry.python"},
            "start_timestamp": start, "timestamp": end,
            "contexts": {"trace": {"trace_id": trace, "span_id": root, "op": "http.server",
                                   "data": {"thread.name": "MainThread"}}},
            "measurements": {"lcp": {"value": 12.5}}, "spans": children}


def block(children, trace=TRACE, root="1" * 16, seq=1, first=0, event_id="e" * 32):
    doc = transaction(children, trace=trace, root=root)
    return block_of_transaction(Sent(doc, event_id), doc, 7, 500.0, seq, first)


def fields(span):
    return (span.trace_id, span.span_id, span.parent_span_id, span.segment_id,
            span.is_segment, span.project_id, span.name, span.op, span.description,
            span.status, span.start, span.end, span.received, span.segment_name,
            span.environment, span.release, span.platform, span.sdk_name, span.origin,
            span.attributes, span.measurements, span.event_id, span.seq, span.ordinal)


def test_what_a_block_reads_at_once_is_what_reading_its_payload_gives():
    children = [
        child("2" * 16),
        "not a span",
        {"span_id": "3" * 16, "start_timestamp": 100.0},  # no end: left out
        child("4" * 16, op="cache.get", start="1970-01-01T00:01:40.500000Z",
              timestamp="1970-01-01T00:01:40.750000Z", status="ok", origin="manual",
              tags={"cache.hit": True}, data={"thread.name": "MainThread"},
              measurements={"bytes": {"value": 3}}),
        child("not-an-id"),  # left out
        child("5" * 16, op=None, description=None),
        child("ABCDEF0123456789"),  # upper case: read as SDKs mean it
        child("6" * 16, length=-1.0),  # ends before it starts: lasts no time
        child("7" * 16, start=True, timestamp=101.0),  # not a time: left out
    ]
    read = block(children, seq=4, first=3)
    doc = transaction(children)
    expected = spans_of_transaction(doc, 7, "e" * 32, 500.0)
    for ordinal, span in enumerate(expected, 3):
        span.seq, span.ordinal = 4, ordinal
    assert read.id_list() == [span.span_id for span in expected]
    assert read.id_list() == ["1" * 16, "2" * 16, "4" * 16, "5" * 16, "abcdef0123456789", "6" * 16]
    assert read.ops == [span.op for span in expected]
    assert list(read.durations) == [span.duration_ms for span in expected]
    assert read.end_bounds == (min(span.end for span in expected),
                               max(span.end for span in expected))
    assert [fields(span) for span in read.spans()] == [fields(span) for span in expected]
    assert read.spans()[0].is_segment and read.spans()[0].measurements == {"lcp": 12.5}
    # Read once: the same spans since.
    assert read.spans() is read.spans() and read.span(2) is read.spans()[2]


def test_no_trace_or_no_times_is_no_block():
    doc = transaction([child("2" * 16)])
    del doc["contexts"]
    assert block_of_transaction(Sent(doc), doc, 7, 500.0, 1, 0) is None
    doc = transaction([child("2" * 16)])
    doc["timestamp"] = "yesterday"
    assert block_of_transaction(Sent(doc), doc, 7, 500.0, 1, 0) is None


def test_the_book_keeps_its_capacity_evicting_the_oldest_spans_first():
    book = TraceBook(capacity=10)
    first = block([child(f"{n:016x}") for n in range(2, 6)], root="1" * 16, seq=1)
    second = block([child(f"{n:016x}") for n in range(0x12, 0x16)], trace=OTHER,
                   root="11" * 8, seq=2)
    assert book.add_spans(first) is first and book.add_spans(second) is second
    assert len(book.all("spans")) == 10 and book.evicted("spans") == 0
    third = block([child(f"{n:016x}", op="http.client") for n in range(0x22, 0x25)],
                  root="21" * 8, seq=3)
    book.add_spans(third)
    # Four spans over: the oldest four, all of the first block's but its last one.
    assert len(book.all("spans")) == 10 and book.evicted("spans") == 4
    assert [span.span_id for span in book.spans_of_trace(TRACE)] == \
        ["0000000000000005"] + third.id_list()
    assert book.span(TRACE, "1" * 16) is None and book.span(TRACE, "0000000000000002") is None
    assert book.span(TRACE, "0000000000000005").span_id == "0000000000000005"
    counts = {op: len(spans) for op, spans in book.span_index.by_op(7).items()}
    assert counts == {"db": 5, "http.server": 2, "http.client": 3}
    assert sum(counts.values()) == len(book.of_project("spans", 7)) == 10
    assert book.live_records() == {1, 2, 3}

    book.add_spans(block([child("31" * 8)], root="32" * 8, seq=4))
    # The first block is gone whole, and its record with it.
    assert book.evicted("spans") == 6 and len(book.all("spans")) == 10
    assert book.live_records() == {2, 3, 4}
    assert len(list(book.all("spans"))) == 10
    assert list(reversed(book.all("spans")))[::-1] == list(book.all("spans"))


def test_a_span_of_a_trace_and_id_is_kept_once():
    book = TraceBook(capacity=100)
    book.add_spans(block([child("2" * 16), child("3" * 16)], seq=1))
    # The same segment again, one child again, one child twice in the same transaction.
    again = block([child("3" * 16, op="other"), child("4" * 16), child("4" * 16, op="twice")],
                  seq=2, first=5, event_id="f" * 32)
    kept = book.add_spans(again)
    assert kept is again and kept.id_list() == ["4" * 16]
    [span] = kept.spans()
    assert (span.span_id, span.op, span.event_id, span.seq) == ("4" * 16, "db", "f" * 32, 2)
    # Its place among the spans its record brought (the segment, 3, then 4).
    assert span.ordinal == 7
    assert len(book.spans_of_trace(TRACE)) == 4
    assert book.span(TRACE, "3" * 16).op == "db"
    assert book.add_spans(block([child("2" * 16)], seq=3)) is None
    assert len(book.all("spans")) == 4


def test_a_deleted_projects_spans_go_uncounted():
    book = TraceBook(capacity=100)
    book.add_spans(block([child("2" * 16)]))
    book.forget_project(7)
    assert len(book.all("spans")) == 0 and book.evicted("spans") == 0
    assert book.span(TRACE, "2" * 16) is None and not book.span_index.by_op(7)
    # The trace is free again.
    assert book.add_spans(block([child("2" * 16)])) is not None


def test_streamed_spans_are_blocks_by_trace_and_segment():
    items = {"items": [
        {"trace_id": TRACE, "span_id": f"{n:016x}", "name": f"span {n}",
         "start_timestamp": 100.0 + n, "end_timestamp": 100.5 + n, "is_segment": n == 1,
         "attributes": {"sentry.segment.id": {"value": "0000000000000001", "type": "string"},
                        "sentry.op": {"value": "ui", "type": "string"}}}
        for n in range(1, 4)] + [
        {"trace_id": OTHER, "span_id": "9" * 16, "name": "elsewhere",
         "start_timestamp": 100.0, "end_timestamp": 101.0}]}
    spans = spans_of_item(items, 7, 500.0)
    blocks = blocks_of_spans(spans)
    assert [(b.trace_id, b.segment_id, len(b)) for b in blocks] == [
        (TRACE, "0000000000000001", 3), (OTHER, None, 1)]
    book = TraceBook(capacity=100)
    for each in blocks:
        book.add_spans(each)
    assert list(book.spans_of_segment(TRACE, "0000000000000001")) == spans[:3]
    assert book.span(OTHER, "9" * 16) is spans[3]
    assert isinstance(blocks[0], SpanBlock) and list(blocks[0].durations) == [500.0] * 3


def test_streamed_spans_keep_their_order_of_arrival_across_segments():
    """
    A span item's spans of several segments, interleaved: the first span of an id wins, and
    the book keeps them in the order they came.
    """
    def span(span_id, segment, name):
        return {"trace_id": TRACE, "span_id": span_id, "name": name,
                "start_timestamp": 100.0, "end_timestamp": 101.0,
                "attributes": {"sentry.segment.id": {"value": segment, "type": "string"}}}

    items = {"items": [span("1" * 16, "a" * 16, "first"), span("2" * 16, "b" * 16, "second"),
                       span("2" * 16, "a" * 16, "again"), span("3" * 16, "a" * 16, "third")]}
    spans = spans_of_item(items, 7, 500.0)
    for ordinal, each in enumerate(spans):
        each.seq, each.ordinal = 1, ordinal
    book = TraceBook(capacity=100)
    for each in blocks_of_spans(spans):
        book.add_spans(each)
    assert book.span(TRACE, "2" * 16).name == "second"
    assert [each.name for each in book.all("spans")] == ["first", "second", "third"]
    assert [each.name for each in book.spans_of_segment(TRACE, "a" * 16)] == ["first", "third"]


def test_a_transaction_keeps_at_most_so_many_spans(monkeypatch):
    from sentry_fake.store import span_blocks, transaction_spans

    monkeypatch.setattr(span_blocks, "MOST_SPANS", 4)
    monkeypatch.setattr(transaction_spans, "MOST_SPANS", 4)
    read = block([child(f"{n:016x}") for n in range(2, 9)])
    assert read.size == 4
    assert [span.span_id for span in read.spans()] == read.id_list() == \
        ["1" * 16, "0000000000000002", "0000000000000003", "0000000000000004"]


def test_a_kept_span_that_a_blocks_own_spans_evict_no_longer_counts_as_kept():
    """
    As if a transaction's spans came one by one: the book makes room for each span it keeps,
    and a span of an id whose first span left to make that room is kept.
    """
    book = TraceBook(capacity=2)
    book.add_spans(block([child("c" * 16)], root="1" * 16, seq=1))
    later = block([child("d" * 16), child("c" * 16, op="again")], root="2" * 16, seq=2)
    book.add_spans(later)
    # The segment 2 evicted the segment 1, d evicted the first c: the second c is kept, and
    # evicts 2.
    assert [span.span_id for span in book.all("spans")] == ["d" * 16, "c" * 16]
    assert book.span(TRACE, "c" * 16).op == "again" and book.evicted("spans") == 3
