"""
The spans of each project by operation, each operation's in order of duration, kept as spans
arrive and leave: how many spans an operation has, and its slowest (or fastest) spans, are read
without scanning every span.  With them, the bounds of the spans' end times, so that a reader
can tell whether a period holds every span.

A span is kept here as its place in its block: C{(duration, block serial, place, block)}, which
sorts by duration and then by arrival, and is made a L{Span} only when read.
"""

from __future__ import annotations

from typing import Any, Iterator

from sortedcontainers import SortedList

from .span_blocks import SpanBlock
from .trace_models import Span


def _span(entry: tuple[float, int, int, SpanBlock]) -> Span:
    return entry[3].span(entry[2])


class ByDuration:
    """
    The spans of one project and operation, shortest first (among spans of the same duration,
    the one that arrived last sorts last); C{newest} is the last one to arrive that is still
    kept.
    """

    __slots__ = ("_entries", "_newest")

    def __init__(self) -> None:
        self._entries: SortedList = SortedList()
        self._newest: tuple[float, int, int, SpanBlock] | None = None

    @property
    def newest(self) -> Span | None:
        return _span(self._newest) if self._newest is not None else None

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[Span]:
        return map(_span, self._entries)

    def __reversed__(self) -> Iterator[Span]:
        return map(_span, reversed(self._entries))

    def __getitem__(self, index: int) -> Span:
        return _span(self._entries[index])

    def add(self, entry: tuple[float, int, int, SpanBlock]) -> None:
        self._entries.add(entry)
        self._newest = entry

    def remove(self, entry: tuple[float, int, int, SpanBlock]) -> None:
        self._entries.discard(entry)
        if self._newest == entry:
            self._newest = None


class SpanIndex:
    """
    Per project: its spans by operation (C{None} for spans without one), and the earliest and
    latest end time of any span it was given (they do not move back when spans leave, so they
    bound the spans kept).
    """

    def __init__(self) -> None:
        self._by_op: dict[int, dict[str | None, ByDuration]] = {}
        self._ends: dict[int, tuple[float, float]] = {}

    def add(self, block: SpanBlock) -> None:
        """
        Index the spans of a block (all of them: it was just kept).
        """
        ops = self._by_op.get(block.project_id)
        if ops is None:
            ops = self._by_op[block.project_id] = {}
        serial, durations = block.serial, block.durations
        for place, op in enumerate(block.ops):
            spans = ops.get(op)
            if spans is None:
                spans = ops[op] = ByDuration()
            spans.add((durations[place], serial, place, block))
        earliest, latest = block.end_bounds
        bounds = self._ends.get(block.project_id)
        if bounds is None:
            self._ends[block.project_id] = block.end_bounds
        elif earliest < bounds[0] or latest > bounds[1]:
            self._ends[block.project_id] = (min(bounds[0], earliest), max(bounds[1], latest))

    def remove(self, block: SpanBlock, start: int, stop: int) -> None:
        """
        Forget the spans of a block at places C{start} to C{stop} (excluded).
        """
        ops = self._by_op.get(block.project_id)
        if ops is None:
            return
        for place in range(start, stop):
            op = block.ops[place]
            spans = ops.get(op)
            if spans is None:
                continue
            spans.remove((block.durations[place], block.serial, place, block))
            if not len(spans):
                del ops[op]

    def forget_project(self, project_id: int) -> None:
        self._by_op.pop(project_id, None)
        self._ends.pop(project_id, None)

    def by_op(self, project_id: int) -> dict[str | None, Any]:
        """
        A project's spans by operation (read-only).
        """
        return self._by_op.get(project_id, {})

    def ends(self, project_id: int) -> tuple[float, float] | None:
        """
        Bounds of the end times of a project's spans, or C{None} if it never had any.
        """
        return self._ends.get(project_id)
