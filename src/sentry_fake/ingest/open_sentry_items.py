"""
The items of the Open Sentry ingest dialect (C{POST /v1/ingest}), checked and turned into the
Sentry event payloads the store keeps.  Pure functions.

An item is a JSON object with a C{type}:

  - C{error}: C{message} and/or C{exception} (C{type}, C{value}, C{stacktrace} as frames, as
    C{{"frames": [...]}} or as the text of a JavaScript or Python stack trace), C{level}
    (default C{error}), C{fingerprint};
  - C{transaction}: C{name}, C{op}, C{status} (default C{ok}), C{start}/C{end} (or Sentry's
    C{start_timestamp}/C{timestamp}) or a C{duration} in milliseconds, C{trace_id}, C{spans};
  - C{ai_generation}: C{model}, C{provider}, C{prompt} (or C{input}), C{completion} (or
    C{output}), C{input_tokens}/C{output_tokens}/C{total_tokens} (or C{prompt_tokens}/
    C{completion_tokens}), C{cost}, C{latency_ms} (or C{latency}), C{metadata}; stored as a
    transaction whose one C{gen_ai.chat} span carries Sentry's C{gen_ai.*} attributes;

and, for all three, C{event_id} (or C{id}), C{timestamp} (epoch seconds or RFC 3339, default
now), C{platform}, C{release}, C{environment}, C{dist}, C{server_name}, C{tags}, C{user},
C{extra}, C{contexts}, C{request} and C{breadcrumbs}.
"""

from __future__ import annotations

import re
from typing import Any

from .. import ids
from ..jsoncodec import dumps
from ..store.normalize import normalize_event_id
from ..timefmt import parse_timestamp

MAX_ITEMS = 20
LEVELS = ("fatal", "error", "warning", "info", "debug")
_STRINGS = ("platform", "release", "environment", "dist", "server_name", "logger")
_OBJECTS = ("user", "extra", "contexts", "request")
_V8 = re.compile(r"^\s*at (?:(?P<function>[^()]+?) \()?"
                 r"(?P<filename>[^()]+):(?P<lineno>\d+):(?P<colno>\d+)\)?\s*$")
# Stack lines longer than this are not frames anyone wrote; skipping them bounds the work.
_MAX_STACK_LINE = 2048
_GECKO = re.compile(r"^\s*(?P<function>[^@]*)@(?P<filename>.+?):(?P<lineno>\d+):(?P<colno>\d+)\s*$")
_PYTHON = re.compile(r'^\s*File "(?P<filename>.+)", line (?P<lineno>\d+)'
                     r'(?:, in (?P<function>.+))?$')
_HEX = re.compile(r"^[0-9a-f]+$")
_LIBRARIES = ("node_modules", "site-packages", "dist-packages", "<frozen", "node:")


class InvalidItem(ValueError):
    """
    A body or an item of the wrong shape; the message says why (for the log).
    """


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


def _string(item: dict[str, Any], *names: str, required: bool = False) -> str | None:
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


def _number(item: dict[str, Any], *names: str) -> float | None:
    for name in names:
        value = item.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise InvalidItem(f"{name} must be a non-negative number")
        return value
    return None


def _time(item: dict[str, Any], *names: str) -> float | None:
    for name in names:
        value = item.get(name)
        if value is None:
            continue
        parsed = parse_timestamp(value)
        if parsed is None:
            raise InvalidItem(f"{name} is not a timestamp")
        return parsed
    return None


def _hex_id(value: Any, length: int, name: str) -> str:
    if value is None:
        return ids.uuid_hex()[:length]
    if not isinstance(value, str) or len(value) != length or not _HEX.match(value.lower()):
        raise InvalidItem(f"{name} must be {length} hex digits")
    return value.lower()


def _tags(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidItem("tags must be an object")
    tags = {}
    for key, tag in value.items():
        if isinstance(tag, (dict, list)):
            raise InvalidItem("tag values must be strings")
        if tag is not None:
            tags[str(key)] = tag if isinstance(tag, str) else dumps(tag).decode()
    return tags


def common_fields(item: dict[str, Any], now: float) -> dict[str, Any]:
    """
    What every item type carries: ids, time, and the event context fields.
    """
    given = item.get("event_id", item.get("id"))
    event_id = normalize_event_id(given) if given is not None else ids.uuid_hex()
    if event_id is None:
        raise InvalidItem("id must be 32 hex digits or a UUID")
    payload: dict[str, Any] = {"event_id": event_id,
                               "timestamp": _time(item, "timestamp") or now,
                               "platform": _string(item, "platform") or "other"}
    for name in _STRINGS[1:]:
        value = _string(item, name)
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
    tags = _tags(item.get("tags"))
    if tags:
        payload["tags"] = tags
    return payload


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
        for alias, name in (("file", "filename"), ("line", "lineno"), ("column", "colno"),
                            ("func", "function")):
            if alias in shaped and name not in shaped:
                shaped[name] = shaped.pop(alias)
        frames.append(shaped)
    return frames, None


def _exception(value: Any, extra: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidItem("exception must be an object")
    exc_type, exc_value = _string(value, "type"), value.get("value", value.get("message"))
    if exc_value is not None and not isinstance(exc_value, str):
        raise InvalidItem("exception value must be a string")
    if exc_type is None and not exc_value:
        raise InvalidItem("an exception needs a type or a value")
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
    message = _string(item, "message")
    raw_exceptions = item.get("exception", item.get("exceptions"))
    if message is None and raw_exceptions is None:
        raise InvalidItem("an error needs a message or an exception")
    level = item.get("level", "error")
    if not isinstance(level, str) or level.lower() not in LEVELS:
        raise InvalidItem(f"level must be one of {', '.join(LEVELS)}")
    payload["level"] = level.lower()
    if message is not None:
        payload["logentry"] = {"formatted": message}
    if raw_exceptions is not None:
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


def _span_times(item: dict[str, Any], default_start: float | None,
                default_end: float) -> tuple[float, float]:
    """
    Start and end of a transaction or span: given, or derived from a duration in milliseconds,
    or the defaults (a span without times covers its transaction).
    """
    start = _time(item, "start_timestamp", "start")
    end = _time(item, "end", "timestamp")
    duration = _number(item, "duration", "duration_ms")
    seconds = duration / 1000 if duration is not None else None
    if start is None and end is None:
        if seconds is not None and default_start is not None:
            start, end = default_start, default_start + seconds
        else:
            end = default_end
            start = end - seconds if seconds is not None else (
                default_start if default_start is not None else end)
    elif end is None:
        end = start + seconds if seconds is not None else default_end
    elif start is None:
        start = end - seconds if seconds is not None else (
            default_start if default_start is not None else end)
    if start > end:
        raise InvalidItem("start is after end")
    return start, end


def _span(value: Any, trace_id: str, root_id: str, start: float, end: float) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidItem("every span must be an object")
    span_start, span_end = _span_times(value, start, end)
    span: dict[str, Any] = {
        "trace_id": trace_id, "span_id": _hex_id(value.get("span_id"), 16, "span_id"),
        "parent_span_id": _hex_id(value.get("parent_span_id") or root_id, 16, "parent_span_id"),
        "op": _string(value, "op") or "default",
        "description": _string(value, "description", "name"),
        "start_timestamp": span_start, "timestamp": span_end,
        "status": _string(value, "status") or "ok",
    }
    for name in ("data", "tags"):
        if value.get(name) is not None:
            if not isinstance(value[name], dict):
                raise InvalidItem(f"span {name} must be an object")
            span[name] = value[name]
    return span


def _transaction(item: dict[str, Any], now: float, name: str, op: str,
                 data: dict[str, Any] | None = None) -> dict[str, Any]:
    payload = common_fields(item, now)
    start, end = _span_times(item, None, now)
    trace_id = _hex_id(item.get("trace_id"), 32, "trace_id")
    root_id = _hex_id(item.get("span_id"), 16, "span_id")
    trace: dict[str, Any] = {"trace_id": trace_id, "span_id": root_id, "op": op,
                             "status": _string(item, "status") or "ok", "type": "trace"}
    if data:
        trace["data"] = data
    contexts = dict(payload.get("contexts") or {})
    contexts["trace"] = trace
    spans = item.get("spans")
    if spans is not None and not isinstance(spans, list):
        raise InvalidItem("spans must be an array")
    payload.update(type="transaction", transaction=name, start_timestamp=start, timestamp=end,
                   contexts=contexts, transaction_info={"source": "custom"},
                   spans=[_span(span, trace_id, root_id, start, end) for span in spans or []])
    return payload


def transaction_payload(item: dict[str, Any], now: float) -> dict[str, Any]:
    name = _string(item, "name", "transaction", required=True)
    return _transaction(item, now, name, _string(item, "op") or "default")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else dumps(value).decode()


def ai_generation_payload(item: dict[str, Any], now: float) -> dict[str, Any]:
    model = _string(item, "model", required=True)
    provider = _string(item, "provider")
    input_tokens = _number(item, "input_tokens", "prompt_tokens")
    output_tokens = _number(item, "output_tokens", "completion_tokens")
    total_tokens = _number(item, "total_tokens")
    if total_tokens is None and input_tokens is not None and output_tokens is not None:
        total_tokens = input_tokens + output_tokens
    metadata = item.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise InvalidItem("metadata must be an object")
    data = {
        "gen_ai.operation.name": "chat", "gen_ai.request.model": model,
        "gen_ai.response.model": model, "gen_ai.provider.name": provider,
        "gen_ai.system": provider,
        "gen_ai.request.messages": _text(item.get("prompt", item.get("input"))),
        "gen_ai.response.text": _text(item.get("completion", item.get("output"))),
        "gen_ai.usage.input_tokens": input_tokens, "gen_ai.usage.output_tokens": output_tokens,
        "gen_ai.usage.total_tokens": total_tokens,
        "gen_ai.cost.total_tokens": _number(item, "cost"),
    }
    data = {key: value for key, value in data.items() if value is not None}
    for key, value in (metadata or {}).items():
        data[f"gen_ai.metadata.{key}"] = value
    latency = _number(item, "latency_ms", "latency")
    timed = dict(item)
    if latency is not None and timed.get("duration") is None:
        timed["duration"] = latency
    name = _string(item, "name") or f"chat {model}"
    payload = _transaction(dict(timed, spans=None), now, name, "gen_ai.chat", data)
    trace = payload["contexts"]["trace"]
    payload["spans"] = [{
        "trace_id": trace["trace_id"], "span_id": ids.hex_token(8),
        "parent_span_id": trace["span_id"], "op": "gen_ai.chat", "description": f"chat {model}",
        "start_timestamp": payload["start_timestamp"], "timestamp": payload["timestamp"],
        "status": trace["status"], "origin": "manual", "data": data,
    }]
    if metadata:
        payload["extra"] = dict(payload.get("extra") or {}, metadata=metadata)
    return payload
