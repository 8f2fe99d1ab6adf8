"""
The Open Sentry items that become transaction events: C{transaction} (with its spans) and
C{ai_generation} (one C{gen_ai.chat} span carrying Sentry's C{gen_ai.*} attributes).  Pure
functions.

The fields Open Sentry requires are required here too, under any of their names: a
transaction's C{name}, C{traceId} and C{durationMs}, each span's C{spanId}, C{op} and
C{durationMs}, an AI generation's C{provider}, C{model} and C{inputTokens}.
"""

from __future__ import annotations

from typing import Any

from .. import ids
from ..jsoncodec import dumps
from .open_sentry_fields import InvalidItem, common_fields, number, span_id, string, time, trace_id

_DURATION = ("durationMs", "duration", "duration_ms")
#: AI generation numbers and the C{gen_ai.*} attributes Sentry keeps them under.
_USAGE = (
    (("inputTokens", "input_tokens", "prompt_tokens"), "gen_ai.usage.input_tokens", True),
    (("outputTokens", "output_tokens", "completion_tokens"), "gen_ai.usage.output_tokens", True),
    (("totalTokens", "total_tokens"), "gen_ai.usage.total_tokens", True),
    (("cachedInputTokens", "cached_input_tokens"), "gen_ai.usage.input_tokens.cached", True),
    (("cacheWriteTokens", "cache_write_tokens"), "gen_ai.usage.input_tokens.cache_write", True),
    (("inputCostUsd", "input_cost"), "gen_ai.cost.input_tokens", False),
    (("outputCostUsd", "output_cost"), "gen_ai.cost.output_tokens", False),
    (("totalCostUsd", "cost"), "gen_ai.cost.total_tokens", False),
)


def _span_times(item: dict[str, Any], default_start: float | None,
                default_end: float) -> tuple[float, float]:
    """
    Start and end of a transaction or span: given, or derived from its duration in
    milliseconds (which it must have) and the defaults (a span starts with its transaction).
    """
    start = time(item, "start_timestamp", "start")
    end = time(item, "end", "timestamp")
    seconds = number(item, *_DURATION, required=True) / 1000
    if start is None and end is None:
        if default_start is not None:
            start, end = default_start, default_start + seconds
        else:
            end = default_end
            start = end - seconds
    elif end is None:
        end = start + seconds
    elif start is None:
        start = end - seconds
    if start > end:
        raise InvalidItem("start is after end")
    return start, end


def _span(value: Any, trace: str, root_id: str, start: float, end: float) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidItem("every span must be an object")
    span_start, span_end = _span_times(value, start, end)
    span: dict[str, Any] = {
        "trace_id": trace, "span_id": span_id(value, "spanId", "span_id", required=True),
        "parent_span_id": span_id(value, "parentSpanId", "parent_span_id", default=root_id),
        "op": string(value, "op", required=True),
        "description": string(value, "description", "name"),
        "start_timestamp": span_start, "timestamp": span_end,
        "status": string(value, "status") or "ok",
    }
    for name in ("data", "tags"):
        if value.get(name) is not None:
            if not isinstance(value[name], dict):
                raise InvalidItem(f"span {name} must be an object")
            span[name] = value[name]
    return span


def _transaction(item: dict[str, Any], now: float, name: str, op: str,
                 data: dict[str, Any] | None = None,
                 trace_required: bool = True) -> dict[str, Any]:
    payload = common_fields(item, now)
    start, end = _span_times(item, None, now)
    trace = trace_id(item, "traceId", "trace_id", required=trace_required)
    root_id = span_id(item, "spanId", "span_id")
    context: dict[str, Any] = {"trace_id": trace, "span_id": root_id, "op": op,
                               "status": string(item, "status") or "ok", "type": "trace"}
    if data:
        context["data"] = data
    contexts = dict(payload.get("contexts") or {})
    contexts["trace"] = context
    spans = item.get("spans")
    if spans is not None and not isinstance(spans, list):
        raise InvalidItem("spans must be an array")
    payload.update(type="transaction", transaction=name, start_timestamp=start, timestamp=end,
                   contexts=contexts, transaction_info={"source": "custom"},
                   spans=[_span(span, trace, root_id, start, end) for span in spans or []])
    return payload


def transaction_payload(item: dict[str, Any], now: float) -> dict[str, Any]:
    name = string(item, "name", "transaction", required=True)
    return _transaction(item, now, name, string(item, "op") or "default")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else dumps(value).decode()


def ai_generation_payload(item: dict[str, Any], now: float) -> dict[str, Any]:
    provider = string(item, "provider", required=True)
    model = string(item, "model", required=True)
    number(item, *_USAGE[0][0], whole=True, required=True)
    usage = {attribute: number(item, *names, whole=whole) for names, attribute, whole in _USAGE}
    if usage["gen_ai.usage.total_tokens"] is None and \
            usage["gen_ai.usage.output_tokens"] is not None:
        usage["gen_ai.usage.total_tokens"] = (usage["gen_ai.usage.input_tokens"]
                                              + usage["gen_ai.usage.output_tokens"])
    metadata = item.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise InvalidItem("metadata must be an object")
    data = {
        "gen_ai.operation.name": "chat", "gen_ai.request.model": model,
        "gen_ai.response.model": model, "gen_ai.provider.name": provider,
        "gen_ai.system": provider,
        "gen_ai.request.messages": _text(item.get("prompt", item.get("input"))),
        "gen_ai.response.text": _text(item.get("completion", item.get("output"))),
        **usage,
    }
    data = {key: value for key, value in data.items() if value is not None}
    for key, value in (metadata or {}).items():
        data[f"gen_ai.metadata.{key}"] = value
    latency = number(item, "latencyMs", "latency_ms", "latency", whole=True)
    timed = dict(item, spans=None)
    if timed.get("durationMs", timed.get("duration")) is None:
        timed["durationMs"] = latency or 0
    name = string(item, "name") or f"chat {model}"
    payload = _transaction(timed, now, name, "gen_ai.chat", data, trace_required=False)
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
