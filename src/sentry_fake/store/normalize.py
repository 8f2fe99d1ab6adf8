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
from ..timefmt import parse_timestamp
from .eventmeta import culprit_of, describe_error, describe_message
from .grouping import exceptions
from .messages import formatted_message as _formatted_message
from .models import Event

_HEX32 = re.compile(r"[0-9a-f]{32}")
_LEVELS = {
    "fatal": "fatal", "critical": "fatal", "error": "error", "warning": "warning", "warn": "warning",
    "info": "info", "log": "info", "debug": "debug", "sample": "info",
}
# Tags Sentry derives from event fields, in the order it lists them.
#: How far from its arrival an event's own time may be, as Relay allows by default
#: (C{max_secs_in_future}, C{max_secs_in_past}); beyond, the event is dated when it arrived.
MAX_SECS_IN_FUTURE = 60
MAX_SECS_IN_PAST = 30 * 24 * 3600
_FIELD_TAGS = ("environment", "release", "dist", "server_name", "logger", "transaction", "site")


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


def event_type(payload: dict[str, Any], item_type: str) -> str:
    declared = payload.get("type")
    if item_type == "transaction" or declared == "transaction":
        return "transaction"
    if declared in ("csp", "hpkp", "expectct", "expectstaple", "nel", "feedback", "generic"):
        return declared
    if "csp" in payload:
        return "csp"
    if exceptions(payload):
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
    if isinstance(value, str):
        level = _LEVELS.get(value.lower())
        if level:
            return level
    if isinstance(value, int) and not isinstance(value, bool):
        # Python logging levels, as some clients send them.
        for threshold, name in ((50, "fatal"), (40, "error"), (30, "warning"), (20, "info")):
            if value >= threshold:
                return name
        return "debug"
    return "info" if kind == "transaction" else "error"


def _tag_pairs(value: object) -> list[list[str]]:
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = (pair for pair in value if isinstance(pair, (list, tuple)) and len(pair) == 2)
    else:
        return []
    return [[str(key), str(val)] for key, val in items if key is not None and val is not None]


def _user_tag(user: dict[str, Any] | None) -> str | None:
    if not user:
        return None
    for key, prefix in (("id", "id"), ("username", "username"), ("email", "email"),
                        ("ip_address", "ip")):
        value = user.get(key)
        if value not in (None, ""):
            return f"{prefix}:{value}"
    return None


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


def derived_tags(payload: dict[str, Any], kind: str, level: str, user: dict[str, Any] | None,
                 primary: dict[str, Any] | None) -> list[list[str]]:
    """
    The event's own tags followed by those Sentry derives from its fields, each key once.
    """
    tags = _tag_pairs(payload.get("tags"))
    seen = {key for key, _ in tags}

    def add(key: str, value: object) -> None:
        if value not in (None, "") and key not in seen:
            seen.add(key)
            tags.append([key, str(value)])

    add("level", level)
    for key in _FIELD_TAGS:
        add(key, payload.get(key))
    add("user", _user_tag(user))
    contexts = payload.get("contexts")
    if isinstance(contexts, dict):
        for name in ("runtime", "os", "browser", "device"):
            context = contexts.get(name)
            if isinstance(context, dict) and context.get("name"):
                version = context.get("version")
                add(name, f"{context['name']} {version}" if version else context["name"])
                add(f"{name}.name", context["name"])
    request = payload.get("request")
    if isinstance(request, dict):
        add("url", request.get("url"))
    if primary is not None:
        mechanism = primary.get("mechanism")
        if isinstance(mechanism, dict):
            add("mechanism", mechanism.get("type"))
            if "handled" in mechanism:
                add("handled", "yes" if mechanism["handled"] else "no")
    return tags


def is_unhandled(primary: dict[str, Any] | None) -> bool:
    if not primary:
        return False
    mechanism = primary.get("mechanism")
    return isinstance(mechanism, dict) and mechanism.get("handled") is False


def event_time(value: Any, received: float) -> float:
    """
    When an event happened: its C{timestamp}, unless missing, unreadable or too far from
    C{received} (then when it arrived).
    """
    timestamp = parse_timestamp(value)
    if timestamp is None or not (received - MAX_SECS_IN_PAST <= timestamp
                                 <= received + MAX_SECS_IN_FUTURE):
        return received
    return timestamp


def build_event(project_id: int, payload: dict[str, Any], raw: bytes, item_type: str,
                received: float, header_event_id: object = None,
                client_ip: str | None = None) -> Event:
    """
    Normalize one event payload into the record the store keeps.

    @raise Invalid: the payload is not an event (not an object, or a bad event id).
    """
    if not isinstance(payload, dict):
        raise Invalid("invalid event", causes=["the event payload must be a JSON object"])
    event_id = event_id_for(payload, header_event_id)
    kind = event_type(payload, item_type)
    timestamp = event_time(payload.get("timestamp"), received)
    level = normalize_level(payload.get("level"), kind)
    platform = payload.get("platform")
    platform = platform if isinstance(platform, str) and platform else "other"
    user = normalize_user(payload.get("user"), client_ip)
    values = exceptions(payload)
    primary = values[-1] if values else None
    title, culprit, metadata, location = describe(payload, kind, values)
    release = payload.get("release")
    environment = payload.get("environment")
    logger = payload.get("logger")
    return Event(
        event_id=event_id, project_id=project_id, type=kind, received=received,
        timestamp=timestamp, level=level, platform=platform, title=title, culprit=culprit,
        message=formatted_message(payload), release=str(release) if release else None,
        environment=str(environment) if environment else None, user=user,
        logger=str(logger) if logger else None, unhandled=is_unhandled(primary),
        hashes=[], raw=raw, metadata=metadata, location=location,
    )


def document(event: Event) -> dict[str, Any]:
    """
    The stored event as a whole: the payload as sent, with what normalization derived on top.

    Tags are derived here, when the event is read, rather than on the ingest path.
    """
    try:
        doc = loads(event.raw, max_depth=None) if event.raw else {}
    except ValueError:
        doc = {}
    if not isinstance(doc, dict):
        doc = {}
    values = exceptions(doc)
    doc["tags"] = derived_tags(doc, event.type, event.level, event.user,
                               values[-1] if values else None)
    # What normalization set or replaced wins over what was sent.
    doc.update(event_id=event.event_id, project=event.project_id, type=event.type,
               timestamp=event.timestamp, received=event.received, level=event.level,
               platform=event.platform, title=event.title, culprit=event.culprit,
               metadata=event.metadata)
    if event.user is not None:
        doc["user"] = event.user
    if event.issue_id is not None:
        doc["issue_id"] = event.issue_id
    doc["hashes"] = list(event.hashes)
    return doc


def event_tags(event: Event) -> list[list[str]]:
    """
    The tags of a stored event, as Sentry lists them.
    """
    return document(event)["tags"]
