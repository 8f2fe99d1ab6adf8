"""
The release book: an organization's releases with their projects, commits and deploys, the
repositories those commits belong to, and the code mappings from projects to repositories.

Ids are handed out as Sentry's database would: one counter per kind, shared by all organizations.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Sequence

from zope.interface import implementer

from ..errors import Invalid, NotFound
from ..interfaces import IReleases
from .codec import converter
from .health import SessionCounts, session_releases
from .models import Project
from .code_mappings import CodeMapping, CodeMappingBook
from .commits import CommitBook
from .release_models import Commit, Creation, Deploy, Release, Repository

MAX_VERSION_LENGTH = 200
#: Characters a release version may not hold (Sentry's C{BAD_RELEASE_CHARS}).
BAD_RELEASE_CHARS = "\r\n\f\x0c\t/\\"
RELEASE_REFERENCED = "This release is referenced by active issues and cannot be removed."


_BAD_RELEASE = re.compile("[" + re.escape(BAD_RELEASE_CHARS) + "]")


def is_valid_version(version: str) -> bool:
    """
    Whether Sentry accepts C{version} as a release name.
    """
    if _BAD_RELEASE.search(version):
        return False
    stripped = version.strip()
    return bool(stripped) and stripped not in (".", "..") and stripped.lower() != "latest"


@implementer(IReleases)
class ReleaseBook:
    """
    Releases per organization, repositories, commits and deploys.
    """

    def __init__(self) -> None:
        self._releases: dict[tuple[int, str], Release] = {}
        self._deploys: dict[int, Deploy] = {}
        #: The repositories of every organization and the commits releases point at.
        self.code = CommitBook()
        #: Which repository path each stack trace root of a project stands for.
        self.mappings = CodeMappingBook()
        self._next = {"release": 1, "deploy": 1}

    def _take_id(self, kind: str) -> int:
        value = self._next[kind]
        self._next[kind] = value + 1
        return value

    def __len__(self) -> int:
        return len(self._releases)

    # Releases

    def create(self, organization_id: int, version: str, projects: Sequence[Project],
               now: float, *, ref: str | None = None, url: str | None = None,
               date_started: float | None = None, date_released: float | None = None,
               status: str | None = None, owner: str | None = None,
               user_agent: str | None = None, commits: list[dict[str, Any]] | None = None,
               refs: list[dict[str, Any]] | None = None) -> Creation:
        """
        Create a release, or find the existing one of that version and add the projects to it.

        Creation is idempotent as in Sentry: an existing release keeps its fields except
        C{status}, and C{commits} / C{refs} replace its commits either way.
        """
        release = self._releases.get((organization_id, version))
        created = release is None
        if release is None:
            release = Release(
                id=self._take_id("release"), organization_id=organization_id, version=version,
                date_created=now, ref=ref, url=url, date_started=date_started,
                date_released=date_released, status=status or "open", owner=owner,
                user_agent=user_agent,
            )
            self._releases[(organization_id, version)] = release
        elif status is not None:
            release.status = status
        added = self._add_projects(release, projects)
        if commits:
            self.set_commits(release, commits, now)
        if refs:
            self.set_refs(release, refs, now)
        return Creation(release, created, tuple(added))

    def _add_projects(self, release: Release, projects: Iterable[Project]) -> list[int]:
        added = []
        for project in projects:
            if project.id not in release.project_ids:
                release.project_ids.append(project.id)
                added.append(project.id)
        return added

    def find(self, organization_id: int, version: str) -> Release | None:
        return self._releases.get((organization_id, version))

    def get(self, organization_id: int, version: str) -> Release:
        """
        @raise NotFound: the organization has no release of that version.
        """
        release = self.find(organization_id, version)
        if release is None:
            raise NotFound()
        return release

    def releases(self, organization_id: int, query: str | None = None,
                 project_ids: Iterable[int] | None = None,
                 status: str | None = "open") -> list[Release]:
        """
        An organization's releases, newest first, as Sentry's release list filters them.

        C{query} is a case-insensitive substring of the version; C{project_ids}, when given,
        keeps releases of any of those projects; C{status} keeps one status (C{None}: all).
        """
        wanted = set(project_ids) if project_ids is not None else None
        needle = query.lower() if query else None
        found = [
            release for (org_id, _), release in self._releases.items()
            if org_id == organization_id
            and (status is None or release.status == status)
            and (needle is None or needle in release.version.lower())
            and (wanted is None or wanted.intersection(release.project_ids))
        ]
        found.sort(key=lambda release: (release.date_created, release.id), reverse=True)
        return found

    def update(self, release: Release, now: float, *, ref: str | None = None,
               url: str | None = None, date_released: float | None = None,
               status: str | None = None, commits: list[dict[str, Any]] | None = None,
               refs: list[dict[str, Any]] | None = None,
               projects: Sequence[Project] = ()) -> Release:
        """
        Change a release as Sentry's release PUT does: only the fields given (and not empty)
        change; C{commits} replace the commits; C{refs} set head commits, and an empty C{refs}
        list (with no C{commits}) clears the commits.  C{projects} are added, never removed.
        """
        if date_released is not None:
            release.date_released = date_released
        if ref:
            release.ref = ref
        if url:
            release.url = url
        if status:
            release.status = status
        self._add_projects(release, projects)
        if commits:
            self.set_commits(release, commits, now)
        if refs:
            self.set_refs(release, refs, now)
        elif refs is not None and not commits:
            release.commit_ids = []
            release.head_commits = {}
        return release

    def delete(self, release: Release) -> None:
        """
        Remove a release and its deploys.

        @raise Invalid: issues were first seen in it (Sentry refuses those).
        """
        if release.total_new_groups:
            raise Invalid(RELEASE_REFERENCED)
        del self._releases[(release.organization_id, release.version)]
        for deploy_id in [d.id for d in self._deploys.values() if d.release_id == release.id]:
            del self._deploys[deploy_id]

    def previous_with_commits(self, release: Release) -> Release | None:
        """
        The latest release sharing a project with C{release}, having commits, and released (or
        made) no later than it; as in Sentry the release itself qualifies once it has commits.
        """
        start = release.sort_date
        projects = set(release.project_ids)
        candidates = [
            other for (org_id, _), other in self._releases.items()
            if org_id == release.organization_id and other.commit_ids
            and projects.intersection(other.project_ids) and other.sort_date <= start
        ]
        if not candidates:
            return None
        return max(candidates, key=lambda other: (other.sort_date, other.id))

    def event_seen(self, project: Project, version: str, timestamp: float,
                   new_issue: bool) -> Release | None:
        """
        Record that an event of C{project} named release C{version}: the release is created on
        its first event (as Sentry does), gets the project, its first and last event times, and
        counts the issue as new in it when the event opened one.
        """
        if not version or len(version) > MAX_VERSION_LENGTH or not is_valid_version(version):
            return None
        release = self._releases.get((project.organization_id, version))
        if release is None:
            release = self.create(project.organization_id, version, [project], timestamp).release
        else:
            self._add_projects(release, [project])
        if release.first_event is None or timestamp < release.first_event:
            release.first_event = timestamp
        if release.last_event is None or timestamp > release.last_event:
            release.last_event = timestamp
        if new_issue:
            release.new_groups[project.id] = release.new_groups.get(project.id, 0) + 1
        return release

    def sessions_seen(self, project: Project, item_type: str, payload: Any,
                      timestamp: float) -> None:
        """
        Count a C{session} or C{sessions} item toward its release's health (creating the
        release on its first session, as Sentry does).
        """
        for version, _, entries in session_releases(item_type, payload):
            if len(version) > MAX_VERSION_LENGTH or not is_valid_version(version):
                continue
            release = self._releases.get((project.organization_id, version))
            if release is None:
                release = self.create(project.organization_id, version, [project],
                                      timestamp).release
            else:
                self._add_projects(release, [project])
            counts = release.health.get(project.id)
            if counts is None:
                counts = release.health[project.id] = SessionCounts()
            for entry in entries:
                if item_type == "session":
                    counts.add_update(entry)
                else:
                    counts.add_aggregate(entry)

    # Commits and repositories (kept by the commit book)

    def set_commits(self, release: Release, commits: list[dict[str, Any]], now: float) -> None:
        """
        Replace a release's commits with full commit dicts (see L{CommitBook.record_commits}).
        """
        release.commit_ids = self.code.record_commits(release.organization_id, commits, now)

    def set_refs(self, release: Release, refs: list[dict[str, Any]], now: float) -> None:
        """
        Set a release's head commits from C{refs} entries (see L{CommitBook.record_refs}).
        """
        release.commit_ids, heads = self.code.record_refs(release.organization_id, refs, now)
        release.head_commits.update(heads)

    def commits(self, release: Release) -> list[Commit]:
        """
        A release's commits, newest first.
        """
        return self.code.commits_of(release.commit_ids)

    def releases_of_commit(self, commit: Commit) -> list[Release]:
        """
        The releases whose commit lists hold C{commit}, oldest first.
        """
        found = [release for release in self._releases.values()
                 if commit.id in release.commit_ids]
        found.sort(key=lambda release: (release.date_created, release.id))
        return found

    def authors(self, release: Release) -> list[tuple[str | None, str | None]]:
        """
        The distinct (name, email) authors of a release's commits, in commit order.
        """
        seen: list[tuple[str | None, str | None]] = []
        for commit in self.commits(release):
            author = (commit.author_name, commit.author_email)
            if author != (None, None) and author not in seen:
                seen.append(author)
        return seen

    def repositories(self, organization_id: int) -> list[Repository]:
        return self.code.repositories(organization_id)

    def repository_by_id(self, repository_id: int) -> Repository:
        return self.code.repository_by_id(repository_id)

    # Code mappings

    def check_mapped_repository(self, organization_id: int, name: str,
                                provider: str | None) -> None:
        """
        @raise NotFound: the organization's repository of that name is of another provider.
        """
        found = self.code.repository(organization_id, name)
        if (found is not None and provider and found.provider is not None
                and found.provider not in (provider, f"integrations:{provider}")):
            raise NotFound(f"Repository not found: {name}")

    def map_code(self, organization_id: int, project_id: int, repository: str,
                 provider: str | None, default_branch: str,
                 mappings: Iterable[tuple[str, str]],
                 now: float) -> list[tuple[CodeMapping, bool]]:
        """
        Map a project's stack trace roots to source roots of a repository, creating the
        repository when the organization has none of that name (of C{provider}, when given).

        @return: each mapping, and whether it was created (not updated), in the order given.
        """
        repo = self.code.repository(organization_id, repository)
        if repo is None:
            short = provider.removeprefix("integrations:") if provider else None
            repo = self.code.add_repository(
                organization_id, repository, f"integrations:{short}" if short else None,
                None, now)
        return [self.mappings.upsert(organization_id, project_id, repo.id, stack_root,
                                     source_root, default_branch, now)
                for stack_root, source_root in mappings]

    def code_mappings(self, organization_id: int,
                      project_ids: Iterable[int] | None = None) -> list[CodeMapping]:
        return self.mappings.of_organization(organization_id, project_ids)

    # The checkpoint of a journal

    def dump(self) -> dict[str, Any]:
        return {
            "releases": converter.unstructure(list(self._releases.values())),
            "deploys": converter.unstructure(list(self._deploys.values())),
            "code": self.code.dump(),
            "code_mappings": self.mappings.dump(),
            "next": dict(self._next),
        }

    @classmethod
    def load(cls, state: dict[str, Any]) -> "ReleaseBook":
        book = cls()
        for release in converter.structure(state["releases"], list[Release]):
            book._releases[(release.organization_id, release.version)] = release
        for deploy in converter.structure(state["deploys"], list[Deploy]):
            book._deploys[deploy.id] = deploy
        book.code = CommitBook.load(state["code"])
        book.mappings = CodeMappingBook.load(state.get("code_mappings"))
        book._next = dict(state["next"])
        return book

    # Deploys

    def add_deploy(self, release: Release, environment: str, projects: Sequence[Project],
                   now: float, *, name: str | None = None, url: str | None = None,
                   date_started: float | None = None,
                   date_finished: float | None = None) -> Deploy:
        """
        Record a deploy of C{release} to C{environment} for C{projects} (which also gain the
        environment); it becomes the release's last deploy.
        """
        deploy = Deploy(id=self._take_id("deploy"), organization_id=release.organization_id,
                        release_id=release.id, environment=environment,
                        date_finished=now if date_finished is None else date_finished,
                        date_started=date_started, name=name, url=url,
                        project_ids=[project.id for project in projects])
        self._deploys[deploy.id] = deploy
        for project in projects:
            project.environments.add(environment)
        release.deploy_count += 1
        release.last_deploy_id = deploy.id
        return deploy

    def deploy(self, deploy_id: int | None) -> Deploy | None:
        return self._deploys.get(deploy_id) if deploy_id is not None else None

    def deploys(self, release: Release) -> list[Deploy]:
        """
        A release's deploys, the latest finished first.
        """
        found = [d for d in self._deploys.values() if d.release_id == release.id]
        found.sort(key=lambda deploy: (deploy.date_finished, deploy.id), reverse=True)
        return found
