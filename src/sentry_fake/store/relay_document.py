"""
A payload as Relay's store normalizer leaves it (configured as Sentry's event manager configures
it), followed by the tags Sentry's event manager derives: the stored event's document.

Fields are normalized in the order of Relay's event schema, so that C{errors} lists them in
Relay's order.  Values that are refused are dropped (kept as C{null} where C{_meta} says why);
empty values are left out, as Relay serializes them.
"""

from __future__ import annotations

from typing import Any

from . import fields
from .contexts import normalize_contexts
from .event_errors import SILENT, Report
from .event_parts import (bag, normalize_breadcrumbs, normalize_exception, normalize_extra,
                          normalize_fingerprint, normalize_logentry, normalize_modules,
                          normalize_request, normalize_user, remote_address_user)
from .tag_rules import relay_tags, sentry_tags

PROTOCOL_VERSION = "7"
GROUPING_CONFIG = {"id": "newstyle:2023-01-11", "enhancements": ""}
#: Every top-level attribute of Relay's event schema (and the names it reads them under).
KNOWN = frozenset({
    "event_id", "level", "version", "type", "fingerprint", "culprit", "transaction",
    "transaction_info", "time_spent", "logentry", "message", "logger", "modules", "platform",
    "timestamp", "start_timestamp", "received", "server_name", "release", "dist",
    "environment", "site", "user", "request", "contexts", "breadcrumbs", "exception",
    "stacktrace", "template", "threads", "tags", "extra", "debug_meta", "sdk", "ingest_path",
    "errors", "key_id", "project", "grouping_config", "checksum", "csp", "hpkp", "expectct",
    "expectstaple", "nel", "spans", "measurements", "breakdowns", "scraping_attempts",
    "_metrics", "_dsc", "_meta", "_performance_issues_spans", "hashes", "location", "title",
    "metadata", "culprit", "main_exception_id", "_metrics_summary", "platform_version"})
#: Contexts whose fields Relay knows (null fields are left out); others are free-form.
_TYPED_CONTEXTS = frozenset({"os", "runtime", "browser", "device", "app", "gpu", "trace",
                             "monitor", "response", "culture", "cloud_resource", "profile",
                             "replay", "otel", "state", "flags", "user_report_v2", "spring",
                             "ota_updates", "unity", "nel", "performance_score"})
_BAGS = frozenset({"transaction_info", "extra", "data", "env", "vars", "geo", "modules", "headers", "cookies",
                   "query_string", "tags"})


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, (dict, list)) and not value)


def _pruned(value: Any, meta: Any) -> Any:
    """
    C{value} without null or empty fields (where C{_meta} has nothing to say of them).
    """
    if not isinstance(meta, dict):
        return _pruned_plain(value)
    if isinstance(value, dict):
        kept = {}
        for key, item in value.items():
            below = meta.get(key)
            if key in _BAGS:
                if not _empty(item) or below or (key == "transaction_info"
                                                 and item is not None):
                    kept[key] = item
                continue
            item = _pruned(item, below)
            if _empty(item) and not below:
                continue
            kept[key] = item
        return kept
    if isinstance(value, list):
        return [_pruned(item, meta.get(str(index))) for index, item in enumerate(value)]
    return value


def _pruned_plain(value: Any) -> Any:
    """
    L{_pruned} where C{_meta} says nothing (most of a document): the same, without asking it.
    """
    if isinstance(value, dict):
        kept = {}
        for key, item in value.items():
            if key in _BAGS:
                if not _empty(item) or (key == "transaction_info" and item is not None):
                    kept[key] = item
                continue
            if isinstance(item, (dict, list)):
                item = _pruned_plain(item)
                if not item:
                    continue
            elif item is None:
                continue
            kept[key] = item
        return kept
    if isinstance(value, list):
        return [_pruned_plain(item) if isinstance(item, (dict, list)) else item
                for item in value]
    return value


def _prune_contexts(contexts: dict[str, Any], meta: Any) -> dict[str, Any]:
    kept = {}
    for key, context in contexts.items():
        below = meta.get(key) if isinstance(meta, dict) else None
        if isinstance(context, dict) and context.get("type") not in _TYPED_CONTEXTS:
            kept[key] = bag(context)
        elif context is None:
            if below:
                kept[key] = None
        else:
            kept[key] = _pruned(context, below)
    return kept


def normalize_payload(payload: dict[str, Any], event_id: str, kind: str, received: float,
                      project_id: int, report: Report | None = None) -> dict[str, Any]:
    """
    The payload as Relay's store normalizer returns it (see the module's docstring).
    """
    report = report if report is not None else Report()
    doc = dict(payload)
    out: dict[str, Any] = {"event_id": event_id}
    out["level"] = fields.level(doc.get("level"), kind, report)
    out["version"] = PROTOCOL_VERSION
    out["type"] = kind
    out["fingerprint"] = normalize_fingerprint(doc.get("fingerprint"), report)
    out["culprit"] = fields.plain_string("culprit", doc.get("culprit"), report)
    out["transaction"] = fields.plain_string("transaction", doc.get("transaction"), report)
    out["logentry"] = normalize_logentry(doc, report)
    out["logger"] = fields.logger(doc.get("logger"), report)
    out["modules"] = normalize_modules(doc.get("modules"), report)
    out["platform"] = fields.platform(doc.get("platform"), report)
    out["timestamp"] = fields.timestamp(doc.get("timestamp"), received, report)
    if doc.get("start_timestamp") is not None:
        seconds, _ = fields.read_timestamp(doc["start_timestamp"])
        out["start_timestamp"] = seconds
    out["received"] = received
    out["release"] = fields.release(doc.get("release"), report)
    out["dist"] = fields.dist(doc.get("dist"), report)
    out["environment"] = fields.environment(doc.get("environment"), report)
    out["user"] = normalize_user(doc.get("user"), report)
    out["request"] = normalize_request(doc.get("request"), report)
    out["user"] = remote_address_user(out["user"], out["request"])
    out["contexts"] = doc.get("contexts")
    normalize_contexts(out, event_id, report)
    out["breadcrumbs"] = normalize_breadcrumbs(doc.get("breadcrumbs"), report)
    out["exception"] = normalize_exception(doc.get("exception"), report)
    out["transaction_info"] = doc.get("transaction_info")
    for key in ("stacktrace", "template", "threads"):
        out[key] = doc.get(key)
    out["tags"] = relay_tags(doc, report)
    if out["environment"] is None:
        out["environment"] = _environment_tag(doc.get("tags"))
    out["extra"] = normalize_extra(doc.get("extra"), report)
    for key in ("debug_meta", "sdk", "csp", "hpkp", "expectct", "expectstaple", "nel",
                "measurements", "breakdowns"):
        out[key] = doc.get(key)
    if isinstance(doc.get("spans"), list):
        out["spans"] = [_span(span) for span in doc["spans"]]
    out["project"] = project_id
    out["grouping_config"] = dict(GROUPING_CONFIG)
    out["checksum"] = doc.get("checksum")
    for key, value in doc.items():
        if key not in KNOWN and key not in out:
            report.error((key,), "invalid_attribute")
            out[key] = None
    meta = report.meta
    contexts = out.pop("contexts")
    tags = out.pop("tags")
    out = _pruned(out, meta)
    out["contexts"] = _prune_contexts(contexts, meta.get("contexts"))
    out["tags"] = tags
    out["logger"] = out.get("logger", "")
    if report.errors:
        out["errors"] = list(report.errors)
    if meta:
        out["_meta"] = meta
    return out


def _environment_tag(tags: Any) -> str | None:
    # An environment sent only as a tag becomes the event's environment.
    pairs = tags.items() if isinstance(tags, dict) else tags if isinstance(tags, list) else ()
    for pair in pairs:
        if isinstance(pair, (list, tuple)) and len(pair) == 2 and pair[0] == "environment":
            return fields.environment(pair[1], SILENT)
    return None


def _span(span: Any) -> Any:
    if not isinstance(span, dict):
        return span
    span = {key: value for key, value in span.items()
            if value is not None and key != "same_process_as_parent"}
    for key in ("start_timestamp", "timestamp"):
        if key in span:
            span[key] = fields.read_timestamp(span[key])[0]
    return span


def stored_document(payload: dict[str, Any], event_id: str, kind: str, received: float,
                    project_id: int) -> dict[str, Any]:
    """
    The normalized payload with the tags Sentry's event manager adds.
    """
    doc = normalize_payload(payload, event_id, kind, received, project_id)
    doc["tags"] = sentry_tags(doc, doc["tags"])
    return doc
