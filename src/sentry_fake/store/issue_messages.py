"""
The messages of an issue's events, for free-text search: read from the stored events' own
C{message} (the formatted message normalization kept when they arrived), so answering needs no
event document; kept per issue (issue ids are never used again) and brought up to date with
only the events stored since.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any


class MessageCache:
    def __init__(self, capacity: int = 10_000) -> None:
        self._cache: OrderedDict[int, tuple[int, set[str]]] = OrderedDict()
        self._capacity = capacity

    def get(self, issue: Any, events: Any) -> set[str]:
        """
        The distinct messages of an issue's events (the cache's own set: read, never change).

        @param events: the issue's events, a L{sentry_fake.store.log.Facet} (its C{appended}
            count tells which are new).
        """
        appended = events.appended
        cached = self._cache.get(issue.id)
        if cached is not None and 0 <= appended - cached[0] <= len(events):
            seen, messages = cached
            for index in range(len(events) - (appended - seen), len(events)):
                message = events[index].message
                if message:
                    messages.add(message)
        else:
            messages = {event.message for event in events if event.message}
        self._cache[issue.id] = (appended, messages)
        self._cache.move_to_end(issue.id)
        while len(self._cache) > self._capacity:
            self._cache.popitem(last=False)
        return messages
