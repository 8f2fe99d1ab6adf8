"""
How events become issues: the grouping components of an event and their hash, as Sentry's
default grouping config (C{newstyle:2023-01-11}) computes them.

A pure function of the event payload.  A C{checksum} wins; then a fingerprint (a built-in server
rule's, else the event's), with C{{{ default }}} and the other variables expanded; otherwise the
first strategy that yields anything: exceptions (stack traces of in-app frames, else of all
frames, else type and parameterized value, per exception of the chain), the crashed thread, the
event's stack trace, a security report, the parameterized message.  An event none of them
applies to falls into the one fallback group.

The hash is the MD5 of the contributing values concatenated, as Sentry computes it, so an issue's
hash matches the one sentry.io gives the same event's primary (in-app) grouping variant.
"""

from __future__ import annotations

import hashlib
import re
from itertools import groupby
from typing import Any

from . import fingerprint as fp
from .parameterize import normalize_message_for_grouping
from .stackframes import app_values, stack_frames, system_values

# Relay splits "Type: value" into type and value when an exception comes without a type.
_TYPE_VALUE = re.compile(r"(\w+):(.*)")
_HEX32 = re.compile(r"[0-9a-f]{32}")


def exceptions(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """
    The exception values of an event, oldest cause first (the primary exception is last), as
    Relay keeps them: a missing type is taken from a C{"Type: value"} value, and values with
    neither type nor value are dropped.
    """
    exc = payload.get("exception")
    if isinstance(exc, dict):
        values = exc.get("values")
    else:
        values = exc
    if not isinstance(values, list):
        return []
    found = []
    for value in values:
        if not isinstance(value, dict):
            continue
        exc_type, text = value.get("type"), value.get("value")
        if not exc_type and isinstance(text, str):
            match = _TYPE_VALUE.fullmatch(text)
            if match:
                exc_type, text = match.group(1), match.group(2).strip()
                value = {**value, "type": exc_type, "value": text}
        if exc_type or text:
            found.append(value)
    return found


def platform_of(payload: dict[str, Any]) -> str | None:
    """
    The event's platform, if it names one.
    """
    platform = payload.get("platform")
    return platform if isinstance(platform, str) and platform else None


def frames_of(exception_or_thread: dict[str, Any]) -> list[dict[str, Any]]:
    """
    The frames of an exception's or a thread's stack trace (oldest first).
    """
    return stack_frames(exception_or_thread.get("stacktrace"))


def message_template(payload: dict[str, Any]) -> str | None:
    """
    The message an event carries, as a template where one exists (parameters not filled in).
    """
    for key in ("logentry", "message"):
        entry = payload.get(key)
        if isinstance(entry, dict):
            template = entry.get("message") or entry.get("formatted")
            if isinstance(template, str) and template:
                return template
        elif isinstance(entry, str) and entry:
            return entry
    return None


class _Exception:
    """
    What one exception of a chain offers to grouping (its stack trace's variants worked out only
    when asked for).
    """

    __slots__ = ("type", "ns_error", "value", "frames", "platform", "_app", "_system")
    _UNSET: Any = object()

    def __init__(self, value: dict[str, Any], platform: str | None) -> None:
        mechanism = _mechanism(value)
        exc_type = value.get("type")
        self.type = None if mechanism.get("synthetic") or not exc_type else str(exc_type)
        meta = mechanism.get("meta")
        ns_error = meta.get("ns_error") if isinstance(meta, dict) else None
        self.ns_error = [str(ns_error.get("domain")), str(ns_error.get("code"))] \
            if isinstance(ns_error, dict) else []
        text = value.get("value")
        self.value = str(text) if text else None
        self.frames = frames_of(value)
        self.platform = platform
        self._app = self._system = self._UNSET

    @property
    def app_stack(self) -> tuple[str, ...] | None:
        if self._app is self._UNSET:
            self._app = app_values(self.frames, self.platform)
        return self._app

    @property
    def system_stack(self) -> tuple[str, ...] | None:
        if self._system is self._UNSET:
            self._system = system_values(self.frames, self.platform)
        return self._system

    def values(self, stack: tuple[str, ...] | None) -> list[str]:
        # Sentry's (legacy) order: stack trace, type, NSError, value; the value only counts
        # when neither a stack trace nor an NSError does.
        found = list(stack or ())
        if self.type:
            found.append(self.type)
        found.extend(self.ns_error)
        if stack is None and not self.ns_error and self.value:
            normalized = normalize_message_for_grouping(self.value)
            if normalized:
                found.append(normalized)
        return found

    def key(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return tuple(self.values(self.app_stack)), tuple(self.values(self.system_stack))


def _mechanism(value: dict[str, Any]) -> dict[str, Any]:
    mechanism = value.get("mechanism")
    return mechanism if isinstance(mechanism, dict) else {}


def _group_selection(payload: dict[str, Any], values: list[dict[str, Any]],
                     read: list[_Exception]) -> tuple[list[int], int | None]:
    """
    Which exceptions of a chain count, per Sentry's rules for exception groups, and the index of
    the exception that names the issue when the rules pick one.
    """
    everything = list(range(len(values)))
    if len(values) <= 1:
        return everything, None
    sdk = payload.get("sdk")
    version = sdk.get("version") if isinstance(sdk, dict) else None
    if platform_of(payload) == "python" and isinstance(version, str) \
            and version.startswith("3"):
        return everything, None
    children: dict[Any, list[int]] = {}
    by_id: dict[Any, int] = {}
    for index in reversed(everything):
        mechanism = _mechanism(values[index])
        exception_id, parent_id = mechanism.get("exception_id"), mechanism.get("parent_id")
        if not isinstance(exception_id, (int, str)) or exception_id == parent_id \
                or exception_id in by_id or not isinstance(parent_id, (int, str, type(None))):
            return everything, None
        by_id[exception_id] = index
        if parent_id is not None:
            children.setdefault(parent_id, []).append(index)
    root = by_id.get(0)
    if root is None:
        return everything, None

    def id_of(index: int) -> Any:
        return _mechanism(values[index]).get("exception_id")

    top: list[int] = []
    pending, seen = [root], set()
    while pending:
        index = pending.pop(0)
        if index in seen:
            continue
        seen.add(index)
        if _mechanism(values[index]).get("is_exception_group"):
            pending[:0] = children.get(id_of(index), [])
        else:
            top.append(index)
    if not top:
        return everything, None
    top.sort(key=lambda index: str(values[index].get("type")), reverse=True)
    distinct = top if len(top) == 1 else \
        [next(group) for _, group in groupby(top, key=lambda index: read[index].key())]
    if len(distinct) == 1:
        path, index = [], distinct[0]
        while index is not None and index not in path:
            path.append(index)
            below = children.get(id_of(index))
            index = below[0] if below else None
        return path, distinct[0]
    return distinct + [root], None


def _chain(payload: dict[str, Any], values: list[dict[str, Any]]) -> list[_Exception]:
    """
    The exceptions of a chain that grouping reads (Sentry's exception group rules may leave
    some out), each read once for both variants.
    """
    if not values:
        return []
    platform = platform_of(payload)
    read = [_Exception(value, platform) for value in values]
    selected, _ = _group_selection(payload, values, read)
    return [read[index] for index in selected]


def _exception_values(chosen: list[_Exception]) -> list[str] | None:
    if not chosen:
        return None
    if any(one.app_stack is not None for one in chosen):
        return [part for one in chosen for part in one.values(one.app_stack)]
    if any(one.system_stack is not None for one in chosen):
        return [part for one in chosen for part in one.values(one.system_stack)]
    # Without stack traces both variants are the same: types and values.
    return [part for one in chosen for part in one.values(None)] or None


def _app_variant(chosen: list[_Exception]) -> list[str] | None:
    """
    What Sentry's app variant hashes for an exception whose stack traces have no in-app
    frame (types and values alone), when its system variant is the stack traces; else
    C{None} (the two variants are one).
    """
    if not chosen:
        return None
    if any(one.app_stack is not None for one in chosen) or \
            not any(one.system_stack is not None for one in chosen):
        return None
    return [part for one in chosen for part in one.values(None)] or None


def main_exception(payload: dict[str, Any], values: list[dict[str, Any]] | None = None
                   ) -> dict[str, Any] | None:
    """
    The exception that names an error event: the last one, unless Sentry's exception group rules
    single out another.  C{values} are the event's L{exceptions}, if already at hand.
    """
    values = exceptions(payload) if values is None else values
    if not values:
        return None
    if len(values) > 1 and any(_mechanism(value).get("is_exception_group") for value in values):
        platform = platform_of(payload)
        read = [_Exception(value, platform) for value in values]
        _, main = _group_selection(payload, values, read)
        if main is not None:
            return values[main]
    return values[-1]


def _stack_of(stacktrace: object, platform: str | None) -> tuple[str, ...] | None:
    frames = frames_of({"stacktrace": stacktrace})
    if not frames:
        return None
    return app_values(frames, platform) or system_values(frames, platform)


def _thread_values(payload: dict[str, Any]) -> tuple[str, ...] | None:
    threads = payload.get("threads")
    values = threads.get("values") if isinstance(threads, dict) else None
    if not isinstance(values, list):
        return None
    values = [thread for thread in values if isinstance(thread, dict)]
    for chosen in ([t for t in values if t.get("crashed")], [t for t in values if t.get("current")],
                   values):
        if len(chosen) == 1:
            return _stack_of(chosen[0].get("stacktrace"), platform_of(payload))
    return None


def default_components(payload: dict[str, Any]) -> list[str]:
    """
    The components Sentry's default grouping would hash for this event: the name of the strategy
    that applies, then the values it contributes.
    """
    values = exceptions(payload)
    return _default_components(payload, _chain(payload, values))


def _default_components(payload: dict[str, Any], chosen: list[_Exception]) -> list[str]:
    found = _exception_values(chosen)
    if found:
        return ["exception", *found]
    found = _thread_values(payload)
    if found:
        return ["threads", *found]
    found = _stack_of(payload.get("stacktrace"), platform_of(payload))
    if found:
        return ["stacktrace", *found]
    csp = payload.get("csp")
    if isinstance(csp, dict):
        return ["csp", str(csp.get("effective_directive") or csp.get("violated_directive") or ""),
                str(csp.get("blocked_uri") or "")]
    template = message_template(payload)
    if template is not None:
        return ["message", normalize_message_for_grouping(template)]
    return ["fallback"]


def components(payload: dict[str, Any]) -> list[str]:
    """
    The grouping components of an event: C{["checksum", value]}, its fingerprint resolved
    (C{["fingerprint", ...]}), or the default components.
    """
    values = exceptions(payload)
    return _components(payload, values, _chain(payload, values))


def _components(payload: dict[str, Any], values: list[dict[str, Any]],
                chosen: list[_Exception]) -> list[str]:
    checksum = payload.get("checksum")
    if isinstance(checksum, str) and checksum:
        return ["checksum", checksum]
    fingerprint = fp.builtin(payload, values) or fp.entries(payload.get("fingerprint"))
    kind = fp.kind(fingerprint)
    if kind is None or kind == "default":
        return _default_components(payload, chosen)

    def last_frames() -> list[dict[str, Any]]:
        return frames_of(values[-1]) if values else []

    if kind == "custom":
        return ["fingerprint", *(fp.resolve(entry, payload, values, last_frames)
                                 for entry in fingerprint)]
    default = _default_components(payload, chosen)
    if default[0] == "fallback":
        # Salting a grouping that has no values leaves nothing to salt: the fallback group.
        return default
    parts = ["fingerprint"]
    for entry in fingerprint:
        if fp.variable_name(entry) == "default":
            parts.extend(default[1:])
        else:
            parts.append(fp.resolve(entry, payload, values, last_frames))
    return parts


def grouping_hashes(payload: dict[str, Any],
                    values: list[dict[str, Any]] | None = None) -> list[str]:
    """
    The hashes Sentry files an event under: its grouping hash, and, for an exception with no
    in-app frame, first the hash of its types and values (Sentry's app variant), so that such
    errors group by type and value whatever library frames they pass through.

    C{values} are the event's L{exceptions}, if already at hand.
    """
    values = exceptions(payload) if values is None else values
    chosen = _chain(payload, values)
    parts = _components(payload, values, chosen)
    primary = _hash_of(parts)
    if parts[0] != "exception":
        return [primary]
    app = _app_variant(chosen)
    if app is None:
        return [primary]
    return [_md5(app), primary]


def _md5(parts: list[str]) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    for part in parts:
        digest.update(part.encode("utf-8", "replace"))
    return digest.hexdigest()


def grouping_hash(payload: dict[str, Any]) -> str:
    """
    The 32-hex hash that names the issue an event belongs to (per project).
    """
    return _hash_of(components(payload))


def _hash_of(parts: list[str]) -> str:
    if parts[0] == "checksum":
        checksum = parts[1]
        if _HEX32.fullmatch(checksum):
            return checksum
        parts = parts[:1] + [checksum]
    return _md5(parts[1:])
