"""
What an L{Ingested} record adds to the trace book, derived from the record alone (so that a
replay, and a start from a checkpoint, derive the same): the spans of its transaction events
and span items, its log entries and metric points, and for each segment of streamed spans the
transaction event that clients of an older Sentry look for.

Applying a record must not fail, and its readers are total (what cannot be read is left out).
Should one still raise, a bug, the item it reads is dropped and the failure logged: the rest of
the record is applied as on every replay of it.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

from ..jsoncodec import dumps, loads
from .models import Event, Project, payload_bytes
from .normalize import build_event
from .records import Ingested
from .span_blocks import SpanBlock, block_of_transaction, blocks_of_spans
from .trace_items import (logs_of_item, metrics_of_item, segment_event_id, spans_of_item,
                          transaction_of_segment)
from .trace_models import Span

#: The item types the trace book reads.
TRACE_ITEMS = frozenset({"span", "log", "trace_metric", "replay_event", "replay_recording",
                         "profile", "profile_chunk"})


def _decoded(payload: Any) -> Any:
    try:
        return loads(payload_bytes(payload))
    except ValueError:
        return None


class TraceWrites:
    """
    Part of L{sentry_fake.store.service.StoreService}: the trace book's share of ingest.
    Each span and log entry kept is announced to the store's watchers (a page showing
    traces or logs updates from them).
    """

    def _derive_traces(self, project: Project, record: Ingested, seq: int,
                       transactions: Iterable[Event],
                       keep_segment: Callable[[Event], Any]) -> None:
        """
        Add what C{record} (journal record C{seq}) brings to the trace book.

        @param transactions: its transaction events that were stored.
        @param keep_segment: called with the transaction event built for each segment of
            streamed spans.
        """
        book = self.traces
        ordinal = 0
        # What ingest decoded already is not decoded again (it is what decoding raw gives).
        decoded = {id(event): doc for event, doc in zip(record.events, record.decoded)
                   if doc is not None and event.type == "transaction"}
        for event in transactions:
            doc = decoded.get(id(event))
            if doc is None:
                raw = event.raw
                doc = _decoded(raw) if raw else None
            if isinstance(doc, dict):
                block = self._read_item("transaction", block_of_transaction, event, doc,
                                        project.id, record.time, seq, ordinal)
                if block:
                    ordinal += block.size
                    self._keep_spans(block)
        logs = metrics = 0
        for sent in record.items:
            if sent.type not in TRACE_ITEMS:
                continue
            if sent.type == "replay_recording":
                self._read_item(sent.type, book.replay_book.add_recording, project.id,
                                sent.event_id, payload_bytes(sent.payload), record.time, seq)
                continue
            payload = _decoded(sent.payload)
            if sent.type == "span":
                spans = self._read_item(sent.type, spans_of_item, payload, project.id,
                                        record.time)
                for span in spans:
                    span.seq, span.ordinal = seq, ordinal
                    ordinal += 1
                segments = [span for block in blocks_of_spans(spans)
                            if (kept := self._keep_spans(block)) is not None
                            for span in kept.live() if span.is_segment]
                for segment in segments:
                    keep_segment(self._segment_event(project, segment))
            elif sent.type == "replay_event":
                self._read_item(sent.type, book.replay_book.add_event, project.id, payload,
                                record.time, seq)
            elif sent.type == "profile":
                self._read_item(sent.type, book.profile_book.add_profile, project.id, payload,
                                record.time, seq)
            elif sent.type == "profile_chunk":
                self._read_item(sent.type, book.profile_book.add_chunk, project.id, payload,
                                record.time, seq)
            elif sent.type == "log":
                for entry in self._read_item(sent.type, logs_of_item, payload, project.id,
                                             record.time, seq, logs):
                    if book.add_log(entry):
                        self._announce(entry)
                    logs += 1
            elif sent.type == "trace_metric":
                for point in self._read_item(sent.type, metrics_of_item, payload, project.id,
                                             record.time, seq, metrics):
                    book.add_metric(point)
                    metrics += 1

    def _keep_spans(self, block: SpanBlock) -> SpanBlock | None:
        """
        Give the trace book a block of spans; announce the spans it keeps (only if anyone
        watches: a span is made when first read).
        """
        kept = self.traces.add_spans(block)
        if kept is not None and self._watchers:
            for span in kept.live():
                self._announce(span)
        return kept

    def _read_item(self, kind: str, read: Callable[..., Any], *args: Any) -> Any:
        """
        What C{read(*args)} makes of an item of type C{kind}: nothing (an empty list), the
        failure logged, when it raises.
        """
        try:
            return read(*args)
        except Exception:
            self.log.failure("a {kind} item could not be read; it is dropped", kind=kind)
            return []

    def _segment_event(self, project: Project, segment: Span) -> Event:
        children = [span for span in self.traces.spans_of_segment(segment.trace_id,
                                                                  segment.span_id)
                    if span is not segment]
        doc = transaction_of_segment(segment, children)
        event = build_event(project.id, doc, dumps(doc), "transaction", segment.received,
                            segment_event_id(segment.trace_id, segment.span_id))
        event.trace_id, event.span_id = segment.trace_id, segment.span_id
        segment.event_id = event.event_id
        for child in children:
            child.event_id = child.event_id or event.event_id
        return event
