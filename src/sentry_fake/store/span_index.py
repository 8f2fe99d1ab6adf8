"""
The spans of each project by operation, each operation's in order of duration, kept as spans
arrive and leave: how many spans an operation has, and its slowest (or fastest) spans, are read
without scanning every span.  With them, the bounds of the spans' end times, so that a reader
can tell whether a period holds every span.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from typing import Iterator

from .trace_models import Span


def _key(span: Span) -> tuple[float, int, int]:
    # (seq, ordinal) is unique among the spans kept and grows as they arrive: among spans of
    # the same duration, the newest sorts last.
    return span.duration_ms, span.seq, span.ordinal


class ByDuration:
    """
    The spans of one project and operation, shortest first; C{newest} is the last one to
    arrive that is still kept.
    """

    __slots__ = ("_keys", "_spans", "newest")

    def __init__(self) -> None:
        self._keys: list[tuple[float, int, int]] = []
        self._spans: dict[tuple[float, int, int], Span] = {}
        self.newest: Span | None = None

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self) -> Iterator[Span]:
        spans = self._spans
        return (spans[key] for key in self._keys)

    def __reversed__(self) -> Iterator[Span]:
        spans = self._spans
        return (spans[key] for key in reversed(self._keys))

    def __getitem__(self, index: int) -> Span:
        return self._spans[self._keys[index]]

    def add(self, span: Span) -> None:
        key = _key(span)
        insort(self._keys, key)
        self._spans[key] = span
        self.newest = span

    def remove(self, span: Span) -> None:
        key = _key(span)
        if self._spans.pop(key, None) is None:
            return
        del self._keys[bisect_left(self._keys, key)]
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
        earliest, latest = self._ends.get(span.project_id, (span.end, span.end))
        self._ends[span.project_id] = (min(earliest, span.end), max(latest, span.end))

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
