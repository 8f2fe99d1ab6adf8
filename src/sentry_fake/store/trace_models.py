"""
What traces are made of, as the store keeps them: spans (from transaction events and from span
items, in one index), log entries and metric points.  Each carries the sequence number of the
journal record it came from, and its place among what that record brought.
"""

from __future__ import annotations

from typing import Any

import attrs


@attrs.define(eq=False, slots=True)
class Span:
    """
    One span.  C{segment_id} is the span id of its segment (the transaction it belongs to);
    a segment's own is its span id.  Times are epoch seconds.
    """

    trace_id: str
    span_id: str
    parent_span_id: str | None
    segment_id: str | None
    is_segment: bool
    project_id: int
    name: str
    op: str | None
    description: str | None
    status: str
    start: float
    end: float
    received: float
    #: The name of its segment (Sentry's C{transaction}).
    segment_name: str | None = None
    environment: str | None = None
    release: str | None = None
    platform: str | None = None
    sdk_name: str | None = None
    origin: str | None = None
    #: Attribute values by name (a v2 span's typed values read; a v1 span's C{data} and
    #: C{tags}).
    attributes: dict[str, Any] = attrs.Factory(dict)
    measurements: dict[str, float] = attrs.Factory(dict)
    #: The transaction event it came from (for a segment built from streamed spans, the one
    #: built for it).
    event_id: str | None = None
    seq: int = 0
    ordinal: int = 0

    @property
    def duration_ms(self) -> float:
        seconds = self.end - self.start
        return seconds * 1000.0 if seconds > 0 else 0.0


@attrs.define(eq=False, slots=True)
class LogEntry:
    """
    One log line an SDK sent (a C{log} item holds many).
    """

    id: str
    project_id: int
    timestamp: float
    received: float
    severity: str
    severity_number: int
    body: str
    trace_id: str | None = None
    span_id: str | None = None
    environment: str | None = None
    release: str | None = None
    sdk_name: str | None = None
    attributes: dict[str, Any] = attrs.Factory(dict)
    seq: int = 0
    ordinal: int = 0


@attrs.define(eq=False, slots=True)
class MetricPoint:
    """
    One metric sample (C{trace_metric} items): a counter increment, a gauge or a
    distribution value.
    """

    id: str
    project_id: int
    timestamp: float
    received: float
    name: str
    type: str
    value: float
    unit: str | None = None
    trace_id: str | None = None
    span_id: str | None = None
    environment: str | None = None
    release: str | None = None
    attributes: dict[str, Any] = attrs.Factory(dict)
    seq: int = 0
    ordinal: int = 0
