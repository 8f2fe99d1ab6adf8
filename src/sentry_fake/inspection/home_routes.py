"""
The entry point a browser gets at C{/} (the JSON metadata stays for everyone else) and the
static files every page links to.
"""

from __future__ import annotations

from itertools import islice
from typing import Any
from urllib.parse import quote

from ..errors import NotFound
from ..interfaces import IDirectory, IEventLog, IIssues
from ..pages import assets
from ..pages.home_page import home_content
from ..pages.explore_filters import ExploreFilters
from ..pages.issue_rows import event_row, event_table, issue_row, issue_table
from ..pages.traces_page import trace_table
from ..queries.traces import newest_traces
from .app import app
from .trace_views import TraceViews

#: How many of the latest issues and events the home page lists.
LATEST = 10
#: How many of the latest traces it lists.
LATEST_TRACES = 5


class HomePage(TraceViews):
    #: The roles of the store these routes use (checked by tests/test_interfaces.py).
    roles = (IDirectory, IEventLog, IIssues)

    def home_page(self, request: Any, meta: dict[str, Any]) -> bytes:
        """
        The page for people at C{/}: the setup panel with C{meta} (the metadata C{/}
        answers as JSON), the counts, the latest issues and events, and the projects.
        """
        directory = self.store.directory
        try:
            organization = directory.organization(meta["organization"])
        except NotFound:
            organization = directory.organizations()[0]
        org = organization.slug
        projects = directory.projects_of(organization)
        by_id = {project.id: project for project in directory.projects_of()}
        now = self.store.now()
        latest_issues = islice(self.store.issues_in_order(projects, "date"), LATEST)
        issues = issue_table([issue_row(issue, by_id[issue.project_id], org, now)
                              for issue in latest_issues], True,
                             "No issues yet: send an event to the DSN above.")
        events = event_table([event_row(event, org, now, by_id[event.project_id].slug
                                        if event.project_id in by_id else None)
                              for event in self.store.events().newest(0, LATEST)], True,
                             "No events yet.")
        counted = [(project, len(self.store.events(project_id=project.id)))
                   for project in projects]
        scope = self.explore_scope(organization)
        trace_ids, _ = newest_traces(self.matching_spans(ExploreFilters(), scope), 0,
                                     LATEST_TRACES)
        traces = trace_table([row for row in (self.trace_row_of(trace_id, org, scope)
                                              for trace_id in trace_ids) if row is not None],
                             True, "No traces yet: set traces_sample_rate in an SDK.")
        content = home_content(meta, org, counted, issues, events, traces)
        return self.respond(request, "Home", org, "", [("sentry-fake", None)], content,
                            live=f"view=home&org={quote(org, safe='')}")

    @app.route("/__parlel/static/<name>", methods=["GET"])
    def static_file(self, request: Any, name: str) -> bytes:
        """
        A style sheet, script or icon of the pages (package data, kept in memory).
        """
        found = assets.asset(name)
        if found is None:
            raise NotFound()
        request.setHeader(b"content-type", found.content_type)
        request.setHeader(b"x-content-type-options", b"nosniff")
        version = request.args.get(b"v", [b""])[0].decode("ascii", "replace")
        request.setHeader(b"cache-control", b"public, max-age=31536000, immutable"
                          if version == found.digest else b"no-cache")
        request.setHeader(b"etag", f'"{found.digest}"'.encode("ascii"))
        if request.getHeader(b"if-none-match") == f'"{found.digest}"'.encode("ascii"):
            request.setResponseCode(304)
            return b""
        return found.content
