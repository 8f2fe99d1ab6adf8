"""
Reading spans, log entries and metric points out of what SDKs send: span items (v1, one span as
JSON; v2, a container of spans with typed attributes), C{log} and C{trace_metric} containers,
and the ids, texts and attributes a transaction's spans are read with too (they are read in
L{sentry_fake.store.transaction_spans}).  Pure functions of the payload: what cannot be read is left out,
as Relay drops an invalid span or log and keeps the rest of the envelope.

Ids are derived from the journal record (its sequence number and the entry's place in it), so
a replay derives the same ones.
"""

from __future__ import annotations

import hashlib
import re
from sys import intern
from typing import Any, Iterator

from ..jsoncodec import finite_number
from ..timefmt import parse_timestamp
from .trace_models import LogEntry, MetricPoint, Span

_TRACE_ID = re.compile(r"[0-9a-f]{32}")
_SPAN_ID = re.compile(r"[0-9a-f]{16}")
#: Whether a text is a span id as SDKs write them (16 lower-case hex digits).
is_plain_span_id = _SPAN_ID.fullmatch
#: OpenTelemetry's severity numbers of each level (the lowest of its range).
SEVERITY_NUMBERS = {"trace": 1, "debug": 5, "info": 9, "warn": 13, "warning": 13,
                    "error": 17, "fatal": 21}
_SEVERITY_TEXTS = ((21, "fatal"), (17, "error"), (13, "warn"), (9, "info"), (5, "debug"),
                   (1, "trace"))


def trace_id_of(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.replace("-", "").lower()
    return value if _TRACE_ID.fullmatch(value) else None


def span_id_of(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    if _SPAN_ID.fullmatch(value):
        return value  # as SDKs write them: lower case already
    value = value.lower()
    return value if _SPAN_ID.fullmatch(value) else None


def text_of(value: Any) -> str | None:
    """
    A text that is not empty, or C{None}.
    """
    return value if isinstance(value, str) and value else None


def trace_of(payload: dict[str, Any]) -> tuple[str | None, str | None]:
    """
    The trace and span an event happened in, from its C{contexts.trace}.
    """
    contexts = payload.get("contexts")
    trace = contexts.get("trace") if isinstance(contexts, dict) else None
    if not isinstance(trace, dict):
        return None, None
    return trace_id_of(trace.get("trace_id")), span_id_of(trace.get("span_id"))


def typed_values(attributes: Any) -> dict[str, Any]:
    """
    A v2 attribute map (C{{"key": {"value": ..., "type": "string"}}}) as plain values.
    """
    if not isinstance(attributes, dict):
        return {}
    values = {}
    for key, attribute in attributes.items():
        if isinstance(attribute, dict) and "value" in attribute:
            values[key] = attribute["value"]
    return values


def entry_id(seq: int, ordinal: int) -> str:
    """
    The id of the C{ordinal}th entry that record C{seq} brought (32 hex digits, as Sentry's
    C{sentry.item_id}).
    """
    return hashlib.md5(f"{seq}:{ordinal}".encode(), usedforsecurity=False).hexdigest()


def segment_event_id(trace_id: str, span_id: str) -> str:
    """
    The id of the transaction event a segment of streamed spans is shown as.
    """
    return hashlib.md5(f"{trace_id}:{span_id}".encode(), usedforsecurity=False).hexdigest()


def measurements_of(value: Any) -> dict[str, float]:
    """
    A span's or an event's measurements as numbers by name (what is not one is left out).
    """
    found = {}
    if isinstance(value, dict):
        for name, measurement in value.items():
            number = finite_number(measurement.get("value") if isinstance(measurement, dict)
                                   else measurement)
            if number is not None:
                found[name] = number
    return found


def v1_attributes(span: dict[str, Any]) -> dict[str, Any]:
    """
    A v1 span's attributes: its C{tags} and its C{data} (which wins), each short text the one
    copy of it kept (spans repeat a thread's name, a database's system).
    """
    tags, data = span.get("tags"), span.get("data")
    if type(data) is not dict:
        data = {}
    if tags and type(tags) is dict:
        data = {**tags, **data}
    return {key: shared_text(value) for key, value in data.items()}


#: Texts longer than this are not shared between spans (an operation, a status, the
#: description of a query that the spans of many transactions repeat are shorter).
_SHARED_LONGEST = 200


def shared_text(value: Any) -> Any:
    """
    C{value} as the one copy of it kept, if it is a short text (anything else as it is): a
    span keeps what it read, and a decoded payload makes a new string of every text.
    """
    if type(value) is str and len(value) <= _SHARED_LONGEST:
        return intern(value)
    return value


def shared_label(value: Any) -> str | None:
    """
    A text that is not empty, as the one copy of it kept if it is short; C{None} for anything
    else.
    """
    if type(value) is not str or not value:
        return None
    return intern(value) if len(value) <= _SHARED_LONGEST else value


def _v2_span(span: dict[str, Any], project_id: int, received: float) -> Span | None:
    trace_id, span_id = trace_id_of(span.get("trace_id")), span_id_of(span.get("span_id"))
    start = parse_timestamp(span.get("start_timestamp"))
    end = parse_timestamp(span.get("end_timestamp"))
    if trace_id is None or span_id is None or start is None or end is None:
        return None
    attributes = typed_values(span.get("attributes"))
    is_segment = span.get("is_segment") is True
    segment_id = span_id_of(attributes.get("sentry.segment.id")) or (
        span_id if is_segment else None)
    name = text_of(span.get("name")) or "<unlabeled span>"
    return Span(
        trace_id=trace_id, span_id=span_id,
        parent_span_id=span_id_of(span.get("parent_span_id")), segment_id=segment_id,
        is_segment=is_segment, project_id=project_id, name=name,
        op=text_of(attributes.get("sentry.op")),
        description=text_of(attributes.get("sentry.description")) or name,
        status=text_of(span.get("status")) or "ok", start=start, end=end, received=received,
        segment_name=text_of(attributes.get("sentry.segment.name")) or (name if is_segment
                                                                      else None),
        environment=text_of(attributes.get("sentry.environment")),
        release=text_of(attributes.get("sentry.release")),
        platform=text_of(attributes.get("sentry.platform")),
        sdk_name=text_of(attributes.get("sentry.sdk.name")),
        origin=text_of(attributes.get("sentry.origin")), attributes=attributes,
        measurements=measurements_of(span.get("measurements")))


def _v1_span(span: dict[str, Any], project_id: int, received: float) -> Span | None:
    trace_id, span_id = trace_id_of(span.get("trace_id")), span_id_of(span.get("span_id"))
    start = parse_timestamp(span.get("start_timestamp"))
    end = parse_timestamp(span.get("timestamp"))
    if trace_id is None or span_id is None or start is None or end is None:
        return None
    is_segment = span.get("is_segment") is True
    description = text_of(span.get("description"))
    attributes = v1_attributes(span)
    return Span(
        trace_id=trace_id, span_id=span_id,
        parent_span_id=span_id_of(span.get("parent_span_id")),
        segment_id=span_id_of(span.get("segment_id")) or (span_id if is_segment else None),
        is_segment=is_segment, project_id=project_id,
        name=description or text_of(span.get("op")) or "<unlabeled span>",
        op=text_of(span.get("op")), description=description,
        status=text_of(span.get("status")) or "ok", start=start, end=end, received=received,
        segment_name=text_of(attributes.get("transaction")),
        environment=text_of(attributes.get("environment")),
        release=text_of(attributes.get("release")), origin=text_of(span.get("origin")),
        attributes=attributes, measurements=measurements_of(span.get("measurements")))


def spans_of_item(payload: Any, project_id: int, received: float) -> list[Span]:
    """
    The spans of a C{span} item: a v2 container (C{{"items": [...]}}) or one v1 span.
    """
    if not isinstance(payload, dict):
        return []
    if isinstance(payload.get("items"), list):
        read = (_v2_span(span, project_id, received) for span in payload["items"]
                if isinstance(span, dict))
    else:
        read = iter([_v1_span(payload, project_id, received)])
    return [span for span in read if span is not None]


def _container(payload: Any) -> Iterator[dict[str, Any]]:
    items = payload.get("items") if isinstance(payload, dict) else None
    for item in items if isinstance(items, list) else ():
        if isinstance(item, dict):
            yield item


def severitytext_of(number: int) -> str:
    return next((text for floor, text in _SEVERITY_TEXTS if number >= floor), "trace")


def logs_of_item(payload: Any, project_id: int, received: float, seq: int,
                 first: int) -> list[LogEntry]:
    """
    The log entries of a C{log} item (numbered from C{first} among the record's entries).
    """
    found = []
    for entry in _container(payload):
        timestamp = parse_timestamp(entry.get("timestamp"))
        body = entry.get("body")
        if timestamp is None or not isinstance(body, str):
            continue
        attributes = typed_values(entry.get("attributes"))
        level = text_of(entry.get("level")) or text_of(attributes.get("sentry.severity_text"))
        number = entry.get("severity_number", attributes.get("sentry.severity_number"))
        if not isinstance(number, int) or isinstance(number, bool) or not 1 <= number <= 24:
            number = SEVERITY_NUMBERS.get((level or "info").lower(), 9)
        ordinal = first + len(found)
        found.append(LogEntry(
            id=entry_id(seq, ordinal), project_id=project_id, timestamp=timestamp,
            received=received, severity=(level or severitytext_of(number)).lower(),
            severity_number=number, body=body, trace_id=trace_id_of(entry.get("trace_id")),
            span_id=span_id_of(entry.get("span_id")),
            environment=text_of(attributes.get("sentry.environment")),
            release=text_of(attributes.get("sentry.release")),
            sdk_name=text_of(attributes.get("sentry.sdk.name")), attributes=attributes,
            seq=seq, ordinal=ordinal))
    return found


def metrics_of_item(payload: Any, project_id: int, received: float, seq: int,
                    first: int) -> list[MetricPoint]:
    """
    The metric points of a C{trace_metric} item.
    """
    found = []
    for point in _container(payload):
        timestamp = parse_timestamp(point.get("timestamp"))
        name, kind = point.get("name"), point.get("type")
        value = finite_number(point.get("value"))
        if timestamp is None or value is None or not text_of(name) or \
                kind not in ("counter", "gauge", "distribution"):
            continue
        attributes = typed_values(point.get("attributes"))
        ordinal = first + len(found)
        found.append(MetricPoint(
            id=entry_id(seq, ordinal), project_id=project_id, timestamp=timestamp,
            received=received, name=name, type=kind, value=value,
            unit=text_of(point.get("unit")), trace_id=trace_id_of(point.get("trace_id")),
            span_id=span_id_of(point.get("span_id")),
            environment=text_of(attributes.get("sentry.environment")),
            release=text_of(attributes.get("sentry.release")), attributes=attributes,
            seq=seq, ordinal=ordinal))
    return found


def transaction_of_segment(segment: Span, children: list[Span]) -> dict[str, Any]:
    """
    The transaction event a segment of streamed spans is shown as, where clients look for
    one: its spans are the children that arrived by the time the segment did.
    """
    trace = {"trace_id": segment.trace_id, "span_id": segment.span_id,
             "parent_span_id": segment.parent_span_id, "op": segment.op,
             "status": segment.status, "origin": segment.origin,
             "data": dict(segment.attributes)}
    doc: dict[str, Any] = {
        "event_id": segment_event_id(segment.trace_id, segment.span_id),
        "type": "transaction", "transaction": segment.segment_name or segment.name,
        "start_timestamp": segment.start, "timestamp": segment.end,
        "contexts": {"trace": trace}, "measurements": {
            name: {"value": value} for name, value in segment.measurements.items()},
        "spans": [{"trace_id": child.trace_id, "span_id": child.span_id,
                   "parent_span_id": child.parent_span_id, "op": child.op,
                   "description": child.description, "status": child.status,
                   "origin": child.origin, "start_timestamp": child.start,
                   "timestamp": child.end, "data": dict(child.attributes)}
                  for child in children],
    }
    for field in ("environment", "release", "platform"):
        if getattr(segment, field):
            doc[field] = getattr(segment, field)
    if segment.sdk_name:
        doc["sdk"] = {"name": segment.sdk_name,
                      "version": segment.attributes.get("sentry.sdk.version")}
    return doc
