"""
Spans as the trace book keeps them: in blocks, one for the spans of each transaction event and
one for each segment of a span item.  Of a transaction's spans only what the indexes need (ids,
operations, durations) is read as it arrives; they become L{Span}s, read again from the
event's payload, when one of them is first read: most are never read one by one, and a
transaction brings many.

A block's spans leave it oldest first (C{head} counts those gone): the trace book keeps at most
so many spans, not so many blocks.
"""

from __future__ import annotations

from array import array
from typing import Any, Iterable, Iterator, Sequence

from ..jsoncodec import loads
from .trace_items import shared_label
from .transaction_spans import (MOST_SPANS, spans_of_transaction, transaction_children,
                                transaction_segment)
from .trace_models import Span


#: How many characters a span id has (L{span_id_of} reads no other).
ID = 16


class SpanBlock:
    """
    The spans one transaction event, or one segment of a span item, brought: all of one
    trace, segment and project, received at once.

    A span is its place in the block: C{ids} holds their ids one after the other, C{ops} and
    C{durations} (milliseconds) are by place; a block made from a transaction holds the event
    until a span of it is read.
    """

    __slots__ = ("trace_id", "segment_id", "project_id", "received", "seq", "serial", "ids",
                 "size", "repeats", "ops", "durations", "end_bounds", "head", "_spans",
                 "_event", "_first", "_places")

    def __init__(self, trace_id: str, segment_id: str | None, project_id: int,
                 received: float, seq: int, ids: list[str], ops: list[str | None],
                 durations: array, end_bounds: tuple[float, float],
                 spans: list[Span] | None = None, event: Any = None, first: int = 0) -> None:
        self.trace_id = trace_id
        self.segment_id = segment_id
        self.project_id = project_id
        self.received = received
        self.seq = seq
        #: Its place among every block the trace book was given (ties of duration are
        #: broken by it: the later sorts last).
        self.serial = 0
        self.ids = "".join(ids)
        self.size = len(ids)
        #: Whether a span id repeats in it (the first of them is kept).
        self.repeats = len(set(ids)) < len(ids)
        self.ops = ops
        self.durations = durations
        #: The earliest and the latest end of its spans.
        self.end_bounds = end_bounds
        #: How many of its spans (the first ones) have left the trace book.
        self.head = 0
        self._spans = spans
        #: The transaction event its spans are read from, and the place of the first among
        #: what its record brought.
        self._event = event
        self._first = first
        #: The places among the spans read from the event of those it holds, if it does not
        #: hold them all.
        self._places: list[int] | None = None

    @classmethod
    def of_spans(cls, spans: list[Span]) -> SpanBlock:
        """
        A block of spans read already (all of one trace, segment and project).
        """
        first = spans[0]
        ends = [span.end for span in spans]
        return cls(first.trace_id, first.segment_id, first.project_id, first.received,
                   first.seq, [span.span_id for span in spans], [span.op for span in spans],
                   array("d", [span.duration_ms for span in spans]), (min(ends), max(ends)),
                   spans=spans)

    def __len__(self) -> int:
        return self.size - self.head

    def span_id(self, place: int) -> str:
        return self.ids[place * ID:(place + 1) * ID]

    def id_list(self) -> list[str]:
        """
        The ids of its spans still kept, by place.
        """
        ids = self.ids
        return [ids[at:at + ID] for at in range(self.head * ID, len(ids), ID)]

    def place_of(self, span_id: str) -> int | None:
        """
        The place of its span of that id if it is still kept, else C{None}.
        """
        at = self.ids.find(span_id, self.head * ID) if len(span_id) == ID else -1
        while at >= 0 and at % ID:
            # Found across two ids: not one of them.
            at = self.ids.find(span_id, at + 1)
        return at // ID if at >= 0 else None

    def spans(self) -> list[Span]:
        """
        Its spans, those gone too (by place): made when first asked for, the same ones since.
        """
        spans = self._spans
        if spans is None:
            event = self._event
            spans = spans_of_transaction(loads(event.raw), self.project_id, event.event_id,
                                         self.received)
            for ordinal, span in enumerate(spans, self._first):
                span.seq, span.ordinal = self.seq, ordinal
            if self._places is not None:
                spans = [spans[place] for place in self._places]
            self._spans, self._event = spans, None
        return spans

    def live(self) -> list[Span]:
        """
        Its spans still kept, oldest first.
        """
        spans = self.spans()
        return spans[self.head:] if self.head else spans

    def span(self, place: int) -> Span:
        return self.spans()[place]

    def event_ids(self) -> set[str]:
        """
        The transaction events its kept spans belong to.
        """
        if self._spans is None:
            return {self._event.event_id} if len(self) else set()
        return {span.event_id for span in self.live() if span.event_id}

    def keep(self, places: list[int]) -> bool:
        """
        Hold only the spans at C{places} (ascending): those of ids not kept already when it
        came.  Only before the block is kept.

        @return: whether any span is left.
        """
        if len(places) < self.size:
            ids = self.id_list()
            self.ids = "".join(ids[place] for place in places)
            self.size = len(places)
            self.ops = [self.ops[place] for place in places]
            self.durations = array("d", [self.durations[place] for place in places])
            if self._spans is not None:
                self._spans = [self._spans[place] for place in places]
            else:
                self._places = places
        self.repeats = False
        return bool(places)


class SpanRun(Sequence[Span]):
    """
    The kept spans of several blocks (a facet of the trace book: a trace's, a project's),
    oldest first, as a read-only sequence.
    """

    __slots__ = ("_blocks", "_size")

    def __init__(self, blocks: Sequence[SpanBlock], size: int | None = None) -> None:
        self._blocks = blocks
        self._size = size

    def __len__(self) -> int:
        if self._size is None:
            self._size = sum(len(block) for block in self._blocks)
        return self._size

    def __iter__(self) -> Iterator[Span]:
        for block in self._blocks:
            yield from block.live()

    def __reversed__(self) -> Iterator[Span]:
        for block in reversed(self._blocks):
            yield from reversed(block.live())

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return list(self)[index]
        if index < 0:
            index += len(self)
        if index >= 0:
            for block in self._blocks:
                if index < len(block):
                    return block.live()[index]
                index -= len(block)
        raise IndexError(index)


def block_of_transaction(event: Any, doc: dict[str, Any], project_id: int, received: float,
                         seq: int, first: int) -> SpanBlock | None:
    """
    The spans of a transaction C{event} (C{doc} its payload, decoded), numbered from C{first}
    among what its record brought: its segment (from C{contexts.trace}) first, then the
    children L{transaction_children} gives; C{None} if it has no trace or no times.
    """
    segment = transaction_segment(doc)
    if segment is None:
        return None
    trace, trace_id, segment_id, start, end = segment
    _, ids, ops, starts, ends = transaction_children(doc)
    ids.insert(0, segment_id)
    ops.insert(0, shared_label(trace.get("op")))
    durations = array("d", [(end - start) * 1000.0 if end > start else 0.0])
    durations.extend([(ended - began) * 1000.0 if ended > began else 0.0
                      for began, ended in zip(starts, ends)])
    ends.append(end)
    return SpanBlock(trace_id, segment_id, project_id, received, seq, ids, ops, durations,
                     (min(ends), max(ends)), event=event, first=first)


def blocks_of_spans(spans: Iterable[Span]) -> list[SpanBlock]:
    """
    Spans read from a span item, in blocks of consecutive spans of one trace, segment and
    project (at most L{MOST_SPANS} each), in the order read: a span of an id that an earlier
    one has is left out as it would be alone.
    """
    blocks: list[SpanBlock] = []
    group: list[Span] = []
    for span in spans:
        if group and ((span.trace_id, span.segment_id, span.project_id) !=
                      (group[0].trace_id, group[0].segment_id, group[0].project_id) or
                      len(group) == MOST_SPANS):
            blocks.append(SpanBlock.of_spans(group))
            group = []
        group.append(span)
    if group:
        blocks.append(SpanBlock.of_spans(group))
    return blocks
