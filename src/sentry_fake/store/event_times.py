"""
An issue's latest and oldest events as Sentry finds them: by the events' own times, not by
when they arrived.

The events of an issue are kept in arrival order.  Relay's clamp bounds an event's time by
its arrival (never more than a minute after it, never more than 30 days before it), so the
latest is found walking from the newest arrival until nothing that arrived earlier can be
later, and the oldest walking from the oldest arrival until nothing that arrived later can be
older: with events sent as they happen, a step or two.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

from .fields import MAX_SECS_IN_FUTURE, MAX_SECS_IN_PAST
from .models import Event

Keep = Callable[[Event], bool] | None


def latest_event(events: Any, keep: Keep = None) -> Event | None:
    """
    The event of the latest time among C{events} (a sequence in arrival order) that C{keep}
    keeps; of those of the same time, the one that arrived last.
    """
    best: Event | None = None
    for event in reversed(events):
        if best is not None and event.received + MAX_SECS_IN_FUTURE < best.timestamp:
            break
        if (keep is None or keep(event)) and (best is None or event.timestamp > best.timestamp):
            best = event
    return best


def oldest_event(events: Iterable[Event], keep: Keep = None) -> Event | None:
    """
    The event of the earliest time among C{events} (in arrival order) that C{keep} keeps; of
    those of the same time, the one that arrived first.
    """
    best: Event | None = None
    for event in events:
        if best is not None and event.received - MAX_SECS_IN_PAST > best.timestamp:
            break
        if (keep is None or keep(event)) and (best is None or event.timestamp < best.timestamp):
            best = event
    return best
