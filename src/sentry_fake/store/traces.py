"""
The trace book: every span (from transaction events and span items alike), log entry and
metric point the store keeps, each in a bounded log indexed by trace, project and segment, so
that a trace, a segment or a project's newest entries (and its log entries of one severity)
are read without scanning; and the spans
of each project by operation and duration (L{SpanIndex}).
"""

from __future__ import annotations

import math
from typing import Any, Hashable

from zope.interface import implementer

from ..interfaces import ITraces
from .log import Facet, Log
from .recordings import Profile, ProfileBook, Replay, ReplayBook
from .span_index import SpanIndex
from .trace_models import LogEntry, MetricPoint, Span


def _span_key(span: Span) -> tuple[str, str]:
    return span.trace_id, span.span_id


def _segment(span: Span) -> tuple[str, str] | None:
    return (span.trace_id, span.segment_id) if span.segment_id else None


def _trace(entry: Any) -> str | None:
    return entry.trace_id


def _project(entry: Any) -> int:
    return entry.project_id


def _severity(entry: LogEntry) -> tuple[int, str]:
    return entry.project_id, entry.severity


def _entry_id(entry: Any) -> str:
    return entry.id


def _metric_name(point: MetricPoint) -> str:
    return point.name


@implementer(ITraces)
class TraceBook:
    """
    Spans, log entries and metric points, each log holding at most C{capacity} (the oldest
    go first, and are counted).
    """

    def __init__(self, capacity: int) -> None:
        self.spans: Log[Span] = Log(key=_span_key, capacity=capacity, facets={
            "trace": _trace, "project": _project, "segment": _segment})
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

    def add_span(self, span: Span) -> bool:
        """
        Keep a span, unless one of that trace and id is kept already (the first one wins).
        """
        if _span_key(span) in self.spans:
            return False
        evicted = self.spans.add(span)
        self.span_index.add(span)
        if span.end - span.received > self._ahead["spans"]:
            self._ahead["spans"] = span.end - span.received
        if evicted is not None:
            self.span_index.remove(evicted)
        return True

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
        return self.spans.get((trace_id, span_id))

    def spans_of_trace(self, trace_id: str) -> Facet[Span]:
        return self.spans.facet("trace", trace_id)

    def spans_of_segment(self, trace_id: str, segment_id: str) -> Facet[Span]:
        return self.spans.facet("segment", (trace_id, segment_id))

    def logs_of_trace(self, trace_id: str) -> Facet[LogEntry]:
        return self.logs.facet("trace", trace_id)

    def logs_of_severity(self, project_id: int, severity: str) -> Facet[LogEntry]:
        return self.logs.facet("severity", (project_id, severity))

    def metrics_of_trace(self, trace_id: str) -> Facet[MetricPoint]:
        return self.metrics.facet("trace", trace_id)

    def of_project(self, kind: str, project_id: int) -> Facet[Any]:
        """
        The spans, logs or metrics (C{kind}) of a project, oldest first.
        """
        return self._log(kind).facet("project", project_id)

    def ahead(self, kind: str) -> float:
        """
        The most that the time of any of the spans (their end), logs or metrics (C{kind}) kept
        so far was ahead of when it arrived (C{-inf} before the first).
        """
        return self._ahead[kind]

    def all(self, kind: str) -> Facet[Any]:
        return self._log(kind).all()

    def evicted(self, kind: str) -> int:
        return self._log(kind).evicted

    def _log(self, kind: str) -> Log[Any]:
        return {"spans": self.spans, "logs": self.logs, "metrics": self.metrics}[kind]

    def forget_project(self, project_id: int) -> None:
        for log in (self.spans, self.logs, self.metrics):
            log.remove_where("project", project_id)
        self.span_index.forget_project(project_id)

    def live_records(self) -> set[int]:
        """
        The sequence numbers of the journal records that brought what the book holds.
        """
        return {entry.seq for log in (self.spans, self.logs, self.metrics)
                for entry in log.all()} | self.replay_book.live_records() | \
            self.profile_book.live_records()

    def counters(self) -> dict[str, int]:
        return {"spans": self.spans.evicted, "logs": self.logs.evicted,
                "metrics": self.metrics.evicted, "replays": self.replay_book.evicted,
                "profiles": self.profile_book.evicted}

    def restore_counters(self, counters: dict[str, Hashable]) -> None:
        for kind, evicted in counters.items():
            if kind == "replays":
                self.replay_book.evicted = int(evicted)  # type: ignore[arg-type]
            elif kind == "profiles":
                self.profile_book.evicted = int(evicted)  # type: ignore[arg-type]
            else:
                self._log(kind).evicted = int(evicted)  # type: ignore[arg-type]
