"""
The traces list (C{/organizations/{org}/explore/traces/}): the search over spans, the project
filter, and a page of traces, newest first, each with its root's name and op, its project,
how many spans and errors it has, how long it took and when it started.
"""

from __future__ import annotations

from typing import Any, Sequence

from twisted.web.template import Tag, tags

from ..queries.traces import TraceSummary
from . import links
from .explore_filters import ExploreFilters, explore_pager, filter_form
from .format import count, duration, when

HEADINGS = ("Trace", "Project", "Spans", "Errors", "Duration", "Started")


def trace_row(summary: TraceSummary, project_slug: str, org: str, now: float) -> Tag:
    """
    One trace: its root span's name (linked to the trace) and op, its id, project and counts.
    """
    root = summary.root
    errors = tags.td(count(summary.errors), class_="num errors" + (" some" if summary.errors
                                                                   else ""))
    return tags.tr(
        tags.td(tags.a(summary.name, href=links.trace_url(org, summary.trace_id),
                       class_="title"),
                tags.div(tags.span(root.op or "default", class_="op"),
                         tags.code(summary.trace_id[:8], title=summary.trace_id),
                         class_="meta"), class_="trace"),
        tags.td(project_slug, class_="project"),
        tags.td(count(summary.spans), class_="num", **{"data-field": "spans"}),
        errors,
        tags.td(duration(summary.duration_ms), class_="num"),
        tags.td(when(summary.start, now), class_="seen"),
        class_="row", **{"data-trace": summary.trace_id})


def trace_table(rows: list[Tag], live: bool, empty: str) -> Tag:
    """
    A table of trace rows; C{live}: new and changed traces are put on top as they arrive.
    """
    body = tags.tbody(*rows, **{"data-live-traces": "top" if live else "update"})
    if not rows:
        body(tags.tr(tags.td(empty, colspan=str(len(HEADINGS)), class_="empty"),
                     class_="placeholder"))
    head = tags.thead(tags.tr(*[tags.th(name, class_="num" if name in (
        "Spans", "Errors", "Duration") else "") for name in HEADINGS]))
    return tags.table(head, body, class_="traces")


def traces_content(org: str, filters: ExploreFilters, projects: Sequence[Any],
                   rows: list[Tag], has_next: bool, error: str | None,
                   page_size: int) -> Tag:
    path = links.traces_url(org)
    empty = ("No trace has a span that matches this search." if filters.search
             else "No traces yet: set traces_sample_rate in an SDK pointed at the DSN.")
    return tags.div(
        tags.div(tags.h1("Traces"), tags.span(
            "traces with a span that matches, newest first", class_="muted"),
                 class_="page-head"),
        filter_form(path, filters, projects,
                    "span.op:db.query transaction:\"GET /checkout\" span.duration:>100ms "
                    "free text", with_severity=False),
        tags.div(error, class_="alert error", role="alert") if error else "",
        tags.div(trace_table(rows, filters.offset == 0, empty), class_="panel flush"),
        explore_pager(path, filters, len(rows), has_next, page_size),
        class_="explore traces-page")
