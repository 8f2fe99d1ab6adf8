"""
Time series of an events query, as Sentry's C{events-stats/} answers them: each aggregate of
C{yAxis} over buckets of C{interval} seconds from the start of the period to its end, every
bucket present (empty ones count 0), optionally for each of the top groups of the query's
plain fields (C{topEvents}) and the rest of the rows as C{Other}.

The rows are those the plan matches, walked once newest first (a walk that stops where
nothing earlier can be in the period), each put in its bucket.
"""

from __future__ import annotations

from typing import Any, Iterable

from .columns import Column, aggregate
from .engine import Plan

#: Sentry's most buckets one series may have (C{MAX_ROLLUP_POINTS}).
MAX_BUCKETS = 10_000
#: The most groups C{topEvents} may ask for (C{MAX_TOP_EVENTS}).
MAX_TOP_EVENTS = 10

Buckets = dict[int, list[Any]]


def time_frame(start: float, end: float, rollup: int) -> tuple[int, int]:
    """
    The period as Sentry states a series' C{start} and C{end}: both at the start of their
    bucket (a period inside one bucket reaching into the next counts both).
    """
    first = int(start) // rollup * rollup
    last = int(end) // rollup * rollup
    if last - first == rollup:
        last += 1
    return first, last


def buckets_of(start: float, end: float, rollup: int, partial: bool = False) -> list[int]:
    """
    The start of every bucket of C{rollup} seconds in the period, as Sentry zero-fills them:
    the bucket still under way (the one the period ends in) only when C{partial}.
    """
    first, last = time_frame(start, end, rollup)
    starts = list(range(first, last, rollup))
    if partial and int(end) // rollup * rollup not in starts and int(end) % rollup:
        starts.append(int(end) // rollup * rollup)
    return starts


def bucketed(plan: Plan, rows: Iterable[Any], rollup: int, key=None) -> dict[Any, Buckets]:
    """
    The rows by group (C{key(row)}, or one group C{None}) and by bucket.
    """
    groups: dict[Any, Buckets] = {}
    timestamp = plan.dataset.timestamp
    for row in rows:
        group = groups.setdefault(key(row) if key is not None else None, {})
        group.setdefault(int(timestamp(row)) // rollup * rollup, []).append(row)
    return groups


def series(plan: Plan, axis: Column, buckets: Buckets, starts: list[int],
           rollup: int) -> list[list[Any]]:
    """
    C{[[bucket start, [{"count": value}]], ...]}: one aggregate over each bucket.
    """
    dataset = plan.dataset
    points = []
    for start in starts:
        members = buckets.get(start, [])
        value = aggregate(axis, members, dataset.read, dataset.timestamp, dataset.failed,
                          rollup) if members else 0
        if value is None:
            value = 0
        if dataset.eap and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        points.append([start, [{"count": value}]])
    return points


def merged(groups: Iterable[Buckets]) -> Buckets:
    """
    Several groups' buckets as one (the C{Other} of the top groups).
    """
    together: Buckets = {}
    for group in groups:
        for start, members in group.items():
            together.setdefault(start, []).extend(members)
    return together
