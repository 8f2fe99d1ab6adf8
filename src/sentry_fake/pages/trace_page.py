"""
One trace (C{/organizations/{org}/explore/traces/trace/{trace_id}/}): its summary, the span
waterfall (each span under its parent, with its op, description, duration and status, and a
bar placed by when it started and sized by how long it took, in the trace's time; its
attributes one click away; the errors that happened in it under it), the errors of no span in
it, and its logs.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

from twisted.web.template import Tag, tags

from ..queries.traces import TraceNode, TraceSummary, TraceTree
from ..store.trace_models import LogEntry, Span
from . import links
from .event_view import kv_table
from .format import count, duration, exact, level_badge, severity_badge, when

#: A waterfall shows at most this many spans (the first ones, in tree order).
MAX_SPANS = 2000
#: The trace page lists at most this many of its logs (the latest ones).
MAX_LOGS = 200
#: Statuses that are not failures (as Sentry's failure rate counts them).
_FINE = frozenset({"ok", "cancelled", "unknown"})


def _percent(value: float) -> str:
    return f"{min(max(value, 0.0), 100.0):.3f}%"


def _bar(span: Span, summary: TraceSummary) -> Tag:
    total = max(summary.end - summary.start, 1e-9)
    left = (span.start - summary.start) / total * 100.0
    width = max((span.end - span.start) / total * 100.0, 0.2)
    place = f"left:{_percent(left)};width:{_percent(min(width, 100.0 - left))}"
    return tags.span(tags.span("", class_="span-bar-fill", style=place), class_="span-bar",
                     title=f"+{duration((span.start - summary.start) * 1000)}")


def _attributes(span: Span, project: str) -> Tag:
    pairs: list[tuple[Any, Any]] = [
        ("span_id", span.span_id), ("parent_span_id", span.parent_span_id or "—"),
        ("op", span.op or ""), ("name", span.name), ("description", span.description or ""),
        ("status", span.status), ("project", project), ("start", exact(span.start)),
        ("duration", duration(span.duration_ms)), ("transaction", span.segment_name or ""),
    ]
    pairs += [(name, value) for name, value in (
        ("environment", span.environment), ("release", span.release),
        ("platform", span.platform), ("sdk", span.sdk_name), ("origin", span.origin))
        if value]
    pairs += sorted(span.attributes.items())
    pairs += [(f"measurements.{name}", value)
              for name, value in sorted(span.measurements.items())]
    return kv_table(pairs)


def _error_link(event: Any, org: str) -> Tag:
    return tags.li(level_badge(event.level),
                   tags.a(event.title, href=links.event_url(org, event.issue_id,
                                                            event.event_id)),
                   class_="trace-error", **{"data-event": event.event_id})


def span_row(node: TraceNode, summary: TraceSummary, org: str,
             slug: Callable[[int], str]) -> Tag:
    span = node.span
    failed = span.status not in _FINE
    summary_line = tags.summary(
        tags.span(tags.span(span.op or "default", class_="op"),
                  tags.span(span.description or span.name, class_="desc"),
                  class_="span-name", style=f"padding-left:{min(node.depth, 40) * 14}px"),
        tags.span(duration(span.duration_ms), class_="span-duration"),
        tags.span(span.status, class_="span-status" + (" failed" if failed else "")),
        _bar(span, summary))
    errors = (tags.ul(*[_error_link(event, org) for event in node.errors],
                      class_="span-errors") if node.errors else "")
    return tags.li(tags.details(summary_line, _attributes(span, slug(span.project_id)),
                                class_="span-details"),
                   errors, class_="span-row" + (" has-errors" if node.errors else ""),
                   **{"data-span": span.span_id, "data-depth": str(node.depth)})


def waterfall(tree: TraceTree, summary: TraceSummary, org: str,
              slug: Callable[[int], str]) -> Tag:
    rows = []
    hidden = 0
    for node in tree.walk():
        if len(rows) >= MAX_SPANS:
            hidden += 1
            continue
        rows.append(span_row(node, summary, org, slug))
    head = tags.div(tags.span("Span"), tags.span("Duration"), tags.span("Status"),
                    tags.span(f"0 – {duration(summary.duration_ms)}"), class_="waterfall-head")
    note = tags.p(f"{hidden} more spans not shown.", class_="muted") if hidden else ""
    return tags.section(tags.h2("Spans"), head, tags.ol(*rows, class_="waterfall"), note,
                        class_="panel trace-spans", id="spans")


def log_line(entry: LogEntry, org: str, now: float) -> Tag:
    """
    One log entry: its severity and message, its attributes one click away, and when.
    """
    pairs: list[tuple[Any, Any]] = [("id", entry.id), ("severity", entry.severity),
                                    ("severity_number", entry.severity_number)]
    pairs += [(name, value) for name, value in (
        ("trace", entry.trace_id), ("span_id", entry.span_id),
        ("environment", entry.environment), ("release", entry.release),
        ("sdk", entry.sdk_name)) if value]
    pairs += sorted(entry.attributes.items())
    return tags.details(tags.summary(severity_badge(entry.severity),
                                     tags.span(entry.body, class_="log-body"),
                                     when(entry.timestamp, now)),
                        kv_table(pairs), class_="log-line", **{"data-log": entry.id})


def trace_body(org: str, summary: TraceSummary, tree: TraceTree, logs: Sequence[LogEntry],
               total_logs: int, slug: Callable[[int], str], now: float) -> Tag:
    """
    What the live feed renders again when the trace grows: the counts, the waterfall, the
    errors in no span and the logs.
    """
    stats = tags.dl(
        tags.div(tags.dt("Spans"), tags.dd(count(summary.spans)), class_="stat"),
        tags.div(tags.dt("Errors"), tags.dd(count(summary.errors)), class_="stat"),
        tags.div(tags.dt("Logs"), tags.dd(count(total_logs)), class_="stat"),
        tags.div(tags.dt("Duration"), tags.dd(duration(summary.duration_ms)), class_="stat"),
        tags.div(tags.dt("Started"), tags.dd(when(summary.start, now)), class_="stat"),
        tags.div(tags.dt("Project"), tags.dd(slug(summary.root.project_id)), class_="stat"),
        class_="stats")
    parts: list[Any] = [stats, waterfall(tree, summary, org, slug)]
    if tree.orphan_errors:
        parts.append(tags.section(
            tags.h2("Errors in no span of the trace"),
            tags.ul(*[_error_link(event, org) for event in tree.orphan_errors],
                    class_="span-errors"), class_="panel", id="errors"))
    all_logs = links.logs_url(org, [("query", f"trace:{summary.trace_id}")])
    parts.append(tags.section(
        tags.div(tags.h2("Logs"), tags.a("In the logs ›", href=all_logs),
                 class_="section-head"),
        tags.p(f"The latest {len(logs)} of {total_logs}.", class_="muted")
        if total_logs > len(logs) else "",
        tags.div(*[log_line(entry, org, now) for entry in logs], class_="log-lines")
        if logs else tags.p("No logs in this trace.", class_="muted"),
        class_="panel", id="logs"))
    return tags.div(*parts, class_="trace-body", **{"data-region": "trace"})


def trace_content(org: str, summary: TraceSummary, body: Tag) -> Tag:
    return tags.div(
        tags.header(tags.div(tags.span(summary.root.op or "default", class_="op"),
                             tags.code(summary.trace_id), class_="meta"),
                    tags.h1(summary.name, class_="trace-title"), class_="trace-head"),
        body, class_="trace-page")
