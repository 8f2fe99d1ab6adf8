"""
The live feeds of the traces and logs pages, fed by the store's watchers (which are told of
each span and log entry the trace book keeps, and of each event): an open traces list gets the
rows of the traces that grew (with a span that matches its search), a trace page its body
rendered again when a span, log or error of it arrives, the logs page the rows of new log
entries that match its search.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

from ..http import arg
from ..interfaces import IDirectory, IEventLog, ITraces
from ..jsoncodec import dumps
from ..pages.render import flatten
from ..queries.eap_datasets import Logs, Spans
from ..queries.traces import NOT_ERRORS
from ..store.models import Event
from ..store.trace_models import LogEntry, Span
from .live import sse
from .trace_views import TraceViews, trace_id_in

#: At most this many rows of each kind in one delivery (the lists show no more).
MAX_ROWS = 25
Deliver = Callable[[list[Any]], Iterator[bytes]]


def _rows(kind: str, found: list[tuple[str, Any]]) -> Iterator[bytes]:
    for key, row in found[-MAX_ROWS:]:
        if row is not None:
            yield sse(kind, dumps({"id": key, "html": flatten(row).decode("utf-8")}))


class TraceFeeds(TraceViews):
    #: The roles of the store these routes use (checked by tests/test_interfaces.py).
    roles = (IDirectory, IEventLog, ITraces)

    def trace_feed(self, view: str, request: Any) -> Deliver:
        """
        The feed of C{view} (C{traces}, C{trace} or C{logs}) for the page C{request} names.
        """
        organization = self.store.directory.organization(arg(request, "org") or "")
        projects = self.explore_scope(organization)
        org = organization.slug
        if view == "trace":
            return self._one_trace_feed(trace_id_in(arg(request, "trace") or ""), org,
                                        projects)
        filters = self.explore_filters(request, projects)
        chosen = {filters.project_id} if filters.project_id is not None else set(projects)
        if view == "logs":
            plan = self.search_plan(Logs, filters, projects)

            def logs(records: list[Any]) -> Iterator[bytes]:
                fresh = [entry for entry in records
                         if isinstance(entry, LogEntry) and entry.project_id in chosen
                         and plan.matches(entry)]
                return _rows("log", [(entry.id, self.log_row_of(entry, org, projects))
                                     for entry in fresh[-MAX_ROWS:]])

            return logs
        plan = self.search_plan(Spans, filters, projects)

        def traces(records: list[Any]) -> Iterator[bytes]:
            return self.trace_rows(records, org, projects,
                                   lambda span: span.project_id in chosen and plan.matches(span))

        return traces

    def trace_rows(self, records: list[Any], org: str, projects: dict[int, Any],
                   matches: Callable[[Span], bool]) -> Iterator[bytes]:
        """
        The rows of the traces C{records} grew: by a span that C{matches}, or by an error
        in a trace with such a span.
        """
        book = self.store.traces
        grown: dict[str, None] = {}
        for record in records:
            trace_id = None
            if isinstance(record, Span) and record.project_id in projects and matches(record):
                trace_id = record.trace_id
            elif isinstance(record, Event) and record.trace_id and \
                    record.type not in NOT_ERRORS and record.project_id in projects and \
                    any(matches(span) for span in book.spans_of_trace(record.trace_id)):
                trace_id = record.trace_id
            if trace_id is not None:
                grown.pop(trace_id, None)
                grown[trace_id] = None
        return _rows("trace", [(trace_id, self.trace_row_of(trace_id, org, projects))
                               for trace_id in list(grown)[-MAX_ROWS:]])

    def _one_trace_feed(self, trace_id: str, org: str, projects: dict[int, Any]) -> Deliver:
        def deliver(records: list[Any]) -> Iterator[bytes]:
            touched = any(isinstance(record, (Span, LogEntry, Event))
                          and record.trace_id == trace_id and record.project_id in projects
                          for record in records)
            if not touched:
                return
            found = self.trace_view(trace_id, org, projects)
            if found is not None:
                html = flatten(found[1]).decode("utf-8")
                yield sse("region", dumps({"name": "trace", "html": html}))

        return deliver
