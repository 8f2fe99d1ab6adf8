"""
The issue book: events grouped into issues by their grouping hash, per project.
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator

import attrs

from ..errors import NotFound
from .issue_order import ProjectOrder, walk
from .models import Event, Issue, Project

HOUR = 3600
#: The newest activities an issue keeps.
MAX_ACTIVITY = 100


class _Unset:
    """
    The value of a field an update does not touch.
    """

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


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

    def __init__(self, track_changes: bool = False) -> None:
        """
        @param track_changes: note which issues change and go (for a journal's checkpoints;
            memory only has no use for it).
        """
        self._by_id: dict[int, Issue] = {}
        self._by_hash: dict[tuple[int, str], Issue] = {}
        self._by_project: dict[int, dict[int, Issue]] = {}
        self._by_short_id: dict[tuple[int, int], Issue] = {}
        self._orders: dict[int, ProjectOrder] = {}
        self._next_id = 1
        self._next_activity = 1
        #: Issues changed (and removed) since the journal last took a checkpoint.
        self.track_changes = track_changes
        self.changed: set[int] = set()
        self.removed: set[int] = set()

    def __len__(self) -> int:
        return len(self._by_id)

    def find(self, issue_id: int) -> Issue | None:
        return self._by_id.get(issue_id)

    def by_short_id(self, project_id: int, short_id: int) -> Issue | None:
        """
        The issue a project's short id counter names (C{PROJECT-1A} is counter 42).
        """
        return self._by_short_id.get((project_id, short_id))

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

    def walk(self, project_ids: Iterable[int], sort: str) -> Iterator[Issue]:
        """
        The issues of some projects in a sort order (C{date}, C{new}, C{freq}, C{user}),
        lazily: a list page reads only as far as it needs.
        """
        return walk([self._orders[pid] for pid in project_ids if pid in self._orders], sort)

    def note_activity(self, issue: Issue, kind: str, data: dict[str, Any], now: float,
                      user_id: int | None = None) -> dict[str, Any]:
        """
        Add an activity to an issue (its newest L{MAX_ACTIVITY} are kept).
        """
        activity = {"id": self._next_activity, "type": kind, "data": data, "user": user_id,
                    "date": now}
        self._next_activity += 1
        issue.activity.append(activity)
        if len(issue.activity) > MAX_ACTIVITY:
            del issue.activity[:-MAX_ACTIVITY]
        self.touched(issue)
        return activity

    def touched(self, issue: Issue) -> None:
        """
        Note that an issue changed (so the next checkpoint writes it).
        """
        if self.track_changes:
            self.changed.add(issue.id)

    def remove(self, issue: Issue) -> None:
        del self._by_id[issue.id]
        if self.track_changes:
            self.changed.discard(issue.id)
            self.removed.add(issue.id)
        for hash_ in issue.hashes:
            self._by_hash.pop((issue.project_id, hash_), None)
        self._by_project.get(issue.project_id, {}).pop(issue.id, None)
        self._by_short_id.pop((issue.project_id, issue.short_id), None)
        order = self._orders.get(issue.project_id)
        if order is not None:
            order.remove(issue)

    # The checkpoint of a journal

    def all_issues(self) -> Iterator[Issue]:
        return iter(self._by_id.values())

    def dump_orders(self) -> dict[str, Any]:
        """
        What the book holds besides the issues themselves (kept one by one).
        """
        return {"next_id": self._next_id, "next_activity": self._next_activity,
                "orders": {str(pid): order.dump() for pid, order in self._orders.items()}}

    @classmethod
    def load(cls, state: dict[str, Any], issues: Iterable[Issue]) -> "IssueBook":
        book = cls(track_changes=True)
        for issue in issues:
            book._by_id[issue.id] = issue
            for hash_ in issue.hashes:
                book._by_hash[(issue.project_id, hash_)] = issue
            book._by_project.setdefault(issue.project_id, {})[issue.id] = issue
            book._by_short_id[(issue.project_id, issue.short_id)] = issue
        book._next_id = state["next_id"]
        book._next_activity = state["next_activity"]
        for project_id, order in state["orders"].items():
            book._orders[int(project_id)] = ProjectOrder.load(order, book._by_id)
        return book

    def add_event(self, project: Project, event: Event) -> Issue:
        """
        File an event under its issue, creating the issue on its first event.
        """
        # Sentry files an event under the issue of any of its hashes.
        issue, by_hash = None, self._by_hash
        for hash_ in event.hashes:
            issue = by_hash.get((project.id, hash_))
            if issue is not None:
                break
        if issue is None:
            project.short_id_counter += 1
            issue = Issue(
                id=self._next_id, project_id=project.id, short_id=project.short_id_counter,
                hashes=list(event.hashes), type=event.type, title=event.title,
                culprit=event.culprit, metadata=event.metadata, level=event.level,
                logger=None, platform=event.platform, first_seen=event.timestamp,
                last_seen=event.timestamp, first_release=event.release,
            )
            self._next_id += 1
            self._by_id[issue.id] = issue
            for hash_ in event.hashes:
                self._by_hash[(project.id, hash_)] = issue
            self._by_project.setdefault(project.id, {})[issue.id] = issue
            self._by_short_id[(project.id, issue.short_id)] = issue
        else:
            for hash_ in event.hashes:
                if hash_ not in issue.hashes:
                    issue.hashes.append(hash_)
                    self._by_hash[(project.id, hash_)] = issue
            issue.title, issue.culprit, issue.metadata = event.title, event.culprit, event.metadata
            issue.level = event.level
            if issue.status == "resolved":
                issue.status, issue.substatus, issue.status_details = "unresolved", "regressed", {}
                self.note_activity(issue, "set_regression",
                                   {"version": event.release} if event.release else {},
                                   event.received)
        issue.logger = event.logger or issue.logger
        times_before, users_before = issue.times_seen, len(issue.users)
        seen_before = (issue.first_seen, issue.last_seen)
        issue.times_seen += 1
        # Sentry's first and last seen are the events' own times, not when they arrived.
        issue.last_seen = max(issue.last_seen, event.timestamp)
        issue.first_seen = min(issue.first_seen, event.timestamp)
        if event.release:
            issue.last_release = event.release
        issue.is_unhandled = issue.is_unhandled or event.unhandled
        user = user_key(event.user)
        if user:
            issue.users.add(user)
        if event.environment:
            issue.environments.add(event.environment)
        if event.release:
            issue.releases.add(event.release)
        order = self._orders.get(project.id)
        if order is None:
            order = self._orders[project.id] = ProjectOrder()
        order.seen(issue, times_before, users_before, seen_before)
        if issue.status == "ignored" and _snooze_expired(issue, event.received):
            # An issue archived until a condition comes back when the condition is met.
            issue.status, issue.substatus, issue.status_details = "unresolved", "escalating", {}
            issue.snooze = None
        bucket = int(event.timestamp) // HOUR * HOUR
        issue.hourly[bucket] = issue.hourly.get(bucket, 0) + 1
        event.issue_id = issue.id
        if self.track_changes:
            self.changed.add(issue.id)
        return issue


@attrs.frozen
class IssueChange:
    """
    What an update of one or many issues asks for; fields left C{UNSET} are not touched.
    """

    status: Any = UNSET
    substatus: Any = UNSET
    status_details: Any = UNSET
    assigned_to: Any = UNSET
    has_seen: Any = UNSET
    is_bookmarked: Any = UNSET
    is_public: Any = UNSET
    is_subscribed: Any = UNSET
    priority: Any = UNSET


def _snooze_expired(issue: Issue, now: float) -> bool:
    snooze = issue.snooze
    if not snooze:
        return False
    if "until" in snooze and now >= snooze["until"]:
        return True
    count = snooze.get("count")
    if count is not None and issue.times_seen - snooze["times_seen"] >= count:
        return True
    users = snooze.get("user_count")
    if users is not None and len(issue.users) - snooze["users"] >= users:
        return True
    return False


def apply_change(issue: Issue, change: IssueChange, now: float) -> None:
    """
    Apply an update to one issue, with Sentry's status and substatus rules.
    """
    if change.status is not UNSET:
        details = change.status_details if change.status_details is not UNSET else {}
        details = dict(details or {})
        if change.status == "resolved":
            issue.status, issue.substatus, issue.snooze = "resolved", None, None
            issue.status_details = details
        elif change.status == "unresolved":
            issue.status, issue.substatus, issue.snooze = "unresolved", "ongoing", None
            issue.status_details = {}
        elif change.status == "ignored":
            issue.status = "ignored"
            issue.snooze = None
            minutes = details.get("ignoreDuration")
            if minutes:
                details["ignoreUntil"] = now + float(minutes) * 60
                issue.snooze = {"until": details["ignoreUntil"]}
            if details.get("ignoreCount"):
                issue.snooze = {"count": int(details["ignoreCount"]), "times_seen": issue.times_seen}
            if details.get("ignoreUserCount"):
                issue.snooze = {"user_count": int(details["ignoreUserCount"]),
                                "users": len(issue.users)}
            issue.substatus = ("archived_until_condition_met" if issue.snooze
                               else "archived_until_escalating")
            issue.status_details = details
    if change.substatus is not UNSET and change.substatus is not None:
        issue.substatus = change.substatus
    if change.assigned_to is not UNSET:
        issue.assigned_to = change.assigned_to
    if change.has_seen is not UNSET:
        issue.has_seen = bool(change.has_seen)
    if change.is_bookmarked is not UNSET:
        issue.is_bookmarked = bool(change.is_bookmarked)
    if change.is_public is not UNSET:
        issue.is_public = bool(change.is_public)
    if change.is_subscribed is not UNSET:
        issue.is_subscribed = bool(change.is_subscribed)
    if change.priority is not UNSET:
        issue.priority = change.priority
