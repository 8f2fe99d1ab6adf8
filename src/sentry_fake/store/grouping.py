"""
How events become issues: the grouping components of an event and their hashes.

A pure function of the event payload.  An explicit C{fingerprint} wins (with C{{{ default }}}
and the other variables expanded); otherwise the primary exceptions' stack traces, using in-app
frames when there are any; otherwise exception type and value; otherwise the message template.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

_DEFAULT_MARKERS = frozenset({"{{ default }}", "{{default}}"})
_VARIABLE = re.compile(r"\{\{\s*([\w.]+)\s*\}\}")
# What varies in a formatted message between occurrences of "the same" message.
_MESSAGE_NOISE = re.compile(
    r"\b[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}\b"
    r"|\b0x[0-9a-fA-F]+\b|\b\d+(?:\.\d+)?\b"
)
_MAX_FRAMES = 50


def exceptions(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """
    The exception values of an event, oldest cause first (the primary exception is last).
    """
    exc = payload.get("exception")
    if isinstance(exc, dict):
        values = exc.get("values")
    else:
        values = exc
    if not isinstance(values, list):
        return []
    return [value for value in values if isinstance(value, dict)]


def frames_of(exception_or_thread: dict[str, Any]) -> list[dict[str, Any]]:
    stacktrace = exception_or_thread.get("stacktrace")
    if not isinstance(stacktrace, dict):
        return []
    frames = stacktrace.get("frames")
    if not isinstance(frames, list):
        return []
    return [frame for frame in frames if isinstance(frame, dict)]


def _normalize_filename(filename: str) -> str:
    # Strip query strings and hashes from URLs, as versioned assets would otherwise split groups.
    return filename.split("?", 1)[0].split("#", 1)[0]


def _frame_component(frame: dict[str, Any]) -> tuple[str, ...] | None:
    function = frame.get("function")
    location = frame.get("module") or frame.get("filename") or frame.get("abs_path")
    if location:
        location = _normalize_filename(str(location))
    if function and function != "?":
        return (str(location or ""), str(function))
    context = frame.get("context_line")
    if context:
        return (str(location or ""), str(context).strip())
    if location and frame.get("lineno") is not None:
        return (str(location), str(frame["lineno"]))
    return None


def _stack_component(frames: list[dict[str, Any]]) -> list[tuple[str, ...]] | None:
    in_app = [frame for frame in frames if frame.get("in_app") is True]
    chosen = in_app or frames
    parts = [part for part in map(_frame_component, chosen[-_MAX_FRAMES:]) if part is not None]
    return parts or None


def message_template(payload: dict[str, Any]) -> str | None:
    """
    The message an event carries, as a template where one exists (parameters not filled in).
    """
    logentry = payload.get("logentry")
    if isinstance(logentry, dict):
        template = logentry.get("message") or logentry.get("formatted")
        if isinstance(template, str) and template:
            return template
    message = payload.get("message")
    if isinstance(message, dict):
        template = message.get("message") or message.get("formatted")
        if isinstance(template, str) and template:
            return template
    if isinstance(message, str) and message:
        return message
    return None


def default_components(payload: dict[str, Any]) -> list[str]:
    """
    The components Sentry's default grouping would hash for this event.
    """
    values = exceptions(payload)
    if values:
        parts: list[str] = []
        for value in values:
            stack = _stack_component(frames_of(value))
            exc_type = str(value.get("type") or "")
            if stack:
                parts.append(exc_type)
                parts.extend("\x1f".join(part) for part in stack)
            else:
                parts.append(exc_type)
                parts.append(str(value.get("value") or ""))
        return ["exception"] + parts
    threads = payload.get("threads")
    if isinstance(threads, dict):
        for thread in threads.get("values") or []:
            if isinstance(thread, dict) and (thread.get("crashed") or thread.get("current")):
                stack = _stack_component(frames_of(thread))
                if stack:
                    return ["threads"] + ["\x1f".join(part) for part in stack]
    stacktrace = payload.get("stacktrace")
    if isinstance(stacktrace, dict):
        stack = _stack_component(frames_of({"stacktrace": stacktrace}))
        if stack:
            return ["stacktrace"] + ["\x1f".join(part) for part in stack]
    template = message_template(payload)
    if template is not None:
        logentry = payload.get("logentry")
        has_params = isinstance(logentry, dict) and logentry.get("params")
        text = template if has_params else _MESSAGE_NOISE.sub("<n>", template)
        return ["message", text]
    csp = payload.get("csp")
    if isinstance(csp, dict):
        return ["csp", str(csp.get("effective_directive") or csp.get("violated_directive") or ""),
                str(csp.get("blocked_uri") or "")]
    return ["fallback"]


def _variable(name: str, payload: dict[str, Any]) -> list[str]:
    values = exceptions(payload)
    primary = values[-1] if values else {}
    if name == "default":
        return default_components(payload)
    if name == "transaction":
        return [str(payload.get("transaction") or "<no-transaction>")]
    if name in ("type", "error.type"):
        return [str(primary.get("type") or "<no-type>")]
    if name in ("value", "error.value"):
        return [str(primary.get("value") or "<no-value>")]
    if name in ("function", "module", "package"):
        frames = frames_of(primary) if primary else []
        in_app = [frame for frame in frames if frame.get("in_app") is True] or frames
        found = in_app[-1].get(name) if in_app else None
        return [str(found or f"<no-{name}>")]
    if name == "level":
        return [str(payload.get("level") or "error")]
    if name == "logger":
        return [str(payload.get("logger") or "<no-logger>")]
    if name == "message":
        return [message_template(payload) or "<no-message>"]
    if name.startswith("tags."):
        key = name[5:]
        tags = payload.get("tags")
        if isinstance(tags, dict) and key in tags:
            return [str(tags[key])]
        if isinstance(tags, list):
            for pair in tags:
                if isinstance(pair, (list, tuple)) and len(pair) == 2 and pair[0] == key:
                    return [str(pair[1])]
        return [f"<no-value-for-tag-{key}>"]
    return ["{{ %s }}" % name]


def components(payload: dict[str, Any]) -> list[str]:
    """
    The grouping components of an event: its fingerprint, expanded, or the default components.
    """
    fingerprint = payload.get("fingerprint")
    if not isinstance(fingerprint, list) or not fingerprint:
        return default_components(payload)
    parts = ["fingerprint"]
    for entry in fingerprint:
        entry = str(entry)
        if entry in _DEFAULT_MARKERS:
            parts.extend(default_components(payload))
            continue
        match = _VARIABLE.fullmatch(entry.strip())
        if match:
            parts.extend(_variable(match.group(1), payload))
        else:
            parts.append(entry)
    return parts


def grouping_hash(payload: dict[str, Any]) -> str:
    """
    The 32-hex hash that names the issue an event belongs to (per project).
    """
    joined = "\x1e".join(components(payload)).encode("utf-8", "surrogatepass")
    return hashlib.md5(joined, usedforsecurity=False).hexdigest()
