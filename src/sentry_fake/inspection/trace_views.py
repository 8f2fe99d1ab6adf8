"""
What the traces and logs pages and their live feeds read, and how they render it: an
organization's projects, a trace's summary row and its body (the span tree with its errors,
and its logs), a search over spans or logs run by the events query engine, a log's row.
Everything is read from the trace book's indexes (a trace's spans and logs, each project's
spans and logs newest first) and the event log's index of a trace's events.
"""

from __future__ import annotations

from typing import Any, Iterator

from ..errors import Invalid
from ..http import arg
from ..interfaces import IDirectory, IEventLog, ITraces
from ..management.pagination import parse_cursor
from ..pages.explore_filters import SEVERITIES, ExploreFilters
from ..pages.logs_page import log_row
from ..pages.trace_page import MAX_LOGS, trace_body
from ..pages.traces_page import trace_row
from ..queries.dataset import Dataset
from ..queries.eap_datasets import Logs, Spans
from ..queries.engine import Plan
from ..queries.traces import TraceSummary, build_tree, summarize, trace_errors
from ..store.models import Organization, Project
from ..store.trace_items import trace_id_of
from ..store.trace_models import LogEntry
from .page_base import PageBase


class TraceViews(PageBase):
    #: The roles of the store these routes use (checked by tests/test_interfaces.py).
    roles = (IDirectory, IEventLog, ITraces)

    def explore_scope(self, organization: Organization) -> dict[int, Project]:
        return {project.id: project
                for project in self.store.directory.projects_of(organization)}

    def explore_filters(self, request: Any, projects: dict[int, Project]) -> ExploreFilters:
        """
        The filters a list's URL asks for (a project not of the organization, or an unknown
        severity, is ignored).
        """
        project = arg(request, "project") or ""
        severity = (arg(request, "severity") or "").lower()
        return ExploreFilters(
            query=arg(request, "query") or "",
            project_id=int(project) if project.isdigit() and int(project) in projects
            else None,
            severity=severity if severity in SEVERITIES else "",
            offset=parse_cursor(arg(request, "cursor"))[1])

    def search_plan(self, kind: type[Dataset], filters: ExploreFilters,
                    projects: dict[int, Project]) -> Plan:
        """
        The events query engine's plan of a list's search, over every stored row of a
        dataset (C{Spans} or C{Logs}) in the chosen projects.

        @raise Invalid: the search is not valid.
        """
        chosen = [filters.project_id] if filters.project_id is not None else sorted(projects)
        dataset = kind(self.store, chosen)
        return Plan(dataset, ["id"], filters.search, [], float("-inf"), float("inf"), [],
                    self.store.now())

    def matching_spans(self, filters: ExploreFilters,
                       projects: dict[int, Project]) -> Iterator[Any]:
        return self.search_plan(Spans, filters, projects).newest_rows()

    def matching_logs(self, filters: ExploreFilters,
                      projects: dict[int, Project]) -> Iterator[LogEntry]:
        return self.search_plan(Logs, filters, projects).newest_rows()

    def trace_summary(self, trace_id: str, projects: dict[int, Project]) -> TraceSummary | None:
        """
        A trace's summary over its spans and errors in C{projects} (C{None}: none stored).
        """
        spans = [span for span in self.store.traces.spans_of_trace(trace_id)
                 if span.project_id in projects]
        errors = trace_errors(self.store.events_of_trace(trace_id), projects)
        return summarize(trace_id, spans, len(errors))

    def trace_row_of(self, trace_id: str, org: str, projects: dict[int, Project]) -> Any:
        summary = self.trace_summary(trace_id, projects)
        if summary is None:
            return None
        project = projects.get(summary.root.project_id)
        return trace_row(summary, project.slug if project else "", org, self.store.now())

    def trace_view(self, trace_id: str, org: str,
                   projects: dict[int, Project]) -> tuple[TraceSummary, Any] | None:
        """
        A trace's summary and its body (the waterfall, the errors in no span, the logs),
        C{None} when none of its spans is stored.
        """
        book = self.store.traces
        spans = [span for span in book.spans_of_trace(trace_id) if span.project_id in projects]
        errors = trace_errors(self.store.events_of_trace(trace_id), projects)
        summary = summarize(trace_id, spans, len(errors))
        if summary is None:
            return None
        logs = [entry for entry in book.logs_of_trace(trace_id) if entry.project_id in projects]
        shown = logs[-MAX_LOGS:]

        def slug(project_id: int) -> str:
            project = projects.get(project_id)
            return project.slug if project is not None else ""

        body = trace_body(org, summary, build_tree(spans, errors), shown, len(logs), slug,
                          self.store.now())
        return summary, body

    def log_row_of(self, entry: LogEntry, org: str, projects: dict[int, Project]) -> Any:
        project = projects.get(entry.project_id)
        return log_row(entry, project.slug if project else "", org, self.store.now())


def trace_id_in(text: str) -> str:
    """
    A trace id as a URL gives it (with dashes or capitals too).

    @raise Invalid: it is no trace id.
    """
    found = trace_id_of(text)
    if found is None:
        raise Invalid(f"{text!r} is not a trace id (32 hexadecimal digits).")
    return found
