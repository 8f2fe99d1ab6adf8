"""
Usage stats from outcomes: C{GET /api/0/organizations/{org}/stats_v2/} (counts over time,
grouped and filtered by outcome, data category, reason and project) and
C{GET /api/0/organizations/{org}/stats-summary/} (per project and category), as Sentry's
C{OrganizationStatsEndpointV2} and C{OrganizationStatsSummaryEndpoint} answer them.
"""

from __future__ import annotations

from typing import Any

from ..errors import Forbidden, Invalid
from ..http import json_response
from ..interfaces import IDirectory, IOutcomes
from . import outcome_answers
from .app import app, authenticated
from .outcome_query import last, read_query, requested_projects

_NO_PERMISSION = "You do not have permission to perform this action."


def _args(request: Any) -> dict[str, list[str]]:
    return {name.decode("utf-8", "replace"): [value.decode("utf-8", "replace") for value in values]
            for name, values in (request.args or {}).items()}


class UsageStatsRoutes:
    #: The roles of the store these routes use (checked by tests/test_interfaces.py).
    roles = (IDirectory, IOutcomes)

    def _projects(self, organization: Any, requested: set[int]) -> list[Any]:
        """
        The organization's projects a request names (all of them for none, or C{-1}), as
        Sentry's C{get_projects} finds them.

        @raise Forbidden: it names a project the organization does not have.
        @raise Invalid: the organization has no project.
        """
        projects = self.store.directory.projects_of(organization)
        if requested and requested != {-1}:
            projects = [project for project in projects if project.id in requested]
            if len(projects) != len(requested):
                raise Forbidden(_NO_PERMISSION)
        if not projects:
            raise Invalid("No projects available")
        return projects

    @app.route("/api/0/organizations/<org>/stats_v2/", methods=["GET"])
    @authenticated
    def stats_v2(self, request: Any, org: str) -> bytes:
        organization = self.store.directory.organization(org)
        args = _args(request)
        requested = requested_projects(args)
        project_ids = None
        if (requested and requested != {-1}) or "project" in (last(args, "groupBy") or []):
            project_ids = [project.id for project in self._projects(organization, requested)]
        query = read_query(args, self.store.now())
        counts = self.store.outcomes.counts(query.start, query.end, organization.id, project_ids)
        return json_response(request, outcome_answers.stats_v2(query, counts))

    @app.route("/api/0/organizations/<org>/stats-summary/", methods=["GET"])
    @authenticated
    def stats_summary(self, request: Any, org: str) -> bytes:
        organization = self.store.directory.organization(org)
        args = _args(request)
        projects = self._projects(organization, requested_projects(args))
        group_by = ["project", "outcome", "category"] + (["reason"] if last(args, "reason")
                                                         else [])
        query = read_query(args, self.store.now(), group_by)
        counts = self.store.outcomes.counts(query.start, query.end, organization.id,
                                            [project.id for project in projects])
        slugs = {project.id: project.slug for project in projects}
        by_project, answer = outcome_answers.summary(query, counts, args.get("outcome") or (),
                                                     slugs)
        if last(args, "download"):
            request.setResponseCode(200)
            request.setHeader(b"content-type", b"text/csv")
            request.setHeader(b"content-disposition",
                              b'attachment; filename="stats_summary.csv"')
            return outcome_answers.summary_csv(by_project, slugs).encode()
        return json_response(request, answer)
