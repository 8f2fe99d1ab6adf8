"""
Stored events as Sentry's REST API shows them: the list entry ("simple event") and the full
event.  Pure functions of the stored document (L{sentry_fake.store.normalize.document}) and the
L{Event} record; no Klein, no requests.
"""

from __future__ import annotations

import hashlib
from typing import Any

from ..store.models import Event
from ..timefmt import isoformat, parse_timestamp
from .event_entries import entries, message

_USER_FIELDS = ("id", "email", "username", "ip_address", "name")
_USER_KNOWN = frozenset(_USER_FIELDS) | {"data", "geo", "segment", "sentry_user"}
# The user tag's prefixes and the search keys Sentry offers for them.
_USER_QUERY_KEYS = {"id": "id", "email": "email", "username": "username", "ip": "ip"}
# Context names Relay knows; any other context without a type gets "default".
_CONTEXT_TYPES = frozenset({
    "app", "browser", "cloud_resource", "culture", "device", "gpu", "monitor", "os", "otel",
    "profile", "replay", "response", "runtime", "state", "trace", "user_report_v2", "flags",
})
GROUPING_CONFIG = {"id": "newstyle:2023-01-11", "enhancements": ""}


def _text(value: object) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def user(user_: dict[str, Any] | None, full: bool = True) -> dict[str, Any] | None:
    """
    The event's user: C{id}, C{email}, C{username}, C{ip_address}, C{name} as strings (or null),
    C{geo}, and C{data} holding whatever else the SDK sent.
    """
    if not user_:
        return None
    shown: dict[str, Any] = {field: _text(user_.get(field)) for field in _USER_FIELDS}
    data = dict(user_["data"]) if isinstance(user_.get("data"), dict) else {}
    data.update((key, value) for key, value in user_.items() if key not in _USER_KNOWN)
    geo = user_.get("geo")
    shown["geo"] = geo if isinstance(geo, dict) and geo else None
    shown["data"] = data if (data or full) else None
    return shown


def _tag_query(key: str, value: str) -> str | None:
    if key != "user" or ":" not in value:
        return None
    prefix, _, rest = value.partition(":")
    field = _USER_QUERY_KEYS.get(prefix)
    if field is None:
        return None
    escaped = rest.replace('"', '\\"')
    return f'user.{field}:"{escaped}"'


def tags(pairs: list[list[str]]) -> list[dict[str, str]]:
    """
    C{[[key, value], ...]} as Sentry lists tags: C{{"key", "value"}} sorted by key, with the
    search C{query} on the user tag.
    """
    shown = []
    # Sentry's Event.tags leaves out pairs Relay nulled out (a refused key or value).
    kept = (pair for pair in pairs if pair is not None and None not in pair)
    for key, value in sorted((str(k).split("sentry:", 1)[-1], str(v)) for k, v in kept):
        tag = {"key": key, "value": value}
        query = _tag_query(key, value)
        if query:
            tag["query"] = query
        shown.append(tag)
    return shown


def contexts(value: object) -> dict[str, Any]:
    """
    The event's contexts, each with the C{type} Relay gives it.
    """
    if not isinstance(value, dict):
        return {}
    shown = {}
    for name, context in value.items():
        if not isinstance(context, dict):
            continue
        if "type" not in context:
            context = {**context, "type": name if name in _CONTEXT_TYPES else "default"}
        shown[name] = context
    return shown


def _sdk(value: object) -> dict[str, Any] | None:
    if not isinstance(value, dict) or not value.get("name"):
        return None
    return {"name": value.get("name"), "version": value.get("version")}


def _errors(value: object) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        return []
    shown = []
    for error in value:
        if isinstance(error, dict):
            data = {k: v for k, v in error.items() if k not in ("type", "message")}
            shown.append({"type": error.get("type"), "data": data,
                          "message": error.get("message") or str(error.get("type") or "")})
    return shown


def _text_or_none(value: object) -> str | None:
    return str(value) if value not in (None, "") and not isinstance(value, (dict, list)) else None


def attachment(item: Any) -> dict[str, Any]:
    """
    A captured attachment item as Sentry's event attachment serializer shows it.
    """
    headers = item.headers if isinstance(item.headers, dict) else {}
    mimetype = headers.get("content_type")
    return {"id": str(item.id), "event_id": item.event_id,
            "type": str(headers.get("attachment_type") or "event.attachment"),
            "name": str(headers.get("filename") or "attachment"),
            "mimetype": str(mimetype) if mimetype else None,
            "dateCreated": isoformat(item.received), "size": item.size,
            "headers": {"Content-Type": str(mimetype) if mimetype else None},
            "sha1": hashlib.sha1(item.payload).hexdigest()}


def list_entry(event: Event, doc: dict[str, Any]) -> dict[str, Any]:
    """
    The "simple event" of event lists.  It has C{projectID} (a string) and no C{project}, which
    C{sentry-cli events list} would need to be an integer.
    """
    return {
        "id": event.event_id,
        "event.type": event.type,
        "groupID": str(event.issue_id) if event.issue_id is not None else None,
        "eventID": event.event_id,
        "projectID": str(event.project_id),
        "message": event.message,
        "title": event.title,
        "location": event.location,
        "culprit": event.culprit,
        "user": user(event.user, full=False),
        "tags": tags(doc.get("tags") or []),
        "platform": event.platform,
        "dateCreated": isoformat(event.timestamp),
        "crashFile": None,
        "metadata": event.metadata,
    }


def full_event(event: Event, doc: dict[str, Any], next_id: str | None = None,
               previous_id: str | None = None) -> dict[str, Any]:
    """
    The whole event, as the event detail endpoints answer it.
    """
    logentry = message(doc)
    extra = doc.get("extra")
    modules = doc.get("modules")
    dist = _text_or_none(doc.get("dist"))
    shown = {
        "id": event.event_id,
        "groupID": str(event.issue_id) if event.issue_id is not None else None,
        "eventID": event.event_id,
        "projectID": str(event.project_id),
        "size": event.size,
        "entries": entries(doc),
        "dist": dist,
        "message": logentry["formatted"] if logentry else event.message,
        "title": event.title,
        "location": event.location,
        "user": user(event.user),
        "contexts": contexts(doc.get("contexts")),
        "sdk": _sdk(doc.get("sdk")),
        "context": extra if isinstance(extra, dict) else {},
        "packages": modules if isinstance(modules, dict) else {},
        "type": event.type,
        "metadata": event.metadata,
        "tags": tags(doc.get("tags") or []),
        "platform": event.platform,
        "dateReceived": isoformat(event.received),
        "dateCreated": isoformat(event.timestamp),
        "errors": _errors(doc.get("errors")),
        "occurrence": None,
        "_meta": {"entries": {}, "message": None, "user": None, "contexts": None, "sdk": None,
                  "context": None, "packages": None, "tags": {}},
        "crashFile": None,
        "culprit": event.culprit,
        "fingerprints": list(event.hashes),
        "groupingConfig": dict(GROUPING_CONFIG),
        "release": {"version": event.release} if event.release else None,
        "userReport": None,
        "sdkUpdates": [],
        "resolvedWith": [],
        "nextEventID": next_id,
        "previousEventID": previous_id,
    }
    if event.type == "transaction":
        measurements, breakdowns = doc.get("measurements"), doc.get("breakdowns")
        shown.update({
            "startTimestamp": parse_timestamp(doc.get("start_timestamp")),
            "endTimestamp": event.timestamp,
            "measurements": measurements if isinstance(measurements, dict) else None,
            "breakdowns": breakdowns if isinstance(breakdowns, dict) else None,
        })
    return shown
