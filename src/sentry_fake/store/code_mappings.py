"""
The code mapping book: which path of a repository each stack trace root of a project stands for
(Sentry's repository project path configs), as C{sentry-cli code-mappings upload} sends them.

A project has at most one mapping per stack trace root: uploading the same root again updates
its source root, repository and default branch.  Ids are handed out as Sentry's database would,
one counter shared by all organizations.
"""

from __future__ import annotations

from typing import Any, Iterable

import attrs

from .codec import converter


@attrs.define(eq=False)
class CodeMapping:
    """
    A stack trace root of a project and the source root of a repository it maps to.
    """

    id: int
    organization_id: int
    project_id: int
    repository_id: int
    stack_root: str
    source_root: str
    default_branch: str
    date_created: float
    automatically_generated: bool = False


class CodeMappingBook:
    """
    Code mappings, by project and stack trace root.
    """

    def __init__(self) -> None:
        self._mappings: dict[tuple[int, str], CodeMapping] = {}
        self._next = 1

    def upsert(self, organization_id: int, project_id: int, repository_id: int,
               stack_root: str, source_root: str, default_branch: str,
               now: float) -> tuple[CodeMapping, bool]:
        """
        Map a project's stack trace root, or change the mapping it has.

        @return: the mapping, and whether it was created (not updated).
        """
        found = self._mappings.get((project_id, stack_root))
        if found is not None:
            found.repository_id, found.source_root = repository_id, source_root
            found.default_branch, found.automatically_generated = default_branch, False
            return found, False
        mapping = CodeMapping(id=self._next, organization_id=organization_id,
                              project_id=project_id, repository_id=repository_id,
                              stack_root=stack_root, source_root=source_root,
                              default_branch=default_branch, date_created=now)
        self._next += 1
        self._mappings[(project_id, stack_root)] = mapping
        return mapping, True

    def of_organization(self, organization_id: int,
                        project_ids: Iterable[int] | None = None) -> list[CodeMapping]:
        """
        An organization's mappings (of some projects only, when given), oldest first.
        """
        wanted = set(project_ids) if project_ids is not None else None
        found = [mapping for mapping in self._mappings.values()
                 if mapping.organization_id == organization_id
                 and (wanted is None or mapping.project_id in wanted)]
        found.sort(key=lambda mapping: mapping.id)
        return found

    # The checkpoint of a journal

    def dump(self) -> dict[str, Any]:
        return {"mappings": converter.unstructure(list(self._mappings.values())),
                "next": self._next}

    @classmethod
    def load(cls, state: dict[str, Any] | None) -> "CodeMappingBook":
        book = cls()
        if state is None:
            return book
        for mapping in converter.structure(state["mappings"], list[CodeMapping]):
            book._mappings[(mapping.project_id, mapping.stack_root)] = mapping
        book._next = state["next"]
        return book
