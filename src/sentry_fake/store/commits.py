"""
The commit book: each organization's repositories and the commits its releases point at.

Ids are handed out as Sentry's database would: one counter per kind, shared by all organizations.
"""

from __future__ import annotations

from typing import Any, Iterable

from ..errors import Conflict, NotFound
from .codec import converter
from .release_models import Commit, Repository

COMMIT_RANGE_DELIMITER = ".."


def split_ref(ref: dict[str, Any]) -> tuple[str | None, str]:
    """
    The (previous, head) commits of a C{refs} entry; C{commit} may be a C{previous..head} range.
    """
    commit, previous = ref["commit"], ref.get("previousCommit") or None
    if COMMIT_RANGE_DELIMITER in commit:
        previous, _, commit = commit.partition(COMMIT_RANGE_DELIMITER)
    return previous, commit


class CommitBook:
    """
    Repositories and commits, findable by id and by (repository, commit hash).
    """

    def __init__(self) -> None:
        self._repositories: dict[int, Repository] = {}
        self._commits: dict[int, Commit] = {}
        self._commit_keys: dict[tuple[int, str], Commit] = {}
        self._next = {"repository": 1, "commit": 1}

    def _take_id(self, kind: str) -> int:
        value = self._next[kind]
        self._next[kind] = value + 1
        return value

    # Commits

    def record_commits(self, organization_id: int, commits: list[dict[str, Any]],
                       now: float) -> list[int]:
        """
        Keep full commit dicts (C{id}, C{repository}, C{message}, C{author_name},
        C{author_email}, C{timestamp} as epoch seconds, C{patch_set}), newest first.  A
        repository named for the first time is created without a provider, and a commit
        without one goes to the organization's default repository, as in Sentry.

        @return: the ids of the commits, in the order given.
        """
        ids: list[int] = []
        for data in commits:
            name = data.get("repository") or f"organization-{organization_id}"
            repository = self.repository(organization_id, name)
            if repository is None:
                repository = self.add_repository(organization_id, name, None, None, now)
            commit = self._commit(repository, data["id"], now, data.get("timestamp"))
            for field in ("message", "author_name", "author_email"):
                if data.get(field) is not None:
                    setattr(commit, field, data[field])
            if data.get("patch_set"):
                commit.patch_set = list(data["patch_set"])
            if commit.id not in ids:
                ids.append(commit.id)
        return ids

    def record_refs(self, organization_id: int, refs: list[dict[str, Any]],
                    now: float) -> tuple[list[int], dict[int, str]]:
        """
        Keep the head commits of C{refs} entries (C{repository}, C{commit} or a
        C{previous..head} range, C{previousCommit}).

        Sentry would fetch the commits between the previous head and the new one from the code
        host; with no code host to ask, a release's commits become the head commits.  A
        repository named for the first time is created as a GitHub repository.

        @return: the ids of the head commits, and the head commit of each repository by id.
        """
        ids: list[int] = []
        heads: dict[int, str] = {}
        for ref in refs:
            repository = self.repository(organization_id, ref["repository"])
            if repository is None:
                name = ref["repository"]
                repository = self.add_repository(organization_id, name, "integrations:github",
                                                 f"https://github.com/{name}", now)
            _, head = split_ref(ref)
            heads[repository.id] = head
            commit = self._commit(repository, head, now)
            if commit.id not in ids:
                ids.append(commit.id)
        return ids, heads

    def _commit(self, repository: Repository, key: str, now: float,
                when: float | None = None) -> Commit:
        commit = self._commit_keys.get((repository.id, key))
        if commit is None:
            commit = Commit(id=self._take_id("commit"), organization_id=repository.organization_id,
                            repository_id=repository.id, key=key,
                            date_created=now if when is None else when)
            self._commits[commit.id] = commit
            self._commit_keys[(repository.id, key)] = commit
        elif when is not None:
            commit.date_created = when
        return commit

    def commits_of(self, commit_ids: Iterable[int]) -> list[Commit]:
        return [self._commits[commit_id] for commit_id in commit_ids]

    # Repositories

    def repositories(self, organization_id: int) -> list[Repository]:
        return [repo for repo in self._repositories.values()
                if repo.organization_id == organization_id]

    def repository(self, organization_id: int, name: str) -> Repository | None:
        for repo in self._repositories.values():
            if repo.organization_id == organization_id and repo.name == name:
                return repo
        return None

    def repository_by_id(self, repository_id: int) -> Repository:
        try:
            return self._repositories[repository_id]
        except KeyError:
            raise NotFound()

    def check_new_repository(self, organization_id: int, name: str) -> None:
        """
        @raise Conflict: the organization has a repository of that name.
        """
        if self.repository(organization_id, name) is not None:
            raise Conflict("A repository with this name already exists.")

    def add_repository(self, organization_id: int, name: str, provider: str | None,
                       url: str | None, now: float) -> Repository:
        """
        @raise Conflict: the organization has a repository of that name.
        """
        self.check_new_repository(organization_id, name)
        repo = Repository(id=self._take_id("repository"), organization_id=organization_id,
                          name=name, provider=provider, url=url, date_created=now)
        self._repositories[repo.id] = repo
        return repo

    # The checkpoint of a journal

    def dump(self) -> dict[str, Any]:
        return {
            "repositories": converter.unstructure(list(self._repositories.values())),
            "commits": converter.unstructure(list(self._commits.values())),
            "next": dict(self._next),
        }

    @classmethod
    def load(cls, state: dict[str, Any]) -> "CommitBook":
        book = cls()
        for repository in converter.structure(state["repositories"], list[Repository]):
            book._repositories[repository.id] = repository
        for commit in converter.structure(state["commits"], list[Commit]):
            book._commits[commit.id] = commit
            book._commit_keys[(commit.repository_id, commit.key)] = commit
        book._next = dict(state["next"])
        return book
