"""
An issue's latest and oldest events, and its events newest first, as Sentry finds them: by the
events' own times, not by when they arrived.

The events of an issue are kept in arrival order, and the store knows how far ahead of its
arrival (C{ahead}) and behind it (C{behind}) any event's time has been (Relay's clamp bounds
both: a minute ahead, 30 days behind).  So the latest is found walking from the newest arrival
until nothing that arrived earlier can be later, and the oldest walking from the oldest
arrival until nothing that arrived later can be older: with events sent as they happen, a few
steps.
"""

from __future__ import annotations

import heapq
from typing import Any, Callable, Iterable

from .fields import MAX_SECS_IN_FUTURE, MAX_SECS_IN_PAST
from .models import Event

Keep = Callable[[Event], bool] | None


def latest_event(events: Any, keep: Keep = None, ahead: float = MAX_SECS_IN_FUTURE
                 ) -> Event | None:
    """
    The event of the latest time among C{events} (a sequence in arrival order) that C{keep}
    keeps; of those of the same time, the one that arrived last.
    """
    best: Event | None = None
    for event in reversed(events):
        if best is not None and event.received + ahead < best.timestamp:
            break
        if (keep is None or keep(event)) and (best is None or event.timestamp > best.timestamp):
            best = event
    return best


def oldest_event(events: Iterable[Event], keep: Keep = None,
                 behind: float = MAX_SECS_IN_PAST) -> Event | None:
    """
    The event of the earliest time among C{events} (in arrival order) that C{keep} keeps; of
    those of the same time, the one that arrived first.
    """
    best: Event | None = None
    for event in events:
        if best is not None and event.received - behind > best.timestamp:
            break
        if (keep is None or keep(event)) and (best is None or event.timestamp < best.timestamp):
            best = event
    return best


def latest_events(events: Any, keep: Keep, count: int,
                  ahead: float = MAX_SECS_IN_FUTURE) -> list[Event]:
    """
    The C{count} events of the latest times among C{events} (in arrival order) that C{keep}
    keeps, latest first; of events of one time, the last to arrive first.
    """
    found: list[tuple[float, int, Event]] = []
    if count <= 0:
        return []
    for walked, event in enumerate(reversed(events)):
        if len(found) == count and event.received + ahead < found[0][0]:
            break
        if keep is not None and not keep(event):
            continue
        entry = (event.timestamp, -walked, event)
        if len(found) < count:
            heapq.heappush(found, entry)
        elif entry[:2] > found[0][:2]:
            heapq.heapreplace(found, entry)
    found.sort(key=lambda entry: entry[:2], reverse=True)
    return [event for _, _, event in found]


def neighbours(events: Any, position: int) -> tuple[Event | None, Event | None]:
    """
    The events just before and just after C{events[position]} in the order of their times
    (of events of one time, the order they arrived in): read whole, for a sequence whose
    events did not arrive in the order of their times.
    """
    key = (events[position].timestamp, position)
    older = newer = None
    older_key = newer_key = None
    for index, other in enumerate(events):
        candidate = (other.timestamp, index)
        if candidate < key:
            if older_key is None or candidate > older_key:
                older, older_key = other, candidate
        elif candidate > key and (newer_key is None or candidate < newer_key):
            newer, newer_key = other, candidate
    return older, newer
