"""
The traces and logs pages at Sentry's own URLs: the traces list
(C{/organizations/{org}/explore/traces/}), one trace
(C{.../explore/traces/trace/{trace_id}/}, where Sentry's older and other links to a trace
lead too) and the logs (C{.../explore/logs/}).
"""

from __future__ import annotations

from itertools import islice
from typing import Any
from urllib.parse import quote

from ..errors import Invalid, NotFound
from ..pages import links
from ..pages.explore_filters import ExploreFilters
from ..pages.logs_page import logs_content
from ..pages.trace_page import trace_content
from ..pages.traces_page import traces_content
from ..queries.traces import newest_traces
from .app import app
from .page_base import page
from .trace_views import TraceViews, trace_id_in

TRACES_PER_PAGE = 25
LOGS_PER_PAGE = 50


def _redirect(request: Any, url: str) -> bytes:
    request.setResponseCode(302)
    request.setHeader(b"location", url.encode("utf-8"))
    return b""


def live_query(view: str, org: str, filters: ExploreFilters) -> str:
    """
    The query string of a list's live feed: its view, organization and filters.
    """
    parts = [("view", view), ("org", org)] + [(name, value) for name, value in filters.params()
                                              if value != ""]
    return "&".join(f"{quote(name)}={quote(value, safe='')}" for name, value in parts)


class TracePages(TraceViews):
    """
    The traces pages (they read the store through L{TraceViews}, and its roles).
    """

    @app.route("/organizations/<org>/explore/traces/", methods=["GET"])
    @page
    def trace_list(self, request: Any, org: str) -> bytes:
        organization = self.organization_named(org)
        projects = self.explore_scope(organization)
        filters = self.explore_filters(request, projects)
        rows, has_next, error = [], False, None
        try:
            spans = self.matching_spans(filters, projects)
            ids, has_next = newest_traces(spans, filters.offset, TRACES_PER_PAGE)
        except Invalid as problem:
            ids, error = [], problem.detail
        for trace_id in ids:
            row = self.trace_row_of(trace_id, organization.slug, projects)
            if row is not None:
                rows.append(row)
        content = traces_content(organization.slug, filters, list(projects.values()), rows,
                                 has_next, error, TRACES_PER_PAGE)
        live = "" if error else live_query("traces", organization.slug, filters)
        return self.respond(request, "Traces", organization.slug, "traces",
                            [(organization.slug, links.issues_url(organization.slug)),
                             ("Traces", None)], content, live=live)

    @app.route("/organizations/<org>/explore/traces/trace/<trace_ref>/", methods=["GET"])
    @page
    def trace_detail(self, request: Any, org: str, trace_ref: str) -> bytes:
        organization = self.organization_named(org)
        trace_id = trace_id_in(trace_ref)
        if trace_id != trace_ref:
            return _redirect(request, links.trace_url(organization.slug, trace_id))
        projects = self.explore_scope(organization)
        found = self.trace_view(trace_id, organization.slug, projects)
        if found is None:
            raise NotFound(f"No span of trace {trace_id} is stored.")
        summary, body = found
        return self.respond(request, f"Trace {trace_id[:8]}", organization.slug, "traces",
                            [(organization.slug, links.issues_url(organization.slug)),
                             ("Traces", links.traces_url(organization.slug)),
                             (f"Trace {trace_id[:8]}", None)],
                            trace_content(organization.slug, summary, body),
                            live=f"view=trace&org={quote(organization.slug, safe='')}"
                                 f"&trace={trace_id}")

    @app.route("/organizations/<org>/performance/trace/<trace_ref>/", methods=["GET"])
    @app.route("/organizations/<org>/traces/trace/<trace_ref>/", methods=["GET"])
    @app.route("/organizations/<org>/explore/logs/trace/<trace_ref>/", methods=["GET"])
    @page
    def trace_elsewhere(self, request: Any, org: str, trace_ref: str) -> bytes:
        """
        Where Sentry's older links to a trace (and its other pages' trace views) lead.
        """
        organization = self.organization_named(org)
        return _redirect(request, links.trace_url(organization.slug, trace_id_in(trace_ref)))

    @app.route("/organizations/<org>/traces/", methods=["GET"])
    @page
    def trace_list_elsewhere(self, request: Any, org: str) -> bytes:
        organization = self.organization_named(org)
        query = request.uri.partition(b"?")[2].decode("utf-8", "replace")
        return _redirect(request, links.traces_url(organization.slug)
                         + (f"?{query}" if query else ""))


class LogPages(TraceViews):
    """
    The logs page (it reads the store through L{TraceViews}, and its roles).
    """

    @app.route("/organizations/<org>/explore/logs/", methods=["GET"])
    @page
    def log_list(self, request: Any, org: str) -> bytes:
        organization = self.organization_named(org)
        projects = self.explore_scope(organization)
        filters = self.explore_filters(request, projects)
        rows, has_next, error = [], False, None
        try:
            found = list(islice(self.matching_logs(filters, projects), filters.offset,
                                filters.offset + LOGS_PER_PAGE + 1))
        except Invalid as problem:
            found, error = [], problem.detail
        has_next = len(found) > LOGS_PER_PAGE
        rows = [self.log_row_of(entry, organization.slug, projects)
                for entry in found[:LOGS_PER_PAGE]]
        content = logs_content(organization.slug, filters, list(projects.values()), rows,
                               has_next, error, LOGS_PER_PAGE)
        live = "" if error else live_query("logs", organization.slug, filters)
        return self.respond(request, "Logs", organization.slug, "logs",
                            [(organization.slug, links.issues_url(organization.slug)),
                             ("Logs", None)], content, live=live)
