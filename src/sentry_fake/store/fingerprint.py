"""
Fingerprints: the variables a fingerprint entry may name, and the built-in fingerprint rules
Sentry applies on the server.

An entry is a variable only when the whole entry has the form C{{{ name }}} (spaces optional).
C{{{ default }}} stands for the default grouping; a fingerprint that is only C{["{{ default }}"]}
is the default grouping itself.  Variables Sentry does not know stay as written.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Literal

from .messages import formatted_message
from .stackframes import JS_FAMILY, crash_frame

_VARIABLE = re.compile(r"\{\{\s*(\S+)\s*\}\}")
# Tags that exist on every event by the time Sentry groups it, derived from its fields.
_LEVEL_ALIASES = {"warn": "warning", "critical": "fatal", "log": "info"}
_FIELD_TAGS = ("level", "environment", "release", "dist", "server_name", "logger", "transaction",
               "site")


def _level(value: object) -> str:
    text = str(value).lower() if isinstance(value, str) and value else "error"
    return _LEVEL_ALIASES.get(text, text)


def variable_name(entry: str) -> str | None:
    """
    The variable a fingerprint entry names, or C{None} if it is a plain value.
    """
    match = _VARIABLE.match(entry)
    if match is not None and match.end() == len(entry):
        return match.group(1)
    return None


def entries(fingerprint: object) -> list[str]:
    """
    A fingerprint as a list of strings (numbers and booleans as Sentry spells them).
    """
    if not isinstance(fingerprint, list):
        return []
    found = []
    for entry in fingerprint:
        if isinstance(entry, bool):
            found.append("True" if entry else "False")
        elif isinstance(entry, (str, int, float)):
            found.append(str(entry))
    return found


def kind(fingerprint: list[str]) -> Literal["default", "hybrid", "custom"] | None:
    if not fingerprint:
        return None
    defaults = [variable_name(entry) == "default" for entry in fingerprint]
    if len(fingerprint) == 1 and defaults[0]:
        return "default"
    return "hybrid" if any(defaults) else "custom"


def _tag(payload: dict[str, Any], key: str) -> str | None:
    tags = payload.get("tags")
    pairs = tags.items() if isinstance(tags, dict) else tags if isinstance(tags, list) else ()
    for pair in pairs:
        if isinstance(pair, (list, tuple)) and len(pair) == 2 and pair[0] == key \
                and pair[1] is not None:
            return str(pair[1])
    if key in _FIELD_TAGS:
        value = _level(payload.get(key)) if key == "level" else payload.get(key)
        if value not in (None, ""):
            return str(value)
    return None


def resolve(entry: str, payload: dict[str, Any], exceptions: list[dict[str, Any]],
            last_frames: Callable[[], list[dict[str, Any]]]) -> str:
    """
    The value of one fingerprint entry for this event.
    """
    name = variable_name(entry)
    if name is None or name == "default":
        return entry
    last = exceptions[-1] if exceptions else {}
    if name == "transaction":
        return str(payload.get("transaction") or "<no-transaction>")
    if name == "message":
        message = formatted_message(payload) or last.get("value")
        return str(message or "<no-message>")
    if name in ("type", "error.type"):
        return str(last.get("type") or "<no-type>")
    if name in ("value", "error.value"):
        return str(last.get("value") or "<no-value>")
    if name == "level":
        return _level(payload.get("level"))
    if name == "logger":
        return str(payload.get("logger") or "<no-logger>")
    if name.startswith("tags."):
        value = _tag(payload, name[5:])
        return value if value is not None else f"<no-value-for-tag-{name[5:]}>"
    frame_fields = {
        "function": ("function",), "stack.function": ("function",),
        "path": ("abs_path", "filename"), "stack.abs_path": ("abs_path", "filename"),
        "stack.filename": ("filename", "abs_path"),
        "module": ("module",), "stack.module": ("module",),
        "package": ("package",), "stack.package": ("package",),
    }
    if name in frame_fields:
        frame = crash_frame(payload, last_frames()) or {}
        value = next((frame[key] for key in frame_fields[name] if frame.get(key)), None)
        if value and name.endswith("package"):
            value = str(value).rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
        placeholder = {"function": "function", "path": "abs-path", "abs_path": "abs-path",
                       "filename": "filename", "module": "module", "package": "package"}
        return str(value or f"<no-{placeholder[name.rsplit('.', 1)[-1]]}>")
    return entry


def builtin(payload: dict[str, Any], exceptions: list[dict[str, Any]]) -> list[str] | None:
    """
    The fingerprint a built-in server rule gives this event, if one matches: every JavaScript
    C{ChunkLoadError} is one issue.
    """
    platform = payload.get("platform")
    if not isinstance(platform, str) or platform not in JS_FAMILY:
        return None
    for value in exceptions:
        text = value.get("value")
        if value.get("type") == "ChunkLoadError" or (
                isinstance(text, str) and text.strip().startswith("ChunkLoadError")):
            return ["chunkloaderror"]
    return None
