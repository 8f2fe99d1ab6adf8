"""
The fields every Open Sentry item reads (C{POST /v1/ingest}): typed field readers that take a
field under any of its names (Open Sentry's camelCase one first, then the snake_case and
Sentry spellings the dialect also accepts), the ids, and what every item type carries.  Pure
functions.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from .. import ids
from ..jsoncodec import dumps
from ..store.normalize import normalize_event_id
from ..timefmt import parse_timestamp

_STRINGS = ("release", "environment", "dist", "server_name", "logger")
_OBJECTS = ("user", "extra", "contexts", "request")
_SPAN_ID = re.compile(r"[0-9a-f]{16}")


class InvalidItem(ValueError):
    """
    A body or an item of the wrong shape; the message says why (for the log).
    """


def string(item: dict[str, Any], *names: str, required: bool = False) -> str | None:
    """
    The first non-blank string under one of C{names}.

    @raise InvalidItem: a value is not a string, or none is there when C{required}.
    """
    for name in names:
        value = item.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            raise InvalidItem(f"{name} must be a string")
        if value.strip():
            return value
    if required:
        raise InvalidItem(f"{names[0]} is required")
    return None


def number(item: dict[str, Any], *names: str, whole: bool = False,
           required: bool = False) -> float | None:
    """
    The first non-negative number under one of C{names} (a whole one when C{whole}).

    @raise InvalidItem: a value is not one, or none is there when C{required}.
    """
    for name in names:
        value = item.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise InvalidItem(f"{name} must be a non-negative number")
        if whole and not float(value).is_integer():
            raise InvalidItem(f"{name} must be a whole number")
        return value
    if required:
        raise InvalidItem(f"{names[0]} is required")
    return None


def time(item: dict[str, Any], *names: str) -> float | None:
    for name in names:
        value = item.get(name)
        if value is None:
            continue
        parsed = parse_timestamp(value)
        if parsed is None:
            raise InvalidItem(f"{name} is not a timestamp")
        return parsed
    return None


def _given_id(item: dict[str, Any], names: tuple[str, ...], required: bool) -> str | None:
    for name in names:
        value = item.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            raise InvalidItem(f"{name} must be a string")
        return value
    if required:
        raise InvalidItem(f"{names[0]} is required")
    return None


def trace_id(item: dict[str, Any], *names: str, required: bool = False) -> str:
    """
    A trace id as Sentry keeps it (32 hex digits): given so (or as a UUID), made from any other
    string the client correlates by (the same string, the same trace), or a new one.
    """
    given = _given_id(item, names, required)
    if given is None:
        return ids.uuid_hex()
    return normalize_event_id(given) or hashlib.md5(given.encode()).hexdigest()


def span_id(item: dict[str, Any], *names: str, required: bool = False,
            default: str | None = None) -> str:
    """
    A span id as Sentry keeps it (16 hex digits): given so, made from any other string, else
    C{default} or a new one.
    """
    given = _given_id(item, names, required)
    if given is None:
        return default or ids.uuid_hex()[:16]
    if _SPAN_ID.fullmatch(given.lower()):
        return given.lower()
    return hashlib.md5(given.encode()).hexdigest()[:16]


def tags(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidItem("tags must be an object")
    found = {}
    for key, tag in value.items():
        if isinstance(tag, (dict, list)):
            raise InvalidItem("tag values must be strings")
        if tag is not None:
            found[str(key)] = tag if isinstance(tag, str) else dumps(tag).decode()
    return found


def common_fields(item: dict[str, Any], now: float) -> dict[str, Any]:
    """
    What every item type carries: ids, time, and the event context fields.
    """
    given = item.get("event_id", item.get("id"))
    event_id = normalize_event_id(given) if given is not None else ids.uuid_hex()
    if event_id is None:
        raise InvalidItem("id must be 32 hex digits or a UUID")
    payload: dict[str, Any] = {"event_id": event_id,
                               "timestamp": time(item, "timestamp") or now,
                               "platform": string(item, "platform") or "other"}
    for name in _STRINGS:
        value = string(item, name)
        if value is not None:
            payload[name] = value
    for name in _OBJECTS:
        value = item.get(name)
        if value is not None:
            if not isinstance(value, dict):
                raise InvalidItem(f"{name} must be an object")
            payload[name] = value
    crumbs = item.get("breadcrumbs")
    if crumbs is not None:
        if not isinstance(crumbs, list):
            raise InvalidItem("breadcrumbs must be an array")
        payload["breadcrumbs"] = {"values": crumbs}
    found = tags(item.get("tags"))
    if found:
        payload["tags"] = found
    return payload
