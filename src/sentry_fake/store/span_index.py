"""
The spans of each project by operation, each operation's in order of duration, kept as spans
arrive and leave: how many spans an operation has, and its slowest (or fastest) spans, are read
without scanning every span.  With them, the bounds of the spans' end times, so that a reader
can tell whether a period holds every span.
"""

from __future__ import annotations

from typing import Iterator

from sortedcontainers import SortedKeyList

from .trace_models import Span


def _duration(span: Span) -> float:
    return span.duration_ms


class ByDuration:
    """
    The spans of one project and operation, shortest first (among spans of the same duration,
    the one that arrived last sorts last); C{newest} is the last one to arrive that is still
    kept.
    """

    __slots__ = ("_spans", "newest")

    def __init__(self) -> None:
        self._spans: SortedKeyList = SortedKeyList(key=_duration)
        self.newest: Span | None = None

    def __len__(self) -> int:
        return len(self._spans)

    def __iter__(self) -> Iterator[Span]:
        return iter(self._spans)

    def __reversed__(self) -> Iterator[Span]:
        return reversed(self._spans)

    def __getitem__(self, index: int) -> Span:
        return self._spans[index]

    def add(self, span: Span) -> None:
        # Added after the spans of the same duration: arrival breaks ties.
        self._spans.add(span)
        self.newest = span

    def remove(self, span: Span) -> None:
        # Spans compare by identity: this removes that span, not another of its duration.
        self._spans.discard(span)
        if self.newest is span:
            self.newest = None


class SpanIndex:
    """
    Per project: its spans by operation (C{None} for spans without one), and the earliest and
    latest end time of any span it was given (they do not move back when spans leave, so they
    bound the spans kept).
    """

    def __init__(self) -> None:
        self._by_op: dict[int, dict[str | None, ByDuration]] = {}
        self._ends: dict[int, tuple[float, float]] = {}

    def add(self, span: Span) -> None:
        ops = self._by_op.setdefault(span.project_id, {})
        spans = ops.get(span.op)
        if spans is None:
            spans = ops[span.op] = ByDuration()
        spans.add(span)
        end = span.end
        bounds = self._ends.get(span.project_id)
        if bounds is None:
            self._ends[span.project_id] = (end, end)
        elif end < bounds[0] or end > bounds[1]:
            self._ends[span.project_id] = (min(bounds[0], end), max(bounds[1], end))

    def remove(self, span: Span) -> None:
        ops = self._by_op.get(span.project_id)
        spans = ops.get(span.op) if ops is not None else None
        if spans is None:
            return
        spans.remove(span)
        if not len(spans):
            del ops[span.op]

    def forget_project(self, project_id: int) -> None:
        self._by_op.pop(project_id, None)
        self._ends.pop(project_id, None)

    def by_op(self, project_id: int) -> dict[str | None, ByDuration]:
        """
        A project's spans by operation (read-only).
        """
        return self._by_op.get(project_id, {})

    def ends(self, project_id: int) -> tuple[float, float] | None:
        """
        Bounds of the end times of a project's spans, or C{None} if it never had any.
        """
        return self._ends.get(project_id)
