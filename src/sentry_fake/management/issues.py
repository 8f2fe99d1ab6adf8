"""
Issues: the project issue list.
"""

from __future__ import annotations

from typing import Any

from ..errors import Invalid
from ..http import json_response
from ..store.models import Issue
from . import serializers
from .app import app, arg, authenticated, base_url
from .pagination import paginate

_SORTS = {
    "date": lambda issue: issue.last_seen,
    "new": lambda issue: issue.first_seen,
    "freq": lambda issue: issue.times_seen,
    "user": lambda issue: len(issue.users),
}
_STATS_PERIODS = {"24h", "14d", "30d", ""}


def _matches(issue: Issue, query: str) -> bool:
    for token in query.split():
        negate = token.startswith("!")
        if negate:
            token = token[1:]
        key, sep, value = token.partition(":")
        if sep and key == "is":
            hit = issue.status == value or issue.substatus == value or (
                value == "archived" and issue.status == "ignored")
        elif sep and key == "level":
            hit = issue.level == value
        elif sep:
            raise Invalid(f"Your search query could not be parsed: unsupported key {key!r}")
        else:
            text = token.lower()
            hit = text in issue.title.lower() or text in issue.culprit.lower()
        if hit == negate:
            return False
    return True


class IssueRoutes:
    @app.route("/api/0/projects/<org>/<project>/issues/", methods=["GET"])
    @authenticated
    def list_project_issues(self, request: Any, org: str, project: str) -> bytes:
        organization = self.store.organization(org)
        found = self.store.project(organization, project)
        query = arg(request, "query", "is:unresolved")
        sort = arg(request, "sort", "date")
        if sort not in _SORTS:
            raise Invalid(f"Unsupported sort: {sort}")
        period = arg(request, "statsPeriod", "24h")
        if period not in _STATS_PERIODS:
            raise Invalid("Invalid stats_period. Valid choices are '', '24h', '14d', and '30d'")
        issues = [issue for issue in self.store.issues([found]) if _matches(issue, query or "")]
        issues.sort(key=_SORTS[sort], reverse=True)
        page = paginate(request, issues, param="limit")
        base, now = base_url(request), self.store.now()
        return json_response(request, [
            serializers.issue(issue, found, organization, base, now, period or None)
            for issue in page
        ])
