"""
The tags of an issue's events at a bounded cost, for the pages people read: exact from the
issue's gathered facts (L{sentry_fake.store.facts}) when they are current, otherwise counted
over the issue's latest events while the rest are gathered.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Mapping

import attrs

from .normalize import event_tags


@attrs.frozen
class IssueTags:
    """
    What the tags of an issue's events say.

    C{counts} maps a tag key to how often each value came; C{seen} maps C{(key, value)} to
    when it was first and last received.  C{events} is how many events were counted and
    C{complete} whether they are every stored event of the issue.
    """

    counts: Mapping[str, Counter[str]]
    seen: Mapping[tuple[str, str], Any]
    events: int
    complete: bool

    def top(self, key: str, limit: int) -> list[tuple[str, int]]:
        """
        The C{limit} most common values of a key, with their counts.
        """
        return self.counts[key].most_common(limit)

    def total(self, key: str) -> int:
        return sum(self.counts[key].values())


def latest_tags(events: Any, count: int) -> IssueTags:
    """
    The tags of the latest C{count} of C{events} (a L{sentry_fake.store.log.Facet}).
    """
    counts: dict[str, Counter[str]] = {}
    seen: dict[tuple[str, str], list[float]] = {}
    latest = events.newest(0, count)
    for event in latest:
        for key, value in event_tags(event):
            counts.setdefault(key, Counter())[value] += 1
            when = seen.get((key, value))
            if when is None:
                seen[(key, value)] = [event.received, event.received]
            else:
                when[0] = min(when[0], event.received)
                when[1] = max(when[1], event.received)
    return IssueTags(counts=counts, seen=seen, events=len(latest),
                     complete=len(latest) == len(events))
