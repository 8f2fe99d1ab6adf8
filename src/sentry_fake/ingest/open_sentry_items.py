"""
The items of the Open Sentry ingest dialect (C{POST /v1/ingest}), checked and turned into the
Sentry event payloads the store keeps.  Pure functions.

An item is a JSON object with a C{type}; the fields Open Sentry requires are required, each
under its Open Sentry (camelCase) name or the snake_case and Sentry spellings also read:

  - C{error}: C{exception} (C{type}, C{value}, C{stacktrace} as frames, as C{{"frames": [...]}}
    or as the text of a JavaScript or Python stack trace; or a list of them), C{message},
    C{level} (default C{error}), C{fingerprint};
  - C{transaction}: C{name}, C{traceId} and C{durationMs} (required), C{op}, C{status}
    (default C{ok}), C{start}/C{end} (or Sentry's C{start_timestamp}/C{timestamp}) to place it
    in time, C{spans} (each with C{spanId}, C{op} and C{durationMs}; C{parentSpanId},
    C{description}, C{data});
  - C{ai_generation}: C{provider}, C{model} and C{inputTokens} (required), C{outputTokens},
    C{totalTokens}, C{cachedInputTokens}, C{cacheWriteTokens}, C{inputCostUsd},
    C{outputCostUsd}, C{totalCostUsd} (or C{cost}), C{latencyMs}, C{prompt} (or C{input}),
    C{completion} (or C{output}), C{metadata}, C{traceId}, C{spanId}; stored as a transaction
    whose one C{gen_ai.chat} span carries Sentry's C{gen_ai.*} attributes;

and, for all three, C{event_id} (or C{id}), C{timestamp} (epoch seconds or RFC 3339, default
now), C{platform}, C{release}, C{environment}, C{dist}, C{server_name}, C{tags}, C{user},
C{extra}, C{contexts}, C{request} and C{breadcrumbs}.  A trace or span id that is not hex
(Open Sentry takes any string) is turned into one, the same string giving the same id.
"""

from __future__ import annotations

import re
from typing import Any

from .open_sentry_fields import InvalidItem, common_fields, string
from .open_sentry_traces import ai_generation_payload, transaction_payload

__all__ = ["InvalidItem", "convert_body", "convert_item", "parse_stack_text"]

MAX_ITEMS = 20
LEVELS = ("fatal", "error", "warning", "info", "debug")
_V8 = re.compile(r"^\s*at (?:(?P<function>[^()]+?) \()?"
                 r"(?P<filename>[^()]+):(?P<lineno>\d+):(?P<colno>\d+)\)?\s*$")
# Stack lines longer than this are not frames anyone wrote; skipping them bounds the work.
_MAX_STACK_LINE = 2048
_GECKO = re.compile(r"^\s*(?P<function>[^@]*)@(?P<filename>.+?):(?P<lineno>\d+):(?P<colno>\d+)\s*$")
_PYTHON = re.compile(r'^\s*File "(?P<filename>.+)", line (?P<lineno>\d+)'
                     r'(?:, in (?P<function>.+))?$')
_LIBRARIES = ("node_modules", "site-packages", "dist-packages", "<frozen", "node:")
#: Open Sentry's names of frame fields, and Sentry's.
_FRAME_FIELDS = (("file", "filename"), ("line", "lineno"), ("column", "colno"),
                 ("func", "function"), ("inApp", "in_app"), ("absPath", "abs_path"),
                 ("contextLine", "context_line"), ("preContext", "pre_context"),
                 ("postContext", "post_context"))


def convert_body(body: Any, now: float) -> list[tuple[str, dict[str, Any]]]:
    """
    A parsed request body (one item or an array of 1 to 20) as C{(item type, payload)} pairs,
    where the item type is C{event} or C{transaction}.

    @raise InvalidItem: the body or an item is of the wrong shape.
    """
    if isinstance(body, dict):
        items = [body]
    elif isinstance(body, list):
        items = body
        if not 1 <= len(items) <= MAX_ITEMS:
            raise InvalidItem(f"an array must hold 1 to {MAX_ITEMS} items")
    else:
        raise InvalidItem("the body must be an object or an array")
    return [convert_item(item, now) for item in items]


def convert_item(item: Any, now: float) -> tuple[str, dict[str, Any]]:
    if not isinstance(item, dict):
        raise InvalidItem("every item must be an object")
    kind = item.get("type")
    if kind == "error":
        return "event", error_payload(item, now)
    if kind == "transaction":
        return "transaction", transaction_payload(item, now)
    if kind == "ai_generation":
        return "transaction", ai_generation_payload(item, now)
    raise InvalidItem(f"unknown item type {kind!r}")


def parse_stack_text(text: str) -> list[dict[str, Any]]:
    """
    Frames (oldest first, as Sentry orders them) read from a JavaScript (V8 or Gecko) or Python
    stack trace; an empty list when no line is understood.
    """
    frames: list[dict[str, Any]] = []
    newest_first = False
    for line in text.splitlines():
        if len(line) > _MAX_STACK_LINE:
            continue
        match = _V8.match(line) or _GECKO.match(line)
        if match:
            newest_first = True
        else:
            match = _PYTHON.match(line)
        if not match:
            continue
        found = match.groupdict()
        frame: dict[str, Any] = {"filename": found["filename"], "abs_path": found["filename"],
                                 "function": (found.get("function") or "").strip() or "?",
                                 "lineno": int(found["lineno"])}
        if found.get("colno"):
            frame["colno"] = int(found["colno"])
        frame["in_app"] = not any(part in found["filename"] for part in _LIBRARIES)
        frames.append(frame)
    return frames[::-1] if newest_first else frames


def _frames(value: Any) -> tuple[list[dict[str, Any]], str | None]:
    if isinstance(value, str):
        return parse_stack_text(value), value
    if isinstance(value, dict):
        value = value.get("frames")
    if not isinstance(value, list) or not all(isinstance(frame, dict) for frame in value):
        raise InvalidItem("stacktrace must be text, an array of frames or {frames: [...]}")
    frames = []
    for frame in value:
        shaped = dict(frame)
        for alias, name in _FRAME_FIELDS:
            if alias in shaped and name not in shaped:
                shaped[name] = shaped.pop(alias)
        frames.append(shaped)
    return frames, None


def _exception(value: Any, extra: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidItem("exception must be an object")
    exc_type, exc_value = string(value, "type"), value.get("value", value.get("message"))
    if exc_value is not None and not isinstance(exc_value, str):
        raise InvalidItem("exception value must be a string")
    shaped: dict[str, Any] = {"type": exc_type or "Error", "value": exc_value or ""}
    if value.get("module") is not None:
        shaped["module"] = str(value["module"])
    if isinstance(value.get("mechanism"), dict):
        shaped["mechanism"] = value["mechanism"]
    if value.get("stacktrace") is not None:
        frames, text = _frames(value["stacktrace"])
        if frames:
            shaped["stacktrace"] = {"frames": frames}
        elif text:
            extra["stacktrace"] = text
    return shaped


def error_payload(item: dict[str, Any], now: float) -> dict[str, Any]:
    payload = common_fields(item, now)
    message = string(item, "message")
    raw_exceptions = item.get("exception", item.get("exceptions"))
    if raw_exceptions is None:
        raise InvalidItem("exception is required")
    level = item.get("level", "error")
    if not isinstance(level, str) or level.lower() not in LEVELS:
        raise InvalidItem(f"level must be one of {', '.join(LEVELS)}")
    payload["level"] = level.lower()
    if message is not None:
        payload["logentry"] = {"formatted": message}
    extra = dict(payload.get("extra") or {})
    listed = raw_exceptions if isinstance(raw_exceptions, list) else [raw_exceptions]
    if not listed:
        raise InvalidItem("exception must not be empty")
    payload["exception"] = {"values": [_exception(value, extra) for value in listed]}
    if extra:
        payload["extra"] = extra
    fingerprint = item.get("fingerprint")
    if fingerprint is not None:
        if (not isinstance(fingerprint, list) or not fingerprint
                or any(isinstance(part, (dict, list)) for part in fingerprint)):
            raise InvalidItem("fingerprint must be an array of strings")
        payload["fingerprint"] = [str(part) for part in fingerprint]
    return payload
