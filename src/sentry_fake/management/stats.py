"""
Event counts over time, from the events actually received: Sentry's legacy stats endpoints
(C{[[timestamp, count], ...]}) for an organization and a project.
"""

from __future__ import annotations

import bisect
import math
import re
from typing import Any, Sequence

from ..errors import Invalid
from ..http import arg, json_response
from ..interfaces import IDirectory, IEventLog
from ..store.models import Event
from .app import app, authenticated

_RESOLUTION = re.compile(r"^(\d+)([smhd])\Z")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_STATS = {"received", "rejected", "blacklisted", "generated"}
MAX_POINTS = 10_000


def _number(request: Any, name: str, default: float, message: str) -> float:
    value = arg(request, name)
    if value in (None, ""):
        return default
    try:
        number = float(value)
    except ValueError:
        raise Invalid(message)
    if not math.isfinite(number):
        raise Invalid(message)
    return number


def stats_window(request: Any, now: float) -> tuple[str, int, int, int]:
    """
    Read C{stat}, C{since}, C{until} and C{resolution} as Sentry's StatsMixin does.

    @return: the stat, the first bucket, the end, and the bucket size in seconds.
    """
    stat = arg(request, "stat", "received")
    if stat not in _STATS:
        raise Invalid("Invalid stat")
    until = _number(request, "until", now, "until must be a numeric timestamp.")
    since = _number(request, "since", until - 86400 + 1, "since must be a numeric timestamp")
    if since > until:
        raise Invalid("start must be before or equal to end")
    resolution = arg(request, "resolution")
    if resolution:
        match = _RESOLUTION.match(resolution)
        if not match or resolution not in ("10s", "1h", "1d"):
            raise Invalid("Invalid resolution")
        step = int(match.group(1)) * _UNITS[match.group(2)]
    else:
        step = 3600 if until - since <= 86400 * 2 else 86400
    start = int(since) // step * step
    if (int(until) - start) // step >= MAX_POINTS:
        raise Invalid(f"Too many data points: choose a shorter range or a coarser resolution "
                      f"(at most {MAX_POINTS} points)")
    return stat, start, int(until), step


def series(events: Sequence[Event], stat: str, start: int, end: int,
           step: int) -> list[list[int]]:
    """
    Counts per bucket; events are in receive order, so each bucket is two bisections.
    """
    points = []
    for bucket in range(start, end + 1, step):
        if stat in ("received", "generated"):
            low = bisect.bisect_left(events, bucket, key=lambda event: event.received)
            high = bisect.bisect_left(events, bucket + step, key=lambda event: event.received)
            points.append([bucket, high - low])
        else:
            points.append([bucket, 0])
    return points


class StatsRoutes:
    #: The roles of the store these routes use (checked by tests/test_interfaces.py).
    roles = (IDirectory, IEventLog)

    @app.route("/api/0/organizations/<org>/stats/", methods=["GET"])
    @authenticated
    def org_stats(self, request: Any, org: str) -> bytes:
        organization = self.store.directory.organization(org)
        stat, start, end, step = stats_window(request, self.store.now())
        projects = self.store.directory.projects_of(organization)
        per_project = {str(p.id): series(self.store.events(project_id=p.id), stat, start, end, step)
                       for p in projects}
        if arg(request, "group") == "project":
            return json_response(request, per_project)
        totals = [[bucket, 0] for bucket in range(start, end + 1, step)]
        for points in per_project.values():
            for total, (_, count) in zip(totals, points):
                total[1] += count
        return json_response(request, totals)

    @app.route("/api/0/projects/<org>/<project>/stats/", methods=["GET"])
    @authenticated
    def project_stats(self, request: Any, org: str, project: str) -> bytes:
        found = self.store.directory.project(self.store.directory.organization(org), project)
        stat, start, end, step = stats_window(request, self.store.now())
        return json_response(request,
                             series(self.store.events(project_id=found.id), stat, start, end, step))
