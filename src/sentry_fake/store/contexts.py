"""
Contexts as Relay normalizes them, and the tags Sentry derives from them.

Relay: every context is an object whose C{type} is its own or, without one, its key (so a
custom context is typed by its name); C{os}, C{runtime} and C{browser} get a combined
C{"name version"} field (C{os} and C{browser} from the name alone too); a trace context is
always there (ids lower-cased, invalid ones replaced by the event id and its first 16 digits,
C{status} C{unknown} by default); and the request's User-Agent adds C{browser}, C{device} and an
operating system context (under C{os} for JavaScript events, else C{client_os}) where the event
has none of that name.

Sentry maps context fields to tags by type, under the context's key: C{device} is the model and
C{device.family}; C{os}, C{runtime} and C{browser} their combined field and C{.name};
C{os.rooted}; C{gpu.name} and C{gpu.vendor}; C{app.device}; C{monitor.id} and C{monitor.slug}.
"""

from __future__ import annotations

import re
import string
from typing import Any, Iterator

from .event_errors import Report
from .user_agent import contexts_for

_TRACE_ID = re.compile(r"[0-9a-fA-F]{32}")
_SPAN_ID = re.compile(r"[0-9a-fA-F]{16}")
#: type -> {tag suffix ("" for the key itself): format of context fields}
TAG_MAPPING: dict[str, dict[str, str]] = {
    "app": {"device": "{device_app_hash}"},
    "device": {"": "{model}", "family": "{family}"},
    "runtime": {"": "{runtime}", "name": "{name}"},
    "browser": {"": "{browser}", "name": "{name}"},
    "os": {"": "{os}", "name": "{name}", "rooted": "{rooted}"},
    "gpu": {"name": "{name}", "vendor": "{vendor_name}"},
    "monitor": {"id": "{id}", "slug": "{slug}"},
}
_OS_DESCRIPTION = re.compile(r"^(?P<name>[^\d]+?)\s+(?P<version>\d[\w.\-]*)$")
_RUNTIME_DESCRIPTION = re.compile(r"^(?P<name>[^\d]+?)\s+(?P<version>\d[\w.\-]*)")


def _combined(context: dict[str, Any], field: str, name_alone: bool) -> None:
    name, version = context.get("name"), context.get("version")
    if not isinstance(name, str):
        return
    if isinstance(version, str):
        context.setdefault(field, f"{name} {version}")
    elif name_alone:
        context.setdefault(field, name)


def _from_description(context: dict[str, Any], pattern: re.Pattern[str]) -> None:
    description = context.get("raw_description")
    if "name" in context or not isinstance(description, str):
        return
    match = pattern.match(description.strip())
    if match:
        context["name"] = match.group("name")
        context["version"] = match.group("version")


def _trace(context: dict[str, Any], event_id: str, report: Report) -> None:
    trace_id = context.get("trace_id")
    if not (isinstance(trace_id, str) and _TRACE_ID.fullmatch(trace_id)):
        if trace_id is not None:
            for repeat in (False, True):  # Relay reports a refused trace id twice
                report.error(("contexts", "trace", "trace_id"), "invalid_data", trace_id,
                             "not a valid trace id", repeat=repeat)
        trace_id = event_id
    context["trace_id"] = trace_id.lower()
    span_id = context.get("span_id")
    if not (isinstance(span_id, str) and _SPAN_ID.fullmatch(span_id)):
        if span_id is not None:
            report.invalid(("contexts", "trace", "span_id"), span_id, "not a valid span id")
        span_id = event_id[:16]
    context["span_id"] = span_id.lower()
    context.setdefault("status", "unknown")


def _user_agent(request: Any) -> str | None:
    headers = request.get("headers") if isinstance(request, dict) else None
    if not isinstance(headers, list):
        return None
    found = None
    for pair in headers:
        if isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], str) \
                and pair[0].lower() == "user-agent" and isinstance(pair[1], str):
            found = pair[1]
    return found


def _add_user_agent(contexts: dict[str, Any], doc: dict[str, Any]) -> None:
    agent = _user_agent(doc.get("request"))
    if not agent:
        return
    browser, os, device = contexts_for(agent)
    os_key = "os" if doc.get("platform") == "javascript" else "client_os"
    for key, found, kind in (("browser", browser, "browser"), ("device", device, "device"),
                             (os_key, os, "os")):
        if found is not None and key not in contexts:
            contexts[key] = {**found, "type": kind}


def normalize_contexts(doc: dict[str, Any], event_id: str, report: Report) -> None:
    """
    Normalize C{doc["contexts"]} in place (see the module's docstring); C{doc["request"]} and
    C{doc["platform"]} must be normalized already.
    """
    value = doc.get("contexts")
    contexts: dict[str, Any] = {}
    if isinstance(value, dict):
        for key in sorted(value):
            context = value[key]
            if context is None:
                continue
            if not isinstance(context, dict):
                report.invalid(("contexts", key), context, "expected an object")
                contexts[key] = None
                continue
            context = dict(context)
            kind = context.get("type")
            if not isinstance(kind, str) or not kind:
                kind = context["type"] = key
            if kind == "os":
                _from_description(context, _OS_DESCRIPTION)
                _combined(context, "os", True)
            elif kind == "runtime":
                _from_description(context, _RUNTIME_DESCRIPTION)
                _combined(context, "runtime", False)
            elif kind == "browser":
                _combined(context, "browser", True)
            contexts[key] = context
    elif value is not None:
        report.invalid(("contexts",), value, "expected an object")
    _add_user_agent(contexts, doc)
    for key, context in contexts.items():
        if isinstance(context, dict) and context.get("type") == "browser":
            _combined(context, "browser", True)
        elif isinstance(context, dict) and context.get("type") == "os":
            _combined(context, "os", True)
    trace = contexts.get("trace")
    if not isinstance(trace, dict):
        trace = contexts["trace"] = {"type": "trace"}
    _trace(trace, event_id, report)
    doc["contexts"] = dict(sorted(contexts.items()))


class _Formatter(string.Formatter):
    def format_field(self, value: Any, format_spec: str) -> str:
        if not format_spec and isinstance(value, bool):
            return "yes" if value else "no"
        return super().format_field(value, format_spec)


_FORMATTER = _Formatter()


def _big_numbers_as_text(value: Any) -> Any:
    # Sentry shows numbers of more than 15 digits as text.
    if isinstance(value, (int, float)) and not isinstance(value, bool) and len(str(value)) > 15:
        return str(value)
    return value


def context_tags(contexts: Any) -> Iterator[tuple[str, str]]:
    """
    The tags Sentry derives from an event's (normalized) contexts, in their order.
    """
    if not isinstance(contexts, dict):
        return
    for alias, context in contexts.items():
        if not isinstance(context, dict):
            continue
        kind = context.get("type", alias)
        mapping = TAG_MAPPING.get(kind) if isinstance(kind, str) else None
        if not mapping:
            continue
        data = {str(key): _big_numbers_as_text(field) for key, field in context.items()
                if field is not None}
        for suffix, template in mapping.items():
            try:
                value = _FORMATTER.vformat(template, (), data).strip()
            except (KeyError, ValueError, IndexError, AttributeError):
                continue
            if value:
                yield (f"{alias}.{suffix}" if suffix else alias), value
