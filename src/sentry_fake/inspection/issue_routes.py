"""
The issue pages at Sentry's own URLs: the stream, one issue (by number or short id), its
events and one event, and the exact tags panel a big issue's page fetches once counted.
"""

from __future__ import annotations

from typing import Any, Iterable
from urllib.parse import quote

from twisted.internet.task import deferLater

from ..errors import Invalid, NotFound
from ..interfaces import IDirectory, IEventLog, IIssues, ITraces
from ..management.event_shapes import attachment, full_event
from ..management.pagination import parse_cursor
from ..management.serializers import base32_decode
from ..pages import links
from ..pages.format import short_id
from ..pages.issue_page import EventChoice, events_content, issue_content, tags_panel
from ..pages.issue_rows import event_row, event_table, issue_row, pager
from ..pages.render import flatten
from ..pages.stream_page import StreamFilters, stream_content
from ..store import search
from ..store.models import Event, Issue, Organization, Project
from ..store.normalize import document, normalize_event_id
from .app import app
from .page_base import PageBase, html_response, page
from .stream_query import (SearchFacts, admitted, matching, needs_facts, page_of,
                           search_context, stream_filters)

ISSUES_PER_PAGE = 25
EVENTS_PER_PAGE = 50
#: How many events an issue page folds into its tags at most before it answers.
TAG_BUDGET = 50
#: A search that gathers facts lets the reactor turn after this many issues.
GATHER_TURN = 50


def _redirect(request: Any, url: str) -> bytes:
    request.setResponseCode(302)
    request.setHeader(b"location", url.encode("utf-8"))
    return b""


class IssuePages(PageBase):
    #: The roles of the store these routes use (checked by tests/test_interfaces.py).
    roles = (IDirectory, IEventLog, IIssues, ITraces)

    # Finding things

    def _issue_in(self, org: Organization, ref: str) -> tuple[Issue, Project]:
        """
        The issue a URL names by number or by short id (C{PARLEL-1A}), in that organization.

        @raise NotFound: there is none.
        """
        directory = self.store.directory
        if ref.isdigit():
            issue = self.store.issue(ref)
        else:
            slug, sep, counter = ref.rpartition("-")
            number = base32_decode(counter) if sep and slug and counter else None
            project = next((p for p in directory.projects_of(org)
                            if p.slug.upper() == slug.upper()), None)
            found = (self.store.issue_by_short_id(project, number)
                     if project is not None and number is not None else None)
            if found is None:
                raise NotFound(f"No issue {ref} in {org.slug}.")
            issue = found
        project = directory.project_by_id(issue.project_id)
        if project.organization_id != org.id:
            raise NotFound(f"No issue {ref} in {org.slug}.")
        return issue, project

    def _direct_hit(self, org: Organization, query: str) -> str | None:
        """
        Where a query that names one issue (its short id) or one event (its id) leads.
        """
        text = query.strip()
        event_id = normalize_event_id(text)
        if event_id is not None:
            try:
                event = self.store.event(event_id)
            except NotFound:
                return None
            project = self.store.directory.project_by_id(event.project_id)
            if event.issue_id is not None and project.organization_id == org.id:
                return links.event_url(org.slug, event.issue_id, event.event_id)
            return None
        if "-" in text and " " not in text and ":" not in text:
            try:
                issue, _ = self._issue_in(org, text)
            except NotFound:
                return None
            return links.issue_url(org.slug, issue.id)
        return None

    # The stream

    @app.route("/organizations/<org>/", methods=["GET"])
    @page
    def organization_home(self, request: Any, org: str) -> bytes:
        return _redirect(request, links.issues_url(self.organization_named(org).slug))

    async def _page_gathering(self, walk: Iterable[Issue], tree: Any, context: Any,
                              filters: StreamFilters) -> tuple[list[Issue], bool]:
        """
        A page of a search that reads what issues' events say: each issue's facts are
        gathered (a slice at a time, the server answering meanwhile) before it is judged.
        """
        wanted = filters.offset + ISSUES_PER_PAGE + 1
        found: list[Issue] = []
        # The order as it is now (issues may move while facts are gathered).
        for number, issue in enumerate(list(walk)):
            if not admitted(issue, filters):
                continue
            await self.store.prepare_issue_facts(issue)
            if number % GATHER_TURN == GATHER_TURN - 1 and self.clock is not None:
                # Small issues gather at once: let the reactor answer others now and then.
                await deferLater(self.clock, 0, lambda: None)
            if search.evaluate(tree, issue, context):
                found.append(issue)
                if len(found) >= wanted:
                    break
        return found[filters.offset:wanted - 1], len(found) >= wanted

    @app.route("/organizations/<org>/issues/", methods=["GET"])
    @page
    async def issue_stream(self, request: Any, org: str) -> bytes:
        organization = self.organization_named(org)
        directory = self.store.directory
        projects = directory.projects_of(organization)
        filters = stream_filters(request, projects)
        hit = self._direct_hit(organization, filters.query) if filters.query else None
        if hit is not None:
            return _redirect(request, hit)
        chosen = [p for p in projects if not filters.project_ids or p.id in filters.project_ids]
        environments = sorted(set().union(*(p.environments for p in chosen)) if chosen else ())
        by_id = {project.id: project for project in projects}
        now = self.store.now()
        rows, has_next, error = [], False, None
        try:
            tree = search.parse(filters.query)
        except Invalid as problem:
            error = problem.detail
        else:
            store = self.store
            context = search_context(
                now, directory.me,
                lambda issue: SearchFacts(store.issue_messages, store.issue_facts, issue),
                directory.actor, lambda pid: by_id[pid].slug)
            walk = self.store.issues_in_order(chosen, filters.sort)
            try:
                if needs_facts(tree):
                    issues, has_next = await self._page_gathering(walk, tree, context, filters)
                else:
                    issues, has_next = page_of(matching(walk, tree, context, filters),
                                               filters.offset, ISSUES_PER_PAGE)
            except Invalid as problem:
                issues, error = [], problem.detail
            rows = [issue_row(issue, by_id[issue.project_id], organization.slug, now)
                    for issue in issues]
        content = stream_content(organization.slug, filters, projects, environments, rows,
                                 has_next, error, ISSUES_PER_PAGE)
        # A page that could not search gets no live feed (it would not search either).
        live = "" if error else _live_query("issues", organization.slug, filters)
        return self.respond(request, "Issues", organization.slug, "issues",
                            [(organization.slug, links.issues_url(organization.slug)),
                             ("Issues", None)], content, live=live)

    # One issue

    def _choice(self, event: Event) -> EventChoice:
        latest = self.store.latest_event(event.issue_id)
        oldest = self.store.oldest_event(event.issue_id)
        previous, following = self.store.adjacent_events(event)
        shape = full_event(event, document(event),
                           following.event_id if following is not None else None,
                           previous.event_id if previous is not None else None)
        attachments = [attachment(item) for item in self.store.items_of_event(event.event_id)
                       if item.type == "attachment"]
        traced = event.trace_id and len(self.store.traces.spans_of_trace(event.trace_id))
        return EventChoice(shape=shape, received=event.received, attachments=attachments,
                           previous_id=shape["previousEventID"], next_id=shape["nextEventID"],
                           oldest_id=oldest.event_id if oldest is not None else None,
                           latest_id=latest.event_id if latest is not None else None,
                           trace_id=event.trace_id if traced else None)

    def _issue_page(self, request: Any, organization: Organization, issue: Issue,
                    project: Project, event: Event | None) -> bytes:
        now = self.store.now()
        stored = len(self.store.events(issue_id=issue.id))
        issue_tags = self.store.issue_tags(issue, TAG_BUDGET)
        pending = None if issue_tags.complete else f"/__parlel/fragments/issue-tags/{issue.id}"
        content = issue_content(issue, project, organization.slug, now,
                                self._choice(event) if event is not None else None,
                                issue_tags, stored, pending)
        title = issue.title if event is None else f"{issue.title} · {event.event_id[:8]}"
        crumbs = [(organization.slug, links.issues_url(organization.slug)),
                  ("Issues", links.issues_url(organization.slug)),
                  (short_id(project.slug, issue.short_id), None)]
        return self.respond(request, title, organization.slug, "issues", crumbs, content,
                            live=f"view=issue&issue={issue.id}")

    @app.route("/organizations/<org>/issues/<issue_ref>/", methods=["GET"])
    @page
    def issue_detail(self, request: Any, org: str, issue_ref: str) -> bytes:
        organization = self.organization_named(org)
        issue, project = self._issue_in(organization, issue_ref)
        return self._issue_page(request, organization, issue, project,
                                self.store.latest_event(issue.id))

    @app.route("/organizations/<org>/issues/<issue_ref>/events/<event_ref>/", methods=["GET"])
    @page
    def issue_event(self, request: Any, org: str, issue_ref: str, event_ref: str) -> bytes:
        organization = self.organization_named(org)
        issue, project = self._issue_in(organization, issue_ref)
        if event_ref in ("latest", "recommended", "oldest"):
            event = (self.store.oldest_event(issue.id) if event_ref == "oldest"
                     else self.store.latest_event(issue.id))
            if event is None:
                raise NotFound("None of this issue's events is stored any more.")
        else:
            event = self.store.event(event_ref)
            if event.issue_id != issue.id:
                raise NotFound(f"Event {event_ref} is not an event of this issue.")
        return self._issue_page(request, organization, issue, project, event)

    @app.route("/organizations/<org>/issues/<issue_ref>/events/", methods=["GET"])
    @page
    def issue_events(self, request: Any, org: str, issue_ref: str) -> bytes:
        organization = self.organization_named(org)
        issue, project = self._issue_in(organization, issue_ref)
        events = self.store.events(issue_id=issue.id)
        _, offset, _ = parse_cursor(request.args.get(b"cursor", [b""])[0].decode("ascii",
                                                                                "replace"))
        now = self.store.now()
        # The latest first by the events' own times, as the API lists them.
        shown = self.store.latest_events(offset + EVENTS_PER_PAGE, issue_id=issue.id)[offset:]
        rows = [event_row(event, organization.slug, now) for event in shown]
        base = links.issue_events_url(organization.slug, issue.id)
        previous = (links.with_cursor(base, [], max(0, offset - EVENTS_PER_PAGE))
                    if offset else None)
        following = (links.with_cursor(base, [], offset + EVENTS_PER_PAGE)
                     if offset + EVENTS_PER_PAGE < len(events) else None)
        range_ = f"{offset + 1}–{offset + len(shown)} of {len(events)}" if shown else "none"
        content = events_content(issue, project, organization.slug, now,
                                 event_table(rows, offset == 0, "No stored events."),
                                 pager(previous, following, range_), len(events))
        crumbs = [(organization.slug, links.issues_url(organization.slug)),
                  ("Issues", links.issues_url(organization.slug)),
                  (short_id(project.slug, issue.short_id),
                   links.issue_url(organization.slug, issue.id)), ("Events", None)]
        return self.respond(request, f"{issue.title} · events", organization.slug, "issues",
                            crumbs, content, live=f"view=issue-events&issue={issue.id}")

    @app.route("/__parlel/fragments/issue-tags/<int:issue_id>", methods=["GET"])
    async def issue_tags_fragment(self, request: Any, issue_id: int) -> bytes:
        """
        The tags panel of an issue once every event is counted (the page of a big issue
        fetches it; counting runs a slice at a time, so the server keeps answering).
        """
        issue = self.store.issue(issue_id)
        await self.store.prepare_issue_facts(issue)
        project = self.store.directory.project_by_id(issue.project_id)
        org = self.store.directory.organization(project.organization_id)
        panel = tags_panel(self.store.issue_tags(issue, TAG_BUDGET), org.slug, None)
        return html_response(request, flatten(panel))


def _live_query(view: str, org: str, filters: StreamFilters) -> str:
    """
    The query string of the live feed of a stream page: its view and its filters.
    """
    parts = [("view", view), ("org", org)] + [(name, value) for name, value in filters.params()
                                              if value != ""]
    return "&".join(f"{quote(name)}={quote(value, safe='')}" for name, value in parts)
