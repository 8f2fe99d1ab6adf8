"""
Issues of a project kept in the orders Sentry sorts them by, so a list page walks from the
front and stops when it is full instead of sorting every issue.

- C{new} and C{date}: sorted by first and last seen (the events' own times, which need not
  arrive in order), each a sorted list of C{(time, issue id)} an event moves an issue in;
- C{freq} and C{user}: buckets keyed by the count, an issue moving up one bucket at a time.
"""

from __future__ import annotations

import heapq
from typing import Any, Callable, Iterable, Iterator

from sortedcontainers import SortedList

from .models import Issue


class _Buckets:
    """
    Issues grouped by a count, walked from the highest count down (most recent first within
    a count).
    """

    def __init__(self) -> None:
        self._buckets: dict[int, dict[int, Issue]] = {}

    def move(self, issue: Issue, old: int, new: int) -> None:
        if old == new and old in self._buckets and issue.id in self._buckets[old]:
            return
        bucket = self._buckets.get(old)
        if bucket is not None:
            bucket.pop(issue.id, None)
            if not bucket:
                del self._buckets[old]
        self._buckets.setdefault(new, {})[issue.id] = issue

    def remove(self, issue: Issue, count: int) -> None:
        bucket = self._buckets.get(count)
        if bucket is not None:
            bucket.pop(issue.id, None)
            if not bucket:
                del self._buckets[count]

    def descending(self) -> Iterator[Issue]:
        for count in sorted(self._buckets, reverse=True):
            yield from reversed(self._buckets[count].values())

    def dump(self) -> list[list[Any]]:
        return [[count, list(bucket)] for count, bucket in self._buckets.items()]

    @classmethod
    def load(cls, state: list[list[Any]], issues: dict[int, Issue]) -> "_Buckets":
        buckets = cls()
        for count, ids in state:
            buckets._buckets[count] = {issue_id: issues[issue_id] for issue_id in ids}
        return buckets


class ProjectOrder:
    """
    One project's issues in every sort order.
    """

    def __init__(self) -> None:
        self.issues: dict[int, Issue] = {}
        self.created = SortedList()
        self.recent = SortedList()
        self.freq = _Buckets()
        self.users = _Buckets()

    def seen(self, issue: Issue, times_before: int, users_before: int,
             seen_before: tuple[float, float]) -> None:
        """
        Record an event of C{issue} (its counts and times already include it;
        C{seen_before} is its first and last seen before the event).
        """
        if issue.id not in self.issues:
            self.issues[issue.id] = issue
            self.created.add((issue.first_seen, issue.id))
            self.recent.add((issue.last_seen, issue.id))
        else:
            first_before, last_before = seen_before
            if first_before != issue.first_seen:
                self.created.remove((first_before, issue.id))
                self.created.add((issue.first_seen, issue.id))
            if last_before != issue.last_seen:
                self.recent.remove((last_before, issue.id))
                self.recent.add((issue.last_seen, issue.id))
        self.freq.move(issue, times_before, issue.times_seen)
        self.users.move(issue, users_before, len(issue.users))

    def remove(self, issue: Issue) -> None:
        if self.issues.pop(issue.id, None) is None:
            return
        self.created.discard((issue.first_seen, issue.id))
        self.recent.discard((issue.last_seen, issue.id))
        self.freq.remove(issue, issue.times_seen)
        self.users.remove(issue, len(issue.users))

    def dump(self) -> dict[str, Any]:
        """
        The orders as issue ids (what a journal's checkpoint keeps of them).
        """
        return {"recent": [issue_id for _, issue_id in self.recent],
                "freq": self.freq.dump(), "users": self.users.dump()}

    @classmethod
    def load(cls, state: dict[str, Any], issues: dict[int, Issue]) -> "ProjectOrder":
        order = cls()
        order.issues = {issue_id: issues[issue_id] for issue_id in state["recent"]}
        order.created = SortedList((issue.first_seen, issue.id)
                                   for issue in order.issues.values())
        order.recent = SortedList((issue.last_seen, issue.id)
                                  for issue in order.issues.values())
        order.freq = _Buckets.load(state["freq"], issues)
        order.users = _Buckets.load(state["users"], issues)
        return order

    def _newest_first(self, keys: SortedList) -> Iterator[Issue]:
        for _, issue_id in reversed(keys):
            yield self.issues[issue_id]

    def walk(self, sort: str) -> Iterator[Issue]:
        if sort == "new":
            return self._newest_first(self.created)
        if sort == "freq":
            return self.freq.descending()
        if sort == "user":
            return self.users.descending()
        return self._newest_first(self.recent)


_KEYS: dict[str, Callable[[Issue], float]] = {
    "date": lambda issue: issue.last_seen,
    "new": lambda issue: issue.first_seen,
    "freq": lambda issue: issue.times_seen,
    "user": lambda issue: len(issue.users),
}


def walk(orders: Iterable[ProjectOrder], sort: str) -> Iterator[Issue]:
    """
    The issues of several projects in one sort order (a merge of each project's walk).
    """
    walks = [order.walk(sort) for order in orders]
    if len(walks) == 1:
        return walks[0]
    key = _KEYS.get(sort, _KEYS["date"])
    return heapq.merge(*walks, key=key, reverse=True)
