"""
Issue lists: a project's and an organization's, with Sentry's search syntax, sort, stats
period and cursor pagination, and their bulk update and bulk delete.
"""

from __future__ import annotations

from itertools import islice
from typing import Any, Iterable, Iterator

from ..errors import Invalid, NotFound
from ..http import arg, arg_list, json_response, read_json_body
from ..interfaces import IDirectory, IEventLog, IIssues, IWrites
from ..store import search
from ..store.models import Issue, Organization, Project
from ..store.normalize import normalize_event_id
from ..store.records import IssuesChanged, IssuesDeleted
from . import serializers
from .app import app, authenticated
from .issue_updates import parse_change
from .pagination import paginate

_SORTS = {
    "date": lambda issue: issue.last_seen,
    "new": lambda issue: issue.first_seen,
    "freq": lambda issue: issue.times_seen,
    "user": lambda issue: len(issue.users),
    "priority": lambda issue: (issue.level in ("fatal", "error"), issue.last_seen),
}
# Sorts Sentry has that a fake without trends or an inbox answers by recency.
for _name in ("trends", "inbox", "recommended", "betterPriority"):
    _SORTS[_name] = _SORTS["date"]
_STATS_PERIODS = {"24h", "14d", "30d", "", "auto"}
# Sorts the store keeps issues in order for (the rest are sorted when asked).
_ORDERED = {"date": "date", "new": "new", "freq": "freq", "user": "user", "trends": "date",
            "inbox": "date", "recommended": "date", "betterPriority": "date"}


def _page(matching: Iterator[Issue], offset: int, count: int) -> tuple[list[Issue], bool]:
    wanted = list(islice(matching, offset, offset + count + 1))
    return wanted[:count], len(wanted) > count
BULK_MUTATION_LIMIT = 1000


class IssueListRoutes:
    #: The roles of the store these routes use (checked by tests/test_interfaces.py).
    roles = (IDirectory, IEventLog, IIssues, IWrites)

    def _search_context(self) -> search.Context:
        store = self.store
        me = store.directory.me
        return search.Context(
            now=store.now(),
            me=frozenset({f"user:{me.id}"}),
            facts=store.issue_facts,
            assignee=self._assignee_names,
            project_slug=lambda pid: store.directory.project_by_id(pid).slug,
        )

    def _assignee_names(self, issue: Issue) -> frozenset[str]:
        assignee = self.store.directory.actor(issue.assigned_to)
        if assignee is None:
            return frozenset()
        names = {issue.assigned_to, str(assignee.id)}
        if hasattr(assignee, "email"):
            names |= {assignee.email.lower(), assignee.username.lower(), assignee.name.lower()}
        else:
            names |= {f"#{assignee.slug}", assignee.slug}
        return frozenset(names)

    def _matching(self, request: Any, projects: list[Project], query: str | None = None,
                  sort: str = "date") -> Iterator[Issue]:
        """
        The issues of C{projects} that match the request's C{query} (no C{query} means
        C{is:unresolved}, an empty one means every issue) and C{environment}s, lazily and in
        C{sort} order, walked from the store's ordered indexes.
        """
        if query is None:
            query = arg(request, "query", "is:unresolved")
        tree = search.parse(query)
        feedback = search.asks_for_feedback(tree)
        context = self._search_context()
        environments = set(arg_list(request, "environment"))
        if sort in _ORDERED:
            issues: Iterable[Issue] = self.store.issues_in_order(projects, _ORDERED[sort])
        else:
            issues = sorted(self.store.issues(projects), key=_SORTS[sort], reverse=True)
        for issue in issues:
            if environments and not issue.environments & environments:
                continue
            if issue.type == "feedback" and not feedback:
                continue  # listed only when the query names them, as Sentry does
            if search.evaluate(tree, issue, context):
                yield issue

    def _event_id_lookup(self, request: Any, projects: list[Project]) -> list[Issue] | None:
        """
        The issue of the event a query that is nothing but an event id names, if any.
        """
        event_id = normalize_event_id((arg(request, "query") or "").strip())
        if event_id is None:
            return None
        try:
            event = self.store.event(event_id)
        except NotFound:
            return None
        if event.issue_id is None or event.project_id not in {p.id for p in projects}:
            return None
        return [self.store.issue(event.issue_id)]

    def _short_id_lookup(self, request: Any, org: Organization) -> list[Issue] | None:
        if arg(request, "shortIdLookup") not in ("1", "true"):
            return None
        query = (arg(request, "query") or "").strip()
        found = self.store_issue_by_short_id(org, query)
        return [found] if found is not None else None

    def store_issue_by_short_id(self, org: Organization, short_id: str) -> Issue | None:
        try:
            return self._issue_by_short_id(org, short_id)
        except NotFound:
            return None

    def _serialize(self, request: Any, issues: list[Issue], stats_period: str | None,
                   org: Organization) -> list[dict[str, Any]]:
        return [self._issue_body(request, issue, org, stats_period) for issue in issues]

    def _list(self, request: Any, org: Organization, projects: list[Project],
              period_param: str) -> bytes:
        sort = arg(request, "sort", "date")
        if sort not in _SORTS:
            raise Invalid(f"Invalid sort: {sort}")
        period = arg(request, period_param, "24h")
        if period not in _STATS_PERIODS:
            raise Invalid("Invalid stats_period. Valid choices are '', '24h', '14d', and 'auto'")
        if period == "auto":
            period = "24h"
        found = self._short_id_lookup(request, org)
        if found is None:
            found = self._event_id_lookup(request, projects)
        if found is not None:
            # Sentry answers a query that names one issue with it alone, and says so.
            request.setHeader(b"x-sentry-direct-hit", b"1")
            page = paginate(request, found, param="limit")
        else:
            matching = self._matching(request, projects, sort=sort)
            # Read only as far as the page needs: offset + count, and one more to tell
            # whether a next page exists.
            page = paginate(request, lambda offset, count: _page(matching, offset, count),
                            param="limit")
        return json_response(request, self._serialize(request, page, period or None, org))

    def _org_projects(self, request: Any, org: Organization) -> list[Project]:
        wanted = [value for value in arg_list(request, "project") if value != "-1"]
        projects = self.store.directory.projects_of(org)
        if not wanted:
            return projects
        chosen = [project for project in projects if str(project.id) in wanted]
        if len(chosen) != len(set(wanted)):
            raise Invalid("Invalid project")
        return chosen

    # The lists

    @app.route("/api/0/projects/<org>/<project>/issues/", methods=["GET"])
    @authenticated
    def list_project_issues(self, request: Any, org: str, project: str) -> bytes:
        organization = self.store.directory.organization(org)
        found = self.store.directory.project(organization, project)
        return self._list(request, organization, [found], "statsPeriod")

    @app.route("/api/0/organizations/<org>/issues/", methods=["GET"])
    @authenticated
    def list_org_issues(self, request: Any, org: str) -> bytes:
        organization = self.store.directory.organization(org)
        return self._list(request, organization, self._org_projects(request, organization),
                          "groupStatsPeriod")

    # Bulk changes

    def _targets(self, request: Any, projects: list[Project]) -> list[Issue] | None:
        ids = arg_list(request, "id")
        if ids:
            wanted = {int(value) for value in ids if value.isdigit()}
            if len(wanted) != len(ids):
                raise Invalid(fields={"id": ["A valid integer is required."]})
            allowed = {project.id for project in projects}
            found = [issue for issue in self.store.issues(projects) if issue.id in wanted
                     and issue.project_id in allowed]
            return found or None
        query = arg(request, "query")
        if query is None:
            status = arg(request, "status")
            query = f"is:{status}" if status else "is:unresolved"
        return list(islice(self._matching(request, projects, query), BULK_MUTATION_LIMIT))

    def _bulk_update(self, request: Any, org: Organization, projects: list[Project]) -> bytes:
        change, answer = parse_change(read_json_body(request, self.store.limits.api_body),
                                      lambda value: self.store.directory.resolve_actor(org, value))
        targets = self._targets(request, projects)
        if not targets:
            # Sentry answers an update that matches nothing with no content.
            request.setResponseCode(204)
            return b""
        self.store.change_issues(IssuesChanged(
            time=self.store.now(), issue_ids=tuple(issue.id for issue in targets), change=change))
        first = targets[0]
        if "assignedTo" in answer:
            answer["assignedTo"] = serializers.actor(self.store.directory.actor(first.assigned_to))
        # Sentry's schema documents that every answer says whether the issues are public.
        answer.setdefault("isPublic", first.is_public)
        return json_response(request, answer)

    def _bulk_delete(self, request: Any, projects: list[Project]) -> bytes:
        targets = self._targets(request, projects)
        if targets:
            self.store.delete_issues(IssuesDeleted(
                time=self.store.now(), issue_ids=tuple(issue.id for issue in targets)))
        request.setResponseCode(204)
        return b""

    @app.route("/api/0/projects/<org>/<project>/issues/", methods=["PUT"])
    @authenticated
    def update_project_issues(self, request: Any, org: str, project: str) -> bytes:
        organization = self.store.directory.organization(org)
        return self._bulk_update(request, organization,
                                 [self.store.directory.project(organization, project)])

    @app.route("/api/0/organizations/<org>/issues/", methods=["PUT"])
    @authenticated
    def update_org_issues(self, request: Any, org: str) -> bytes:
        organization = self.store.directory.organization(org)
        return self._bulk_update(request, organization, self._org_projects(request, organization))

    @app.route("/api/0/projects/<org>/<project>/issues/", methods=["DELETE"])
    @authenticated
    def delete_project_issues(self, request: Any, org: str, project: str) -> bytes:
        organization = self.store.directory.organization(org)
        return self._bulk_delete(request, [self.store.directory.project(organization, project)])

    @app.route("/api/0/organizations/<org>/issues/", methods=["DELETE"])
    @authenticated
    def delete_org_issues(self, request: Any, org: str) -> bytes:
        organization = self.store.directory.organization(org)
        return self._bulk_delete(request, self._org_projects(request, organization))
