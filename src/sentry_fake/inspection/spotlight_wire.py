"""
Spotlight's wire format, for C{GET /stream}: each envelope as a server-sent event named by
its content type (C{application/x-sentry-envelope}, with C{;base64} when the client asked for
it, as Spotlight's UI does), its id a UUIDv7, and its data the envelope as JSON:
C{[header, [[item_header, payload], ...]]}, where a JSON item's payload is parsed and given
its item's C{type}, and an attachment's (or a replay video's) is C{{"data": text}} (base64
unless its content type is text).  Pure functions of the captured items.

The store keeps every item of an envelope (its event among them) under the sequence number of
the record that brought them, not the envelope header: the header is made again from what the
items say (the event id, the SDK, the trace, when it arrived).
"""

from __future__ import annotations

import base64
from typing import Any, Iterable, Iterator, Sequence

from ..jsoncodec import dumps, loads
from ..store.models import CapturedItem
from ..timefmt import isoformat

CONTENT_TYPE = "application/x-sentry-envelope"
#: Spotlight's item types whose payload is not JSON.
RAW_TYPES = frozenset({"attachment", "replay_video", "statsd"})
_TEXT_TYPES = frozenset({"text/plain", "text/css", "text/csv", "text/html", "text/javascript",
                         "text/json", "text/x-json", "application/json", "application/ld+json"})
_EVENT_TYPES = frozenset({"event", "transaction", "feedback"})
_MASK_48 = (1 << 48) - 1


def envelope_id(received: float, seq: int) -> str:
    """
    A UUIDv7 for an envelope: its arrival in milliseconds, then its record's sequence number
    (so ids sort as envelopes arrived, and L{seq_of} reads one back from a C{Last-Event-ID}).
    """
    millis = int(received * 1000) & _MASK_48
    return (f"{millis >> 16:08x}-{millis & 0xFFFF:04x}-7000-"
            f"{0x8000 | ((seq >> 48) & 0x3FFF):04x}-{seq & _MASK_48:012x}")


def seq_of(identifier: str | None) -> int | None:
    """
    The sequence number an envelope id carries, or C{None} for anything else.
    """
    if not identifier:
        return None
    parts = identifier.strip().split("-")
    if len(parts) != 5 or parts[2] != "7000":
        return None
    try:
        return ((int(parts[3], 16) & 0x3FFF) << 48) | int(parts[4], 16)
    except ValueError:
        return None


def _payload(item: CapturedItem) -> Any:
    if item.type in RAW_TYPES:
        kind = str(item.headers.get("content_type") or "")
        if item.type == "statsd" or kind in _TEXT_TYPES:
            return {"data": item.payload.decode("utf-8", "replace")}
        return {"data": base64.b64encode(item.payload).decode("ascii")}
    try:
        payload = loads(item.payload, max_depth=None)
    except ValueError:
        return item.payload.decode("utf-8", "replace")
    if isinstance(payload, dict):
        payload["type"] = item.type
    return payload


def envelope(items: Sequence[CapturedItem]) -> list[Any]:
    """
    The envelope the items of one record came in, as Spotlight sends it to its UI.
    """
    first = items[0]
    header: dict[str, Any] = {"__spotlight_envelope_id": envelope_id(first.received, first.seq),
                              "sent_at": isoformat(first.received)}
    event_id = next((item.event_id for item in items if item.event_id), None)
    if event_id:
        header["event_id"] = event_id
    shown = []
    for item in items:
        payload = _payload(item)
        if item.type in _EVENT_TYPES and isinstance(payload, dict):
            sdk = payload.get("sdk")
            if isinstance(sdk, dict) and sdk.get("name"):
                header.setdefault("sdk", {"name": sdk.get("name"), "version": sdk.get("version")})
            contexts = payload.get("contexts")
            trace = contexts.get("trace") if isinstance(contexts, dict) else None
            if isinstance(trace, dict) and trace.get("trace_id"):
                header.setdefault("trace", {"trace_id": trace["trace_id"]})
        shown.append([dict(item.headers, type=item.type), payload])
    return [header, shown]


def by_record(items: Iterable[CapturedItem]) -> Iterator[list[CapturedItem]]:
    """
    Items grouped by the record that brought them (consecutive items of one sequence number).
    """
    group: list[CapturedItem] = []
    for item in items:
        if group and item.seq != group[0].seq:
            yield group
            group = []
        group.append(item)
    if group:
        yield group


def weight(items: Sequence[CapturedItem]) -> int:
    """
    About what L{message} makes of the items weighs, in bytes, without making it: a raw
    payload as base64, a JSON one as it came, and some for the headers.
    """
    return 256 + sum((item.size * 4 // 3 if item.type in RAW_TYPES
                      else item.size) + 128 for item in items)


def message(items: Sequence[CapturedItem], base64_flag: bool) -> bytes:
    """
    One envelope as a server-sent event.
    """
    shown = envelope(items)
    name = CONTENT_TYPE + (";base64" if base64_flag else "")
    return (f"id: {shown[0]['__spotlight_envelope_id']}\nevent: {name}\ndata: ".encode("ascii")
            + dumps(shown) + b"\n\n")
