"""
Reading a transaction's spans out of its payload: its segment (from C{contexts.trace}) and the
children that have an id and both times, in one order, so that what the trace book reads as a
transaction arrives (L{sentry_fake.store.span_blocks}) and the spans it makes later are the
same ones.
"""

from __future__ import annotations

from typing import Any

import attrs

from ..timefmt import FROM_ISO, LATEST, UTC, parse_times
from .trace_items import (is_plain_span_id, measurements_of, shared_label, span_id_of, text_of,
                          trace_id_of, v1_attributes)
from .trace_models import Span


#: The most spans of one transaction that are kept (its segment among them; the rest are left
#: out): a block holds no more, its places are 20 bits in the trace book's index, and an event
#: within Sentry's size limits holds far fewer.
MOST_SPANS = 1 << 20
#: The measurements of a span that has none (one mapping for all of them: spans are read,
#: never changed, once kept).
_NONE: dict[str, float] = {}
#: The order of L{Span}'s fields, in which L{spans_of_transaction} builds spans (positional
#: arguments cost a third of keywords: a transaction brings many spans).
_SPAN_FIELDS = ("trace_id", "span_id", "parent_span_id", "segment_id", "is_segment",
                "project_id", "name", "op", "description", "status", "start", "end", "received",
                "segment_name", "environment", "release", "platform", "sdk_name", "origin",
                "attributes", "measurements", "event_id")
assert tuple(field.name for field in attrs.fields(Span))[:len(_SPAN_FIELDS)] == _SPAN_FIELDS


def transaction_segment(doc: dict[str, Any]) -> tuple[dict[str, Any], str, str, float,
                                                        float] | None:
    """
    A transaction's trace context, trace id, segment (its span id), start and end; C{None} if
    it has not all of them (none of its spans is kept then).
    """
    contexts = doc.get("contexts")
    trace = contexts.get("trace") if isinstance(contexts, dict) else None
    if not isinstance(trace, dict):
        return None
    trace_id, segment_id = trace_id_of(trace.get("trace_id")), span_id_of(trace.get("span_id"))
    times = parse_times(doc.get("start_timestamp"), doc.get("timestamp"))
    if trace_id is None or segment_id is None or times is None:
        return None
    return trace, trace_id, segment_id, times[0], times[1]


#: What L{transaction_children} reads: the kept children, their ids, operations (each the one
#: copy of its text kept), starts and ends, by place.
Children = tuple[list[dict[str, Any]], list[str], list["str | None"], list[float], list[float]]


def transaction_children(doc: dict[str, Any]) -> Children:
    """
    The children of a transaction that are kept: those that have an id and both times (the
    rest are left out), as many as L{MOST_SPANS} leaves room for beside the segment.
    """
    kept: list[dict[str, Any]] = []
    ids: list[str] = []
    ops: list[str | None] = []
    starts: list[float] = []
    ends: list[float] = []
    children = doc.get("spans")
    if type(children) is not list:
        return kept, ids, ops, starts, ends
    room = MOST_SPANS - 1
    for child in children:
        # Read with as few calls as can be: a transaction brings many children.
        if type(child) is not dict:
            continue
        get = child.get
        span_id = get("span_id")
        if type(span_id) is not str or is_plain_span_id(span_id) is None:
            span_id = span_id_of(span_id)
            if span_id is None:
                continue
        start, end = get("start_timestamp"), get("timestamp")
        read = False
        if type(start) is str:
            try:
                # What parse_times reads at once (the Python SDK's times), inlined.
                began, ended = FROM_ISO(start), FROM_ISO(end)
                read = began.tzinfo is UTC and ended.tzinfo is UTC and start[4] == "-" and \
                    end[4] == "-"
            except (TypeError, ValueError):
                pass
        if read:
            start, end = began.timestamp(), ended.timestamp()
            if not (0 <= start <= LATEST and 0 <= end <= LATEST):
                continue
        else:
            times = parse_times(start, end)
            if times is None:
                continue
            start, end = times
        if len(kept) == room:
            break
        kept.append(child)
        ids.append(span_id)
        ops.append(shared_label(get("op")))
        starts.append(start)
        ends.append(end)
    return kept, ids, ops, starts, ends


def spans_of_transaction(doc: dict[str, Any], project_id: int, event_id: str,
                         received: float) -> list[Span]:
    """
    A transaction event's spans: its segment (from C{contexts.trace}) first, then its children
    (L{transaction_children}).
    """
    segment = transaction_segment(doc)
    if segment is None:
        return []
    trace, trace_id, segment_id, start, end = segment
    name = text_of(doc.get("transaction")) or "<unlabeled transaction>"
    sdk = doc.get("sdk")
    environment, release = text_of(doc.get("environment")), text_of(doc.get("release"))
    platform = text_of(doc.get("platform"))
    sdk_name = text_of(sdk.get("name")) if isinstance(sdk, dict) else None
    data = trace.get("data")
    found = [Span(
        trace_id, segment_id, span_id_of(trace.get("parent_span_id")), segment_id, True,
        project_id, name, text_of(trace.get("op")), name, text_of(trace.get("status")) or "ok",
        start, end, received, name, environment, release, platform, sdk_name,
        text_of(trace.get("origin")), dict(data) if isinstance(data, dict) else {},
        measurements_of(doc.get("measurements")), event_id)]
    # A parent's id is the string its span keeps, not another copy of it.
    ids = {segment_id: segment_id}
    for child, span_id, op, child_start, child_end in zip(*transaction_children(doc)):
        ids[span_id] = span_id
        parent = span_id_of(child.get("parent_span_id"))
        description = shared_label(child.get("description"))
        measurements = child.get("measurements")
        found.append(Span(
            trace_id, span_id, ids.get(parent, parent), segment_id, False,
            project_id, description or op or "<unlabeled span>", op, description,
            shared_label(child.get("status")) or "ok", child_start, child_end, received,
            name, environment, release, platform, sdk_name,
            shared_label(child.get("origin")), v1_attributes(child),
            measurements_of(measurements) if measurements else _NONE, event_id))
    return found
