"""
The outcome book: what became of the data sent to each project (accepted, filtered, rate
limited, invalid, discarded by the client), counted as data arrives in counters per minute,
as Sentry counts outcomes for its usage stats.
"""

from __future__ import annotations

import bisect
from typing import Any, Iterable, Iterator

import attrs
from zope.interface import implementer

from ..interfaces import IOutcomes
from .outcome_rules import Tracked

MINUTE = 60
#: How long outcomes are kept, counted back from the newest (Sentry keeps them 90 days).
RETENTION = 90 * 86400


@attrs.frozen
class OutcomeCount:
    """
    The outcomes of one minute alike in organization, project, outcome, reason and category:
    their summed C{quantity} and how many they were (C{times_seen}).
    """

    minute: int
    organization_id: int
    project_id: int
    outcome: str
    reason: str | None
    category: str
    quantity: int
    times_seen: int


_Key = tuple[int, int, str, "str | None", str]


@implementer(IOutcomes)
class OutcomeBook:
    """
    Outcome counters, one set a minute, oldest minute first.
    """

    def __init__(self) -> None:
        self._minutes: dict[int, dict[_Key, list[int]]] = {}
        self._order: list[int] = []

    def add(self, when: float, organization_id: int, project_id: int,
            tracked: Iterable[Tracked]) -> None:
        """
        Count outcomes that happened at C{when} (epoch seconds) to a project.
        """
        minute = int(when // MINUTE) * MINUTE
        counters = self._minutes.get(minute)
        for outcome in tracked:
            if counters is None:
                counters = self._minutes[minute] = {}
                bisect.insort(self._order, minute)
            key = (organization_id, project_id, outcome.outcome, outcome.reason, outcome.category)
            counter = counters.get(key)
            if counter is None:
                counters[key] = [outcome.quantity, 1]
            else:
                counter[0] += outcome.quantity
                counter[1] += 1
        self._expire()

    def _expire(self) -> None:
        if not self._order:
            return
        oldest = self._order[-1] - RETENTION
        gone = bisect.bisect_left(self._order, oldest)
        for minute in self._order[:gone]:
            del self._minutes[minute]
        del self._order[:gone]

    def counts(self, start: float, end: float, organization_id: int,
               project_ids: Iterable[int] | None = None) -> Iterator[OutcomeCount]:
        wanted = None if project_ids is None else frozenset(project_ids)
        low = bisect.bisect_left(self._order, start)
        high = bisect.bisect_left(self._order, end)
        for minute in self._order[low:high]:
            for (org, project, outcome, reason, category), (quantity, seen) in \
                    self._minutes[minute].items():
                if org == organization_id and (wanted is None or project in wanted):
                    yield OutcomeCount(minute, org, project, outcome, reason, category, quantity,
                                       seen)

    # Checkpoints

    def dump(self) -> list[list[Any]]:
        return [[minute, *key, *counter] for minute in self._order
                for key, counter in self._minutes[minute].items()]

    @classmethod
    def load(cls, state: list[list[Any]] | None) -> "OutcomeBook":
        book = cls()
        for minute, org, project, outcome, reason, category, quantity, seen in state or ():
            counters = book._minutes.get(minute)
            if counters is None:
                counters = book._minutes[minute] = {}
                book._order.append(minute)
            counters[(org, project, outcome, reason, category)] = [quantity, seen]
        return book
