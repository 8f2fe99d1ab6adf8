"""
The logs (C{/organizations/{org}/explore/logs/}): the search (the events API's query syntax
over logs: C{severity:error}, C{message:...}, free text), the project and severity filters,
and a page of log entries, newest first, each with its severity, message, project, trace and
time, its attributes one click away.
"""

from __future__ import annotations

from typing import Any, Sequence

from twisted.web.template import Tag, tags

from ..store.trace_models import LogEntry
from . import links
from .event_view import kv_table
from .explore_filters import ExploreFilters, explore_pager, filter_form
from .format import severity_badge, when

HEADINGS = ("Severity", "Message", "Project", "Trace", "Time")


def log_row(entry: LogEntry, project_slug: str, org: str, now: float) -> Tag:
    pairs: list[tuple[Any, Any]] = [("id", entry.id), ("severity_number", entry.severity_number)]
    pairs += [(name, value) for name, value in (
        ("span_id", entry.span_id), ("environment", entry.environment),
        ("release", entry.release), ("sdk", entry.sdk_name)) if value]
    pairs += sorted(entry.attributes.items())
    trace = (tags.a(tags.code(entry.trace_id[:8]), href=links.trace_url(org, entry.trace_id),
                    title=entry.trace_id, class_="trace-link")
             if entry.trace_id else "—")
    return tags.tr(
        tags.td(severity_badge(entry.severity), class_="lvl"),
        tags.td(tags.details(tags.summary(tags.span(entry.body, class_="log-body")),
                             kv_table(pairs), class_="log-attributes"), class_="message"),
        tags.td(project_slug, class_="project"),
        tags.td(trace, class_="trace"),
        tags.td(when(entry.timestamp, now), class_="seen"),
        class_="row", **{"data-log": entry.id})


def log_table(rows: list[Tag], live: bool, empty: str) -> Tag:
    body = tags.tbody(*rows, **{"data-live-logs": "top" if live else "update"})
    if not rows:
        body(tags.tr(tags.td(empty, colspan=str(len(HEADINGS)), class_="empty"),
                     class_="placeholder"))
    return tags.table(tags.thead(tags.tr(*[tags.th(name) for name in HEADINGS])), body,
                      class_="logs")


def logs_content(org: str, filters: ExploreFilters, projects: Sequence[Any], rows: list[Tag],
                 has_next: bool, error: str | None, page_size: int) -> Tag:
    path = links.logs_url(org)
    empty = ("No logs match this search." if filters.search
             else "No logs yet: set enable_logs in an SDK pointed at the DSN.")
    return tags.div(
        tags.div(tags.h1("Logs"), tags.span(tags.code(filters.search or "every log"),
                                            class_="effective"), class_="page-head"),
        filter_form(path, filters, projects,
                    "severity:error message:\"charge declined*\" trace:… free text",
                    with_severity=True),
        tags.div(error, class_="alert error", role="alert") if error else "",
        tags.div(log_table(rows, filters.offset == 0, empty), class_="panel flush"),
        explore_pager(path, filters, len(rows), has_next, page_size),
        class_="explore logs-page")
