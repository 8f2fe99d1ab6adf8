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


class RefusedItem(Invalid):
    """
    An envelope refused for one of its items; C{discard_reason} is Relay's reason for it.
    """

    def __init__(self, discard_reason: str, detail: str, causes: list[str]) -> None:
        super().__init__(detail, causes=causes)
        self.discard_reason = discard_reason


class OversizeItem(TooLarge):
    """
    An envelope refused for an item over its size limit; C{discard_reason} names the item as
    Relay's C{ItemTooLarge} outcome does.
    """

    def __init__(self, discard_reason: str, detail: str) -> None:
        super().__init__(detail)
        self.discard_reason = discard_reason


#: Relay's names of attachment types in discard reasons (C{DiscardAttachmentType}).
_ATTACHMENT_NAMES = {
    "event.minidump": "minidump", "event.applecrashreport": "apple_crash_report",
    "event.payload": "event_payload", "event.breadcrumbs": "breadcrumbs",
    "unreal.context": "unreal_context", "unreal.logs": "unreal_logs",
    "event.view_hierarchy": "view_hierarchy", "playstation.prosperodump": "prosperodump",
}


def _size_limit(item_type: str, limits: Limits) -> int:
    if item_type in _EVENT_SIZED:
        return limits.event
    if item_type == "check_in":
        return limits.check_in
    return limits.attachment


def _too_large(item_type: str, headers: dict[str, Any]) -> TooLarge:
    name = item_type
    if item_type == "attachment":
        name = "attachment:" + _ATTACHMENT_NAMES.get(headers.get("attachment_type"), "attachment")
    return OversizeItem(name, f"envelope exceeded size limits for type '{item_type}' "
                        "(https://develop.sentry.dev/sdk/envelopes/#size-limits)")


def decode_event(payload: bytes) -> dict[str, Any]:
    """
    An event item's payload as a JSON object.

    @raise Invalid: it is not one.
    """
    try:
        value = loads(payload)
    except ValueError as error:
        raise RefusedItem("invalid_json", "invalid event envelope",
                          [f"invalid event payload: {error}"])
    if not isinstance(value, dict):
        raise RefusedItem("invalid_json", "invalid event envelope",
                          ["the event payload must be a JSON object"])
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
            raise _too_large(item_type, item.headers)
        payload = None
        if item_type in EVENT_TYPES:
            events += 1
            if events > 1:
                raise RefusedItem("duplicate_item", "invalid event envelope",
                                  ["duplicate event or transaction item in envelope"])
            payload = decode_event(item.payload)
        elif item_type == "check_in":
            check_in = parse_check_in(item.payload)
            if check_in is not None:
                check_ins.append(check_in)
        decoded.append((item, payload))

    header_id = envelope.headers.get("event_id")
    event_id = normalize_event_id(header_id) if header_id else None
    if header_id and event_id is None:
        raise RefusedItem("invalid_event_id", "invalid event envelope",
                          [f"invalid event id {header_id!r}"])
    for item, payload in decoded:
        if payload is not None:
            event = batch.event(payload, item.payload, item.headers["type"],
                                envelope.headers.get("event_id"), decoded=True)
            event_id = event.event_id
    for check_in in check_ins:
        batch.check_in(check_in)
    for item, _ in decoded:
        if item.headers["type"] in _FEEDBACK_TYPES:
            _feedback(batch, item, envelope.headers.get("event_id"))
    for item, _ in decoded:
        batch.item(item.headers["type"], item.headers, item.payload, event_id)
    return event_id


#: The items that become feedback: the new kind, and user reports about an event.
_FEEDBACK_TYPES = frozenset({"feedback", "user_report"})


def _feedback(batch: IngestBatch, item: Any, header_id: object) -> None:
    """
    Add the feedback an item brings (one that cannot be read is kept as an item only, as
    Relay drops an invalid one and keeps the envelope).
    """
    try:
        payload = loads(item.payload)
    except ValueError:
        return
    if not isinstance(payload, dict):
        return
    if item.headers["type"] == "user_report":
        batch.feedback_of_report(payload)
    else:
        try:
            batch.feedback(payload, item.payload, payload.get("event_id") or header_id)
        except Invalid:
            return
