"""
What Relay does to an event before it is stored: a normalized id, timestamps, level, platform,
title, culprit, metadata and the tags Sentry derives.  Pure functions of the payload.
"""

from __future__ import annotations

import re
from typing import Any

from .. import ids
from ..errors import Invalid
from ..jsoncodec import loads
from . import fields
from .event_errors import SILENT
from .eventmeta import culprit_of, describe_error, describe_message
from .grouping import exceptions
from .messages import formatted_message as _formatted_message
from .models import Event
from .relay_document import stored_document

_HEX32 = re.compile(r"[0-9a-f]{32}")
#: How far from its arrival an event's own time may be, as Relay allows by default.
MAX_SECS_IN_FUTURE = fields.MAX_SECS_IN_FUTURE
MAX_SECS_IN_PAST = fields.MAX_SECS_IN_PAST


def normalize_event_id(value: object) -> str | None:
    """
    Event ids arrive as 32 hex digits or hyphenated UUIDs, in either case; store them as 32 hex.

    @return: the normalized id, or C{None} if C{value} is not an event id.
    """
    if not isinstance(value, str):
        return None
    text = value.replace("-", "").lower()
    if len(text) == 32 and _HEX32.fullmatch(text):
        return text
    return None


def new_event_id() -> str:
    return ids.uuid_hex()


def event_id_for(payload: dict[str, Any], header_id: object = None) -> str:
    """
    The id an event is stored under: the envelope header's id wins over the payload's.

    @raise Invalid: an id is present but is not an event id.
    """
    for candidate in (header_id, payload.get("event_id")):
        if candidate is None or candidate == "":
            continue
        normalized = normalize_event_id(candidate)
        if normalized is None:
            raise Invalid("invalid event id", causes=[f"invalid event id: {candidate!r}"])
        return normalized
    return new_event_id()


def formatted_message(payload: dict[str, Any]) -> str:
    """
    The message of an event as Sentry shows it: C{logentry.formatted}, or the template with its
    parameters filled in, or the top-level C{message}.
    """
    return _formatted_message(payload)


def event_type(payload: dict[str, Any], item_type: str,
               values: list[dict[str, Any]] | None = None) -> str:
    """
    An event's type.  C{values} are the payload's L{exceptions}, if already at hand.
    """
    declared = payload.get("type")
    if item_type == "transaction" or declared == "transaction":
        return "transaction"
    if declared in ("csp", "hpkp", "expectct", "expectstaple", "nel", "feedback", "generic"):
        return declared
    if "csp" in payload:
        return "csp"
    if exceptions(payload) if values is None else values:
        return "error"
    return "default"


def describe(payload: dict[str, Any], kind: str, values: list[dict[str, Any]] | None = None
             ) -> tuple[str, str, dict[str, Any], str | None]:
    """
    Derive an event's C{title}, C{culprit}, C{metadata} and C{location} as Sentry does.
    C{values} are the event's exceptions, if already at hand.
    """
    culprit = payload.get("culprit")
    if values is None:
        values = exceptions(payload)
    if kind == "transaction":
        name = str(payload.get("transaction") or "<unlabeled transaction>")
        return name, str(culprit or name), {"title": name}, None
    if kind == "error":
        title, metadata, location = describe_error(payload, values)
        return title, culprit_of(payload, values), metadata, location
    if kind == "csp":
        csp = payload.get("csp") if isinstance(payload.get("csp"), dict) else {}
        directive = str(csp.get("effective_directive") or csp.get("violated_directive") or "")
        blocked = str(csp.get("blocked_uri") or "")
        # Relay writes the title as the report's message; older payloads may lack one.
        message = formatted_message(payload).strip()
        title = message or f"Blocked '{directive.split('-', 1)[0]}' from '{blocked}'"
        return title, str(culprit or directive), {"directive": directive, "uri": blocked}, None
    title, metadata = describe_message(payload, formatted_message(payload))
    return title, culprit_of(payload, values), metadata, None


def normalize_level(value: object, kind: str) -> str:
    """
    The level Relay keeps (an unknown one, such as C{warn}, becomes the default).
    """
    return fields.level(value, kind, SILENT)


def normalize_user(value: object, client_ip: str | None) -> dict[str, Any] | None:
    if not isinstance(value, dict) or not value:
        return None
    user = value
    if user.get("ip_address") == "{{auto}}":
        user = dict(value)
        if client_ip:
            user["ip_address"] = client_ip
        else:
            del user["ip_address"]
    return user


def is_unhandled(primary: dict[str, Any] | None) -> bool:
    if not primary:
        return False
    mechanism = primary.get("mechanism")
    return isinstance(mechanism, dict) and mechanism.get("handled") is False


def event_time(value: Any, received: float) -> float:
    """
    When an event happened: its C{timestamp}, unless missing, unreadable (numeric strings
    included) or too far from C{received} (then when it arrived), as Relay keeps it.
    """
    return fields.timestamp(value, received, SILENT)


def build_event(project_id: int, payload: dict[str, Any], raw: bytes, item_type: str,
                received: float, header_event_id: object = None,
                client_ip: str | None = None,
                values: list[dict[str, Any]] | None = None,
                described: tuple[str, str, dict[str, Any], str | None] | None = None) -> Event:
    """
    Normalize one event payload into the record the store keeps.

    C{values} are the payload's L{exceptions}, and C{described} what L{describe} makes of
    it, if already at hand.

    @raise Invalid: the payload is not an event (not an object, or a bad event id).
    """
    if not isinstance(payload, dict):
        raise Invalid("invalid event", causes=["the event payload must be a JSON object"])
    event_id = event_id_for(payload, header_event_id)
    values = exceptions(payload) if values is None else values
    kind = event_type(payload, item_type, values)
    timestamp = event_time(payload.get("timestamp"), received)
    level = normalize_level(payload.get("level"), kind)
    platform = fields.platform(payload.get("platform"), SILENT)
    user = normalize_user(payload.get("user"), client_ip)
    primary = values[-1] if values else None
    title, culprit, metadata, location = described or describe(payload, kind, values)
    release = fields.release(payload.get("release"), SILENT)
    environment = fields.environment(payload.get("environment"), SILENT)
    logger = fields.logger(payload.get("logger"), SILENT)
    return Event(
        event_id=event_id, project_id=project_id, type=kind, received=received,
        timestamp=timestamp, level=level, platform=platform, title=title, culprit=culprit,
        message=formatted_message(payload), release=release, environment=environment,
        user=user, logger=logger or None, unhandled=is_unhandled(primary),
        hashes=[], raw=raw, metadata=metadata, location=location,
    )


def document(event: Event) -> dict[str, Any]:
    """
    The stored event as a whole: the payload as Relay normalizes it, with the tags Sentry
    derives and what the store decided (title, culprit, metadata, hashes, issue) on top.

    Normalization happens here, when the event is read, rather than on the ingest path.
    """
    raw = event.raw  # (read once: it may be read from a data directory)
    try:
        payload = loads(raw, max_depth=None) if raw else {}
    except ValueError:
        payload = {}
    if not isinstance(payload, dict):
        payload = {}
    if event.user is not None:
        payload["user"] = event.user
    doc = stored_document(payload, event.event_id, event.type, event.received,
                          event.project_id)
    # What the store decided wins over what was sent.
    doc.update(timestamp=event.timestamp, title=event.title, culprit=event.culprit,
               metadata=event.metadata)
    entry = doc.get("logentry")
    if isinstance(entry, dict) and entry.get("formatted"):
        # Kept at the top too, where tests read it (Relay moves it to logentry.formatted).
        doc["message"] = entry["formatted"]
    if event.location is not None:
        doc["location"] = event.location
    if event.issue_id is not None:
        doc["issue_id"] = event.issue_id
    doc["hashes"] = list(event.hashes)
    return doc


def event_tags(event: Event) -> list[list[str]]:
    """
    The tags of a stored event, as Sentry lists them.
    """
    return document(event)["tags"]
