"""
The trace book: every span (from transaction events and span items alike), log entry and
metric point the store keeps, each in a bounded log indexed by trace, project and segment, so
that a trace, a segment or a project's newest entries (and its log entries of one severity)
are read without scanning; and the spans of each project by operation and duration
(L{SpanIndex}).  Spans are kept in blocks (L{SpanBlock}), one for each transaction's.
"""

from __future__ import annotations

import math
import sys
from operator import attrgetter
from typing import Any, Hashable

from zope.interface import implementer

from ..interfaces import ITraces
from .log import Facet, Log
from .recordings import Profile, ProfileBook, Replay, ReplayBook
from .span_blocks import SpanBlock, SpanRun
from .span_index import SpanIndex
from .trace_models import LogEntry, MetricPoint, Span


def _itself(block: SpanBlock) -> SpanBlock:
    return block


def _segment(block: SpanBlock) -> tuple[str, str] | None:
    return (block.trace_id, block.segment_id) if block.segment_id else None


# How the logs index what they keep (attribute getters where they can: called for each).
_trace = attrgetter("trace_id")
_project = attrgetter("project_id")
_entry_id = attrgetter("id")
_metric_name = attrgetter("name")


def _severity(entry: LogEntry) -> tuple[int, str]:
    return entry.project_id, entry.severity


@implementer(ITraces)
class TraceBook:
    """
    Spans, log entries and metric points, each log holding at most C{capacity} (the oldest
    go first, and are counted).
    """

    def __init__(self, capacity: int) -> None:
        #: Blocks of spans, by trace, project and segment; how many spans they hold is
        #: bounded here, not by the log.
        self._blocks: Log[SpanBlock] = Log(key=_itself, capacity=sys.maxsize, facets={
            "trace": _trace, "project": _project, "segment": _segment},
            on_leave=self._block_removed)
        #: The block of each span kept, by trace and span id (the block itself for a trace
        #: of one block: most are).
        self._span_blocks: dict[str, SpanBlock | dict[str, SpanBlock]] = {}
        #: How many spans are kept, of each project and in all; how many were evicted.
        self._project_spans: dict[int, int] = {}
        self._span_count = 0
        self._spans_evicted = 0
        self._capacity = capacity
        self._serial = 0
        self.logs: Log[LogEntry] = Log(key=_entry_id, capacity=capacity, facets={
            "trace": _trace, "project": _project, "severity": _severity})
        self.metrics: Log[MetricPoint] = Log(key=_entry_id, capacity=capacity, facets={
            "trace": _trace, "project": _project, "name": _metric_name})
        #: The spans kept, by project, operation and duration.
        self.span_index = SpanIndex()
        #: How far ahead of its arrival any span's end, log entry's or metric point's time
        #: was (the most, of all ever kept): entries arrive in the order of their times give or
        #: take this, so a walk newest first knows when no older entry can be later.
        self._ahead = {"spans": -math.inf, "logs": -math.inf, "metrics": -math.inf}
        self.replay_book = ReplayBook(capacity)
        self.profile_book = ProfileBook(capacity)

    def replay(self, replay_id: str) -> Replay | None:
        return self.replay_book.find(replay_id)

    def replays(self) -> list[Replay]:
        return self.replay_book.all()

    def profile(self, profile_id: str) -> Profile | None:
        return self.profile_book.profile(profile_id)

    def profile_chunks(self, project_id: int, profiler_id: str) -> list[Profile]:
        return self.profile_book.chunks(project_id, profiler_id)

    def add_spans(self, block: SpanBlock) -> SpanBlock | None:
        """
        Keep a block of spans, but not a span of a trace and id kept already (the first one
        wins); the oldest spans kept go if there are more than the book holds.

        @return: the block as kept (without such spans), or C{None} if none of its spans is.
        """
        found = self._span_blocks.get(block.trace_id)
        if found is None and not block.repeats:
            # The usual: a trace's first block, of spans of ids all its own.
            self._span_blocks[block.trace_id] = block
        else:
            if type(found) is SpanBlock:
                self._span_blocks[block.trace_id] = dict.fromkeys(found.id_list(), found)
            known = self._span_blocks.get(block.trace_id)
            if block.repeats or (known and not known.keys().isdisjoint(block.id_list())):
                if not self._keep_first(block):
                    return None
            # What came before may have been evicted for the spans it keeps.
            known = self._span_blocks.setdefault(block.trace_id, {})
            known.update(dict.fromkeys(block.id_list(), block))  # type: ignore[union-attr]
        self._serial += 1
        block.serial = self._serial
        self._blocks.add(block)
        self.span_index.add(block)
        count = len(block)
        self._span_count += count
        self._project_spans[block.project_id] = \
            self._project_spans.get(block.project_id, 0) + count
        if block.end_bounds[1] - block.received > self._ahead["spans"]:
            self._ahead["spans"] = block.end_bounds[1] - block.received
        if self._span_count > self._capacity:
            self._evict_spans()
        return block if len(block) else None

    def _keep_first(self, block: SpanBlock) -> bool:
        """
        Leave out of a block each span of an id that is kept when it comes, as if its spans
        came one by one: the oldest spans kept are evicted for each one it keeps past what the
        book holds, and a span of an id evicted so is kept.

        @return: whether any span is left.
        """
        places: list[int] = []
        seen: set[str] = set()
        for place, span_id in enumerate(block.id_list()):
            known = self._span_blocks.get(block.trace_id)
            if span_id in seen or (known is not None and span_id in known):  # type: ignore
                continue
            seen.add(span_id)
            places.append(place)
            if self._span_count + len(places) > self._capacity and len(self._blocks):
                self._evict_spans(1)
        return block.keep(places)

    def _evict_spans(self, count: int | None = None) -> None:
        """
        Evict the oldest spans: C{count} of them, or until no more are kept than the book
        holds.
        """
        left = self._span_count - self._capacity if count is None else count
        while left > 0 and len(self._blocks):
            oldest = self._blocks.all()[0]
            going = min(len(oldest), left)
            left -= going
            self._forget_spans(oldest, oldest.head, oldest.head + going)
            oldest.head += going
            self._spans_evicted += going
            if not len(oldest):
                self._blocks.pop_oldest()

    def _block_removed(self, block: SpanBlock) -> None:
        # A block that leaves with its project: its spans are not counted as evicted.
        self._forget_spans(block, block.head, block.size)

    def _forget_spans(self, block: SpanBlock, start: int, stop: int) -> None:
        """
        Forget the spans of a block at places C{start} to C{stop} (excluded): ids, index and
        counts.
        """
        found = self._span_blocks.get(block.trace_id)
        if found is block:
            if stop >= block.size:
                del self._span_blocks[block.trace_id]
        elif type(found) is dict:
            for place in range(start, stop):
                span_id = block.span_id(place)
                if found.get(span_id) is block:
                    del found[span_id]
            if not found:
                del self._span_blocks[block.trace_id]
        self.span_index.remove(block, start, stop)
        count = stop - start
        self._span_count -= count
        left = self._project_spans.get(block.project_id, 0) - count
        if left > 0:
            self._project_spans[block.project_id] = left
        else:
            self._project_spans.pop(block.project_id, None)

    def add_log(self, entry: LogEntry) -> bool:
        """
        Keep a log entry, unless one of that id is kept already.
        """
        if entry.id in self.logs:
            return False
        self.logs.add(entry)
        if entry.timestamp - entry.received > self._ahead["logs"]:
            self._ahead["logs"] = entry.timestamp - entry.received
        return True

    def add_metric(self, point: MetricPoint) -> None:
        if point.id not in self.metrics:
            self.metrics.add(point)
            if point.timestamp - point.received > self._ahead["metrics"]:
                self._ahead["metrics"] = point.timestamp - point.received

    def span(self, trace_id: str, span_id: str) -> Span | None:
        found = self._span_blocks.get(trace_id)
        block = found.get(span_id) if type(found) is dict else found
        place = block.place_of(span_id) if block is not None else None
        return block.span(place) if place is not None else None

    def spans_of_trace(self, trace_id: str) -> SpanRun:
        return SpanRun(self._blocks.facet("trace", trace_id))

    def spans_of_segment(self, trace_id: str, segment_id: str) -> SpanRun:
        return SpanRun(self._blocks.facet("segment", (trace_id, segment_id)))

    def span_blocks(self) -> Facet[SpanBlock]:
        """
        Every block of spans kept, oldest first.
        """
        return self._blocks.all()

    def logs_of_trace(self, trace_id: str) -> Facet[LogEntry]:
        return self.logs.facet("trace", trace_id)

    def logs_of_severity(self, project_id: int, severity: str) -> Facet[LogEntry]:
        return self.logs.facet("severity", (project_id, severity))

    def metrics_of_trace(self, trace_id: str) -> Facet[MetricPoint]:
        return self.metrics.facet("trace", trace_id)

    def of_project(self, kind: str, project_id: int) -> Any:
        """
        The spans, logs or metrics (C{kind}) of a project, oldest first.
        """
        if kind == "spans":
            return SpanRun(self._blocks.facet("project", project_id),
                           self._project_spans.get(project_id, 0))
        return self._log(kind).facet("project", project_id)

    def ahead(self, kind: str) -> float:
        """
        The most that the time of any of the spans (their end), logs or metrics (C{kind}) kept
        so far was ahead of when it arrived (C{-inf} before the first).
        """
        return self._ahead[kind]

    def all(self, kind: str) -> Any:
        if kind == "spans":
            return SpanRun(self._blocks.all(), self._span_count)
        return self._log(kind).all()

    def evicted(self, kind: str) -> int:
        if kind == "spans":
            return self._spans_evicted
        return self._log(kind).evicted

    def _log(self, kind: str) -> Log[Any]:
        return {"logs": self.logs, "metrics": self.metrics}[kind]

    def forget_project(self, project_id: int) -> None:
        for log in (self._blocks, self.logs, self.metrics):
            log.remove_where("project", project_id)
        self.span_index.forget_project(project_id)

    def live_records(self) -> set[int]:
        """
        The sequence numbers of the journal records that brought what the book holds.
        """
        return {block.seq for block in self._blocks.all()} | \
            {entry.seq for log in (self.logs, self.metrics) for entry in log.all()} | \
            self.replay_book.live_records() | self.profile_book.live_records()

    def counters(self) -> dict[str, int]:
        return {"spans": self._spans_evicted, "logs": self.logs.evicted,
                "metrics": self.metrics.evicted, "replays": self.replay_book.evicted,
                "profiles": self.profile_book.evicted}

    def restore_counters(self, counters: dict[str, Hashable]) -> None:
        for kind, evicted in counters.items():
            if kind == "replays":
                self.replay_book.evicted = int(evicted)  # type: ignore[arg-type]
            elif kind == "profiles":
                self.profile_book.evicted = int(evicted)  # type: ignore[arg-type]
            elif kind == "spans":
                self._spans_evicted = int(evicted)  # type: ignore[arg-type]
            else:
                self._log(kind).evicted = int(evicted)  # type: ignore[arg-type]
