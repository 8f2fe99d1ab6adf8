"""
Finding the issue a path names: by its number, or by its short id (C{PARLEL-1A}), which Sentry
accepts wherever it accepts an issue id.
"""

from __future__ import annotations

from ..errors import NotFound
from ..interfaces import IDirectory, IIssues
from ..store.models import Issue, Organization
from .serializers import base32_decode


class IssueLookup:
    #: The roles of the store these routes use (checked by tests/test_interfaces.py).
    roles = (IDirectory, IIssues)

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
