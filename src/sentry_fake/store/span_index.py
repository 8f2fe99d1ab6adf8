"""
The spans of each project by operation, each operation's in order of duration, kept as spans
arrive and leave: how many spans an operation has, and its slowest (or fastest) spans, are read
without scanning every span.  With them, the bounds of the spans' end times, so that a reader
can tell whether a period holds every span.

A span is kept here as one integer, which sorts as the span does (by duration, then by arrival:
its block's serial and its place in the block) and names its block and place: the bits of its
duration (a double that is not negative sorts as the integer its bits are), the serial, the
place.  It is made a L{Span} only when read.
"""

from __future__ import annotations

import struct
from array import array
from typing import Any, Iterator

from sortedcontainers import SortedList

from .span_blocks import SpanBlock
from .transaction_spans import MOST_SPANS
from .trace_models import Span

#: A place in a block (L{MOST_SPANS} at most), a block's serial (a trillion blocks).
_PLACE_BITS = (MOST_SPANS - 1).bit_length()
_SERIAL_BITS = 40
_DURATION_SHIFT = _PLACE_BITS + _SERIAL_BITS
_PLACE_MASK = (1 << _PLACE_BITS) - 1
_SERIAL_MASK = (1 << _SERIAL_BITS) - 1
_DOUBLE = struct.Struct("<d")
_BITS = struct.Struct("<Q")
#: Keys put aside are sorted in with the rest once there are as many of them (and at least
#: _SORTED_AT); at a read, one by one if they are fewer than a 1/_MERGED_AT part of the rest.
_MERGED_AT = 16
_SORTED_AT = 256


def _duration_bits(duration: float) -> int:
    return _BITS.unpack(_DOUBLE.pack(duration))[0]


def _keys(block: SpanBlock) -> Iterator[int]:
    """
    The keys of a block's spans, by place.
    """
    bits = array("Q")
    bits.frombytes(block.durations.tobytes())
    base = block.serial << _PLACE_BITS
    return ((duration << _DURATION_SHIFT) | base | place for place, duration in enumerate(bits))


class ByDuration:
    """
    The spans of one project and operation, shortest first (among spans of the same duration,
    the one that arrived last sorts last); C{newest} is the last one to arrive that is still
    kept.

    Keys that arrive are put aside (by L{SpanIndex.add}) and sorted in when the spans are next
    read, or once as many have arrived as are sorted: sorting many at once costs a fraction of
    placing each one.
    """

    __slots__ = ("_keys", "_arrived", "_arrived_from", "_newest", "_blocks")

    def __init__(self, blocks: dict[int, SpanBlock]) -> None:
        self._keys: SortedList = SortedList()
        #: Keys not sorted in yet, and the serial of the block of the first of them (those of
        #: older blocks are all sorted in).
        self._arrived: list[int] = []
        self._arrived_from = 0
        self._newest: int | None = None
        #: The blocks of the spans kept, by serial.
        self._blocks = blocks

    def _span(self, key: int) -> Span:
        return self._blocks[(key >> _PLACE_BITS) & _SERIAL_MASK].span(key & _PLACE_MASK)

    def _sorted(self) -> SortedList:
        """
        The keys, every one sorted in.
        """
        arrived = self._arrived
        if arrived:
            keys = self._keys
            if len(arrived) * _MERGED_AT < len(keys):
                keys.update(arrived)  # a few: each put in its place
            else:
                # Many: sorted with the rest, at the speed of a sort of mostly sorted keys.
                arrived.extend(keys)
                self._keys = SortedList(arrived)
            self._arrived = []
        return self._keys

    @property
    def newest(self) -> Span | None:
        return self._span(self._newest) if self._newest is not None else None

    def __len__(self) -> int:
        return len(self._keys) + len(self._arrived)

    def __iter__(self) -> Iterator[Span]:
        return map(self._span, self._sorted())

    def __reversed__(self) -> Iterator[Span]:
        return map(self._span, reversed(self._sorted()))

    def __getitem__(self, index: int) -> Span:
        return self._span(self._sorted()[index])

    def remove(self, key: int) -> None:
        if self._arrived and (key >> _PLACE_BITS) & _SERIAL_MASK >= self._arrived_from:
            self._sorted()  # it may be among those put aside (rare: the oldest leave first)
        self._keys.discard(key)
        if self._newest == key:
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
        #: The blocks whose spans it holds, by serial.
        self._blocks: dict[int, SpanBlock] = {}

    def add(self, block: SpanBlock) -> None:
        """
        Index the spans of a block (all of them: it was just kept).
        """
        ops = self._by_op.get(block.project_id)
        if ops is None:
            ops = self._by_op[block.project_id] = {}
        self._blocks[block.serial] = block
        serial = block.serial
        for op, key in zip(block.ops, _keys(block)):
            spans = ops.get(op)
            if spans is None:
                spans = ops[op] = ByDuration(self._blocks)
            # Put aside (the ingest path, once per span: no call), sorted in at the next
            # read, or now if as many arrived as are sorted.
            arrived = spans._arrived
            if not arrived:
                spans._arrived_from = serial
            arrived.append(key)
            spans._newest = key
            if len(arrived) >= _SORTED_AT and len(arrived) >= len(spans._keys):
                spans._sorted()
        earliest, latest = block.end_bounds
        bounds = self._ends.get(block.project_id)
        if bounds is None:
            self._ends[block.project_id] = block.end_bounds
        elif earliest < bounds[0] or latest > bounds[1]:
            self._ends[block.project_id] = (min(bounds[0], earliest), max(bounds[1], latest))

    def remove(self, block: SpanBlock, start: int, stop: int) -> None:
        """
        Forget the spans of a block at places C{start} to C{stop} (excluded): the last ones it
        has when C{stop} is its size.
        """
        ops = self._by_op.get(block.project_id)
        base = block.serial << _PLACE_BITS
        for place in range(start, stop) if ops is not None else ():
            op = block.ops[place]
            spans = ops.get(op)  # type: ignore[union-attr]
            if spans is None:
                continue
            spans.remove((_duration_bits(block.durations[place]) << _DURATION_SHIFT) | base |
                         place)
            if not len(spans):
                del ops[op]  # type: ignore[union-attr]
        if stop >= block.size:
            self._blocks.pop(block.serial, None)

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
