"""
A trace read out of the store's trace book: its span tree (each span under its parent, the
errors that happened in a span under it), a summary of it (its root, how many spans and
errors, when it started and how long it took), and the newest traces, found by walking the
spans newest first.  Sentry's trace API (C{trace/{id}/}) and the trace pages share these.
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator

import attrs

from ..store.trace_models import Span

#: The event types that are not errors of a trace.
NOT_ERRORS = frozenset({"transaction", "feedback"})


@attrs.define(eq=False)
class TraceNode:
    """
    One span of a trace, with its depth (a root's is 0), its children in the order they
    started, and the error events that happened in it.
    """

    span: Span
    depth: int = 0
    children: list[TraceNode] = attrs.Factory(list)
    errors: list[Any] = attrs.Factory(list)


@attrs.frozen
class TraceTree:
    """
    C{roots}: the spans whose parent is not in the trace, in the order they started;
    C{orphan_errors}: the errors whose span is not in it.
    """

    roots: list[TraceNode]
    orphan_errors: list[Any]

    def walk(self) -> Iterator[TraceNode]:
        """
        Every node, each before its children (the order of a waterfall), without recursion.
        """
        pending = list(reversed(self.roots))
        while pending:
            node = pending.pop()
            yield node
            pending.extend(reversed(node.children))


def trace_errors(events: Iterable[Any], project_ids: Iterable[int]) -> list[Any]:
    """
    The error events of a trace (its C{events_of_trace}) in some projects.
    """
    allowed = set(project_ids)
    return [event for event in events
            if event.type not in NOT_ERRORS and event.project_id in allowed]


def build_tree(spans: Iterable[Span], errors: Iterable[Any] = ()) -> TraceTree:
    """
    The span tree of a trace's spans, each error (an event with a C{span_id}) under the span
    it happened in.  A span whose parent chain loops back on itself stands as a root.
    """
    ordered = sorted(spans, key=lambda span: span.start)
    nodes = {span.span_id: TraceNode(span) for span in ordered}
    roots = []
    for span in ordered:
        parent = nodes.get(span.parent_span_id or "")
        if parent is None or parent is nodes[span.span_id]:
            roots.append(nodes[span.span_id])
        else:
            parent.children.append(nodes[span.span_id])
    if _set_depths(roots) < len(nodes):
        # Spans in a loop of parents are reached from no root: each loop is cut above its
        # earliest span, which stands as a root.
        seen = {id(node) for node in TraceTree(roots, []).walk()}
        for span in ordered:
            node = nodes[span.span_id]
            if id(node) in seen:
                continue
            nodes[span.parent_span_id or ""].children.remove(node)
            roots.append(node)
            seen.update(id(found) for found in TraceTree([node], []).walk())
        roots.sort(key=lambda node: node.span.start)
        _set_depths(roots)
    orphans = []
    for event in errors:
        holder = nodes.get(getattr(event, "span_id", None) or "")
        (holder.errors if holder is not None else orphans).append(event)
    return TraceTree(roots, orphans)


def _set_depths(roots: list[TraceNode]) -> int:
    count = 0
    pending = [(node, 0) for node in roots]
    while pending:
        node, depth = pending.pop()
        node.depth = depth
        count += 1
        pending.extend((child, depth + 1) for child in node.children)
    return count


@attrs.frozen
class TraceSummary:
    """
    What a list of traces shows of one: its root span (the earliest span whose parent is not
    in the trace), its span and error counts, its start and end (over all its spans).
    """

    trace_id: str
    root: Span
    spans: int
    errors: int
    start: float
    end: float

    @property
    def duration_ms(self) -> float:
        return max(self.end - self.start, 0.0) * 1000.0

    @property
    def name(self) -> str:
        return self.root.segment_name or self.root.name


def summarize(trace_id: str, spans: Iterable[Span], errors: int) -> TraceSummary | None:
    """
    A trace's summary from its spans (C{None} when it has none).
    """
    found = list(spans)
    if not found:
        return None
    ids = {span.span_id for span in found}
    roots = [span for span in found if span.parent_span_id not in ids] or found
    root = min(roots, key=lambda span: (span.start, not span.is_segment))
    return TraceSummary(trace_id=trace_id, root=root, spans=len(found), errors=errors,
                        start=min(span.start for span in found),
                        end=max(span.end for span in found))


def newest_traces(spans: Iterable[Span], offset: int, count: int) -> tuple[list[str], bool]:
    """
    The trace ids of C{spans} (newest first), each once, in the order their newest span
    came: C{count} of them after the C{offset} first, and whether more follow.  Reads only as
    many spans as it takes.
    """
    wanted = offset + count + 1
    seen: dict[str, None] = {}
    for span in spans:
        if span.trace_id not in seen:
            seen[span.trace_id] = None
            if len(seen) >= wanted:
                break
    ids = list(seen)
    return ids[offset:offset + count], len(ids) > offset + count
