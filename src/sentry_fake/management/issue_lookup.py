"""
Finding the issue a path names: by its number, or by its short id (C{PARLEL-1A}), which Sentry
accepts wherever it accepts an issue id; and showing an issue with what the store knows of it.
"""

from __future__ import annotations

from typing import Any

from ..errors import NotFound
from ..http import base_url
from ..interfaces import IDirectory, IEventLog, IIssues
from ..store.models import Issue, Organization
from . import serializers
from .serializers import base32_decode


class IssueLookup:
    #: The roles of the store these routes use (checked by tests/test_interfaces.py).
    roles = (IDirectory, IEventLog, IIssues)

    def _issue_body(self, request: Any, issue: Issue, org: Organization,
                    stats_period: str | None = "24h") -> dict[str, Any]:
        """
        An issue as Sentry shows it, with what its project, assignee and latest event say.
        """
        latest = self.store.latest_event(issue.id)
        latest_has_attachments = latest is not None and any(
            item.type == "attachment" for item in self.store.items_of_event(latest.event_id))
        return serializers.issue(
            issue, self.store.directory.project_by_id(issue.project_id), org, base_url(request),
            self.store.now(), stats_period, self.store.directory.actor(issue.assigned_to),
            latest_has_attachments)

    def _issue_in(self, org: str | None, issue_ref: str) -> tuple[Issue, Organization]:
        """
        The issue C{issue_ref} names (in organization C{org}, when the path names one).

        @raise NotFound: there is no such issue there.
        """
        organization = self.store.directory.organization(org) if org is not None else None
        if issue_ref.isdigit():
            issue = self.store.issue(issue_ref)
        else:
            issue = self._issue_by_short_id(organization, issue_ref)
        project = self.store.directory.project_by_id(issue.project_id)
        owner = self.store.directory.organization(project.organization_id)
        if organization is not None and owner.id != organization.id:
            raise NotFound()
        return issue, owner

    def _issue_by_short_id(self, organization: Organization | None, short_id: str) -> Issue:
        slug, sep, counter = short_id.rpartition("-")
        number = base32_decode(counter) if sep and slug and counter else None
        if number is None:
            raise NotFound()
        organizations = ([organization] if organization is not None
                         else self.store.directory.organizations())
        for candidate in organizations:
            for project in self.store.directory.projects_of(candidate):
                if project.slug.upper() == slug.upper():
                    issue = self.store.issue_by_short_id(project, number)
                    if issue is not None:
                        return issue
        raise NotFound()
