"""
Tags: as Relay normalizes the event's own, then as Sentry's event manager adds its own on top.

Relay: an object of tags becomes pairs sorted by key, a list keeps its order; a key that comes
twice counts once (the first); keys have their spaces turned into dashes and are refused when
empty or holding a character outside letters, digits and C{_.:-}; values are trimmed, refused
when empty, multi-line or not a primitive (kept as C{null} with an error), numbers spelled as
integers, cut at 200 characters; C{release}, C{dist}, C{user}, C{environment}, C{filename} and
C{function} tags are dropped; C{server_name} and C{site} move from the event into tags.

Sentry, in this order: C{level} (always), C{logger}, C{environment}, C{transaction} replace any
tag of that name; a release replaces the C{release} tag (and a dist, with a release, the
C{dist} tag); an event with a user replaces the C{user} tag with C{id:}, C{username:},
C{email:} or C{ip:} and the first of those it has; the request's URL becomes the C{url} tag
unless there is one (or it is over 200 characters); then the main exception's mechanism
(C{mechanism}, C{handled}) and the contexts' tags replace tags of their names.

Sentry keeps its own tags under C{sentry:release}, C{sentry:dist} and C{sentry:user}; the
stored document here names them as the API shows them (C{release}, C{dist}, C{user}).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any, Iterable

from .contexts import context_tags
from .event_errors import Report, trim
from .fields import relay_string

MAX_TAG_VALUE = 200
_KEY_CHARACTERS = re.compile(r"[A-Za-z0-9_.:\-]+")
_LINE_BREAK = re.compile(r"[\r\n]")
_DROPPED_KEYS = frozenset({"release", "dist", "user", "environment", "filename", "function"})
#: Sentry's own tags and the user tags they stand for.
_OWN = {"release": "sentry:release", "dist": "sentry:dist", "user": "sentry:user"}
Tags = list[Any]


def _pairs(value: Any, report: Report) -> list[Any]:
    if isinstance(value, dict):
        return [[key, value[key]] for key in sorted(value)]
    if isinstance(value, list):
        return value
    if value is not None:
        for repeat in (False, True):  # Relay reports a tags value that is no array twice
            report.error(("tags",), "invalid_data", value, "expected an array", repeat=repeat)
    return []


def _key(key: Any, index: int, report: Any) -> tuple[str | None, str | None]:
    """
    A tag's key as Relay keeps it (C{None} when refused), and what Relay tells repeats apart
    by: a key refused for its characters is C{None} by then, an empty one still C{""}.
    """
    if key is None:
        return None, None
    if not isinstance(key, str):
        text = relay_string(key)
        if text is None:
            report.invalid(("tags", index, 0), key, "expected a primitive value")
            return None, None
        key = text
    key = key.replace(" ", "-").strip()
    if not key.strip():
        report.invalid(("tags", index, 0), None, "expected a non-empty value")
        return None, ""
    bad = _KEY_CHARACTERS.sub("", key)
    if bad:
        report.invalid(("tags", index, 0), key, f"invalid character {bad[0]!r}")
        return None, None
    return key, key


def _value(value: Any, index: int, report: Report) -> str | None:
    if value is None:
        return None
    text = relay_string(value)
    if text is None:
        report.invalid(("tags", index, 1), value, "expected a primitive value")
        return None
    text = text.strip()
    if not text:
        report.invalid(("tags", index, 1), None, "expected a non-empty value")
        return None
    bad = _LINE_BREAK.search(text)
    if bad:
        report.invalid(("tags", index, 1), text, f"invalid character {bad.group()!r}")
        return None
    return trim(text, MAX_TAG_VALUE, ("tags", index, 1), report)


class _Deferred:
    """
    What normalizing one tag reports, held until the tag's place among those Relay keeps is
    known (Relay drops repeated keys first, and reports at the places that remain).
    """

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    def __getattr__(self, name: str) -> Any:
        def record(*args: Any, **kwargs: Any) -> None:
            self.calls.append((name, args, kwargs))
        return record

    def replay(self, report: Report, index: int) -> None:
        for name, args, kwargs in self.calls:
            path = args[0]
            moved = (path[0], index, *path[2:]) if len(path) > 1 else path
            getattr(report, name)(moved, *args[1:], **kwargs)


def relay_tags(doc: dict[str, Any], report: Report) -> Tags:
    """
    The event's tags as Relay keeps them, C{server_name} and C{site} moved in.
    """
    kept: list[tuple[Any, _Deferred]] = []
    seen: set[str | None] = set()
    for index, pair in enumerate(_pairs(doc.get("tags"), report)):
        deferred = _Deferred()
        if pair is None:
            kept.append((None, deferred))
            continue
        if not isinstance(pair, list) or len(pair) != 2:
            deferred.invalid(("tags", index), pair, "expected a tuple")
            kept.append((None, deferred))
            continue
        key, token = _key(pair[0], index, deferred)
        if token in seen:
            continue  # a repeat of a key (refused ones count as one), dropped unreported
        seen.add(token)
        if key in _DROPPED_KEYS:
            continue
        kept.append(([key, pair[1]], deferred))
    found: Tags = []
    for index, (pair, deferred) in enumerate(kept):
        deferred.replay(report, index)
        if pair is not None:
            pair = [pair[0], _value(pair[1], index, report)]
        found.append(pair)
    for field in ("server_name", "site"):
        value = doc.pop(field, None)
        if isinstance(value, str):
            found = [pair for pair in found if pair is None or pair[0] != field]
            found.append([field, value])
    return found


def _pop(tags: Tags, key: str) -> None:
    names = (key, _OWN[key]) if key in _OWN else (key,)
    tags[:] = [pair for pair in tags if pair is None or pair[0] not in names]


def set_tag(tags: Tags, key: str, value: Any) -> None:
    """
    Sentry's C{set_tag}: drop every tag of that key, then add the value (cut at 200) if any.
    """
    _pop(tags, key)
    if value is not None:
        text = str(value)
        if len(text) > MAX_TAG_VALUE:
            text = text[:MAX_TAG_VALUE - 3] + "..."
        tags.append([key, text])


def _has(tags: Tags, key: str) -> bool:
    return any(pair is not None and pair[0] == key for pair in tags)


def user_tag(user: Any) -> str | None:
    """
    How Sentry names an event's user in its C{user} tag.
    """
    if not isinstance(user, dict):
        return None
    for field, prefix in (("id", "id"), ("username", "username"), ("email", "email"),
                          ("ip_address", "ip")):
        value = user.get(field)
        if not value:
            continue
        if field == "ip_address":
            try:
                ipaddress.ip_address(str(value))
            except ValueError:
                continue
        return f"{prefix}:{value}"
    return None


def _mechanism_tags(doc: dict[str, Any]) -> Iterable[tuple[str, Any]]:
    exception = doc.get("exception")
    values = exception.get("values") if isinstance(exception, dict) else None
    if not values or not isinstance(values[-1], dict):
        return ()
    mechanism = values[-1].get("mechanism")
    if not isinstance(mechanism, dict) or not mechanism:
        return ()
    tags: list[tuple[str, Any]] = [("mechanism", mechanism.get("type"))]
    handled = mechanism.get("handled")
    if handled is not None:
        tags.append(("handled", "yes" if handled else "no"))
    return tags


def sentry_tags(doc: dict[str, Any], tags: Tags) -> Tags:
    """
    Add the tags Sentry's event manager derives from the normalized event C{doc} to C{tags}.
    """
    set_tag(tags, "level", doc.get("level"))
    for field in ("logger", "environment", "transaction"):
        if doc.get(field):
            set_tag(tags, field, doc[field])
    if doc.get("release"):
        set_tag(tags, "release", doc["release"])
        if doc.get("dist"):
            set_tag(tags, "dist", doc["dist"])
    if doc.get("user"):
        set_tag(tags, "user", user_tag(doc["user"]))
    request = doc.get("request")
    url = request.get("url") if isinstance(request, dict) else None
    if isinstance(url, str) and url and len(url) <= MAX_TAG_VALUE and not _has(tags, "url"):
        set_tag(tags, "url", url)
    for key, value in _mechanism_tags(doc):
        set_tag(tags, key, value)
    for key, value in context_tags(doc.get("contexts")):
        set_tag(tags, key, value)
    return tags
