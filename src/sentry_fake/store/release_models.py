"""
The records of the release book: releases, the repositories and commits they point at, and their
deploys.  Plain attrs classes; the JSON shapes live in C{management/release_shapes.py}.
"""

from __future__ import annotations

from typing import Any

import attrs

from .health import SessionCounts

#: Display names of the repository providers Sentry knows, by provider id.
PROVIDER_NAMES = {
    "integrations:github": "GitHub",
    "integrations:github_enterprise": "GitHub Enterprise",
    "integrations:gitlab": "GitLab",
    "integrations:bitbucket": "Bitbucket",
    "integrations:bitbucket_server": "Bitbucket Server",
    "integrations:vsts": "Azure DevOps",
    "integrations:perforce": "Perforce",
}


@attrs.define(eq=False)
class Repository:
    """
    A source repository of an organization, named as the code host names it (C{acme/app}).

    C{provider} is C{None} for repositories that only commits sent by a client created.
    """

    id: int
    organization_id: int
    name: str
    provider: str | None
    url: str | None
    date_created: float
    status: str = "active"


@attrs.define(eq=False)
class Commit:
    """
    One commit of a repository, as a release's commit list or head refs named it.
    """

    id: int
    organization_id: int
    repository_id: int
    key: str
    date_created: float
    message: str | None = None
    author_name: str | None = None
    author_email: str | None = None
    patch_set: list[dict[str, Any]] = attrs.Factory(list)


@attrs.define(eq=False)
class Deploy:
    """
    A release deployed to an environment.
    """

    id: int
    organization_id: int
    release_id: int
    environment: str
    date_finished: float
    date_started: float | None = None
    name: str | None = None
    url: str | None = None
    project_ids: list[int] = attrs.Factory(list)


@attrs.define(eq=False)
class Release:
    """
    A version of an organization's code, shared by the projects it names.

    C{commit_ids} is newest first, as clients send them; C{head_commits} maps a repository id to
    the head commit a C{refs} entry named; C{new_groups} counts, per project, the issues first
    seen in this release.
    """

    id: int
    organization_id: int
    version: str
    date_created: float
    ref: str | None = None
    url: str | None = None
    date_started: float | None = None
    date_released: float | None = None
    status: str = "open"
    owner: str | None = None
    user_agent: str | None = None
    data: dict[str, Any] = attrs.Factory(dict)
    project_ids: list[int] = attrs.Factory(list)
    commit_ids: list[int] = attrs.Factory(list)
    head_commits: dict[int, str] = attrs.Factory(dict)
    deploy_count: int = 0
    last_deploy_id: int | None = None
    new_groups: dict[int, int] = attrs.Factory(dict)
    first_event: float | None = None
    last_event: float | None = None
    #: Release health per project id (L{sentry_fake.store.health.SessionCounts}).
    health: dict[int, SessionCounts] = attrs.Factory(dict)

    @property
    def total_new_groups(self) -> int:
        return sum(self.new_groups.values())

    @property
    def sort_date(self) -> float:
        """
        When the release went out, or was made: what project lists and
        C{previous-with-commits} order by.
        """
        return self.date_released if self.date_released is not None else self.date_created


@attrs.frozen
class Creation:
    """
    What creating a release did: C{created} when the version is new, C{added_projects} the ids
    of projects that were not in it yet.  Sentry answers 208 when neither happened.
    """

    release: Release
    created: bool
    added_projects: tuple[int, ...] = ()

    @property
    def already_reported(self) -> bool:
        return not self.created and not self.added_projects
