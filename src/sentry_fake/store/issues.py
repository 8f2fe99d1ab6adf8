"""
The issue book: events grouped into issues by their grouping hash, per project.
"""

from __future__ import annotations

from typing import Iterable

from ..errors import NotFound
from .models import Event, Issue, Project

HOUR = 3600


def user_key(user: dict | None) -> str | None:
    """
    What makes two events' users the same user, for C{userCount}.
    """
    if not user:
        return None
    for field in ("id", "username", "email", "ip_address"):
        value = user.get(field)
        if value not in (None, ""):
            return f"{field}:{value}"
    return None


class IssueBook:
    """
    Every issue, findable by id, by project and by (project, hash).
    """

    def __init__(self) -> None:
        self._by_id: dict[int, Issue] = {}
        self._by_hash: dict[tuple[int, str], Issue] = {}
        self._by_project: dict[int, dict[int, Issue]] = {}
        self._next_id = 1

    def __len__(self) -> int:
        return len(self._by_id)

    def get(self, issue_id: str | int) -> Issue:
        try:
            return self._by_id[int(issue_id)]
        except (KeyError, ValueError, TypeError):
            raise NotFound()

    def of_projects(self, project_ids: Iterable[int]) -> list[Issue]:
        found: list[Issue] = []
        for project_id in project_ids:
            found.extend(self._by_project.get(project_id, {}).values())
        return found

    def add_event(self, project: Project, event: Event) -> Issue:
        """
        File an event under its issue, creating the issue on its first event.
        """
        key = (project.id, event.hashes[0])
        issue = self._by_hash.get(key)
        if issue is None:
            project.short_id_counter += 1
            issue = Issue(
                id=self._next_id, project_id=project.id, short_id=project.short_id_counter,
                hashes=list(event.hashes), type=event.type, title=event.title,
                culprit=event.culprit, metadata=event.metadata, level=event.level,
                logger=None, platform=event.platform, first_seen=event.received,
                last_seen=event.received, first_release=event.release,
            )
            self._next_id += 1
            self._by_id[issue.id] = issue
            self._by_hash[key] = issue
            self._by_project.setdefault(project.id, {})[issue.id] = issue
        else:
            issue.title, issue.culprit, issue.metadata = event.title, event.culprit, event.metadata
            issue.level = event.level
            if issue.status == "resolved":
                issue.status, issue.substatus, issue.status_details = "unresolved", "regressed", {}
        issue.logger = event.logger or issue.logger
        issue.times_seen += 1
        issue.last_seen = max(issue.last_seen, event.received)
        issue.first_seen = min(issue.first_seen, event.received)
        if event.release:
            issue.last_release = event.release
        issue.is_unhandled = issue.is_unhandled or event.unhandled
        user = user_key(event.user)
        if user:
            issue.users.add(user)
        bucket = int(event.received) // HOUR * HOUR
        issue.hourly[bucket] = issue.hourly.get(bucket, 0) + 1
        event.issue_id = issue.id
        event.derived["issue_id"] = issue.id
        return issue
