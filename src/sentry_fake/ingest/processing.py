"""
What happens to each envelope item: events and transactions become stored events, everything
else is kept as a captured item.  The whole envelope is checked before anything is stored, so a
refused envelope leaves nothing behind and an accepted one loses nothing.
"""

from __future__ import annotations

from typing import Any

from ..errors import Invalid, TooLarge
from ..jsoncodec import loads
from ..store.limits import Limits
from ..store.monitors import parse_check_in
from ..store.normalize import normalize_event_id
from .batch import IngestBatch
from .envelope import Envelope

EVENT_TYPES = frozenset({"event", "transaction"})
_EVENT_SIZED = frozenset({"event", "transaction", "span", "feedback", "user_report", "security",
                          "raw_security", "otel_span", "log", "otel_log", "trace_metric"})


def _size_limit(item_type: str, limits: Limits) -> int:
    if item_type in _EVENT_SIZED:
        return limits.event
    if item_type == "check_in":
        return limits.check_in
    return limits.attachment


def _too_large(item_type: str) -> TooLarge:
    return TooLarge(f"envelope exceeded size limits for type '{item_type}' "
                    "(https://develop.sentry.dev/sdk/envelopes/#size-limits)")


def decode_event(payload: bytes) -> dict[str, Any]:
    """
    An event item's payload as a JSON object.

    @raise Invalid: it is not one.
    """
    try:
        value = loads(payload)
    except ValueError as error:
        raise Invalid("invalid event envelope", causes=[f"invalid event payload: {error}"])
    if not isinstance(value, dict):
        raise Invalid("invalid event envelope", causes=["the event payload must be a JSON object"])
    return value


def accept_envelope(batch: IngestBatch, envelope: Envelope, limits: Limits) -> str | None:
    """
    Check every item of an envelope and add it to the request's batch.

    @return: the id of the event the envelope carried, if any.
    @raise Invalid: an event or check-in item is not a JSON object, or there is more than one
        event.
    @raise TooLarge: an item is over its size limit.
    """
    decoded: list[tuple[Any, dict[str, Any] | None]] = []
    events = 0
    check_ins: list[dict[str, Any]] = []
    for item in envelope.items:
        item_type = item.headers["type"]
        if len(item.payload) > _size_limit(item_type, limits):
            raise _too_large(item_type)
        payload = None
        if item_type in EVENT_TYPES:
            events += 1
            if events > 1:
                raise Invalid("invalid event envelope",
                              causes=["duplicate event or transaction item in envelope"])
            payload = decode_event(item.payload)
        elif item_type == "check_in":
            check_in = parse_check_in(item.payload)
            if check_in is not None:
                check_ins.append(check_in)
        decoded.append((item, payload))

    header_id = envelope.headers.get("event_id")
    event_id = normalize_event_id(header_id) if header_id else None
    if header_id and event_id is None:
        raise Invalid("invalid event envelope", causes=[f"invalid event id {header_id!r}"])
    for item, payload in decoded:
        if payload is not None:
            event = batch.event(payload, item.payload, item.headers["type"],
                                envelope.headers.get("event_id"))
            event_id = event.event_id
    for check_in in check_ins:
        batch.check_in(check_in)
    for item, _ in decoded:
        batch.item(item.headers["type"], item.headers, item.payload, event_id)
    return event_id
