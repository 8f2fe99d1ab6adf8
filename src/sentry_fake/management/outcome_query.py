"""
The parameters of Sentry's outcomes queries (C{stats_v2}, C{stats-summary}) read as Sentry's
C{sentry.snuba.outcomes.QueryDefinition} reads them, in the same order and with the same 400
details: C{field}, C{statsPeriod} or C{start}/C{end}, C{interval}, C{groupBy}, and the
C{outcome}, C{category} and C{reason} filters.  Pure functions.

Parameters read once take the last value given, as Django's C{QueryDict.get} does; repeatable
ones (C{field}, C{groupBy}, C{category}, C{outcome}, C{project}) take every value.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta, timezone
from typing import Mapping, Sequence

import attrs

from ..errors import Invalid
from ..store.outcome_rules import CATEGORIES, CATEGORY_ALIASES, ERROR_CATEGORIES, OUTCOMES

Args = Mapping[str, Sequence[str]]

FIELDS = ("sum(quantity)", "sum(times_seen)")
GROUP_BY = ("outcome", "category", "reason", "project")
ONE_DAY = 86400
ONE_HOUR = 3600
#: The most intervals a query may span (C{sentry.snuba.sessions_v2.MAX_POINTS}).
MAX_POINTS = 1000
#: The range of a query that names none (C{sentry.api.utils.MAX_STATS_PERIOD}).
MAX_STATS_PERIOD = timedelta(days=90)
_PERIOD = re.compile(r"^(\d+)([hdmsw]?)\Z")
_UNITS = {"h": "hours", "d": "days", "m": "minutes", "s": "seconds", "w": "weeks"}
#: Sentry's name for Relay's C{smart_rate_limit} reason.
SPIKE_PROTECTION = ("spike_protection", "smart_rate_limit")


def last(args: Args, name: str) -> str | None:
    values = args.get(name)
    return values[-1] if values else None


@attrs.frozen
class OutcomeQuery:
    """
    What an outcomes query asks for: its fields and groupings, its range (epoch seconds, the
    end excluded) cut in C{rollup}-second intervals, and its filters (C{None}: no filter).
    """

    fields: tuple[str, ...]
    group_by: tuple[str, ...]
    start: int
    end: int
    rollup: int
    outcomes: frozenset[str] | None = None
    categories: frozenset[str] | None = None
    reasons: frozenset[str | None] | None = None

    @property
    def raw(self) -> bool:
        """
        Whether Sentry reads raw outcomes (intervals under an hour) rather than its hourly
        rollup, where an outcome without a reason says C{"none"}.
        """
        return self.rollup < ONE_HOUR

    def stored_reason(self, reason: str | None) -> str | None:
        """
        A reason as the table Sentry reads keeps it (what the C{reason} filter compares).
        """
        return None if reason is None and self.raw else (reason or "none")

    def reason(self, reason: str | None) -> str | None:
        """
        A reason as this query shows it.
        """
        stored = self.stored_reason(reason)
        return SPIKE_PROTECTION[0] if stored == SPIKE_PROTECTION[1] else stored


def parse_stats_period(period: str) -> timedelta | None:
    """
    C{1h}, C{14d}, C{30m}, C{2w} or plain seconds as a duration (C{sentry.utils.dates}).
    """
    match = _PERIOD.match(period)
    if not match:
        return None
    value, unit = match.groups()
    try:
        return timedelta(**{_UNITS[unit or "s"]: int(value)})
    except OverflowError:
        return timedelta.max


def parse_datetime(value: str) -> datetime:
    """
    An ISO 8601 time (UTC when it says no offset) or epoch seconds.

    @raise Invalid: it is neither.
    """
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        pass
    else:
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    try:
        seconds = float(value)
        if math.isfinite(seconds):
            return datetime.fromtimestamp(seconds, timezone.utc)
    except (ValueError, OverflowError, OSError):
        pass
    raise Invalid(f"{value} is not a valid ISO8601 date query")


def date_range(args: Args, now: float) -> tuple[int, int, int]:
    """
    The range of a query aligned to its interval, as Sentry's C{get_constrained_date_range}
    makes it at one-minute resolution: C{interval} (one hour when absent or unreadable, a
    multiple of a minute dividing a day), then C{statsPeriod} or C{start} and C{end} (90 days
    by default), a start in the future moved to now, and at most 1000 intervals.

    @return: the start, the end and the interval, in seconds.
    @raise Invalid: with Sentry's detail.
    """
    interval_td = parse_stats_period(last(args, "interval") or "")
    interval = int(ONE_HOUR if interval_td is None else interval_td.total_seconds())
    if interval % 60 != 0 or interval < 60:
        raise Invalid("The interval has to be a multiple of the minimum interval of one minute.")
    if interval > ONE_DAY:
        raise Invalid("The interval has to be less than one day.")
    if ONE_DAY % interval != 0:
        raise Invalid("The interval should divide one day without a remainder.")
    current = datetime.fromtimestamp(now, timezone.utc)
    start, end = current - MAX_STATS_PERIOD, current
    period = last(args, "statsPeriod")
    if period is not None:
        parsed = parse_stats_period(period)
        try:
            if parsed is None:
                raise OverflowError
            start = current - parsed
        except OverflowError:
            raise Invalid(f"Invalid statsPeriod: {period!r}")
    elif last(args, "start") or last(args, "end"):
        given_start, given_end = last(args, "start"), last(args, "end")
        if not (given_start and given_end):
            raise Invalid("start and end are both required")
        start, end = parse_datetime(given_start), parse_datetime(given_end)
    if start >= end:
        raise Invalid("start must be before end")
    if start > current:
        start = current
    first = int(start.timestamp() / interval) * interval
    cover = end.timestamp() - first
    count = int(cover / interval) + (1 if cover % interval else 0)
    if count > MAX_POINTS:
        raise Invalid("Your interval and date range would create too many results. "
                      "Use a larger interval, or a smaller date range.")
    return first, first + count * interval, interval


def _categories(names: Sequence[str]) -> frozenset[str] | None:
    resolved: set[str] = set()
    for name in names:
        category = CATEGORY_ALIASES.get(name, name)
        if category not in CATEGORIES:
            raise Invalid(f'Invalid category: "{name}"')
        resolved.update(ERROR_CATEGORIES if category == "error" else (category,))
    if "attachment" in resolved and len(resolved) > 1:
        raise Invalid("if filtering by attachment no other category may be present")
    return frozenset(resolved) or None


def _outcomes(names: Sequence[str]) -> frozenset[str] | None:
    for name in names:
        if name.upper() not in (outcome.upper() for outcome in OUTCOMES):
            raise Invalid(f'Invalid outcome: "{name}"')
    return frozenset(name.lower() for name in names) or None


def read_query(args: Args, now: float, group_by: Sequence[str] | None = None) -> OutcomeQuery:
    """
    An outcomes query from request parameters (C{group_by} replacing C{groupBy}, as the
    summary endpoint does).

    @raise Invalid: with Sentry's detail.
    """
    fields = list(args.get("field") or ())
    if not fields:
        raise Invalid('At least one "field" is required.')
    start, end, rollup = date_range(args, now)
    for field in fields:
        if field not in FIELDS:
            raise Invalid(f'Invalid field: "{field}"')
    groups = list(args.get("groupBy") or ()) if group_by is None else list(group_by)
    for group in groups:
        if group not in GROUP_BY:
            raise Invalid(f'Invalid groupBy: "{group}"')
    categories = args.get("category") or ()
    if not categories and "category" not in groups:
        raise Invalid("Query must have category as groupby or filter")
    outcomes = _outcomes(args.get("outcome") or ())
    category_filter = _categories(categories)
    reason = last(args, "reason")
    reasons = None
    if reason:
        reasons = frozenset({SPIKE_PROTECTION[1] if reason == SPIKE_PROTECTION[0] else reason})
    return OutcomeQuery(fields=tuple(dict.fromkeys(fields)), group_by=tuple(dict.fromkeys(groups)),
                        start=start, end=end, rollup=rollup, outcomes=outcomes,
                        categories=category_filter, reasons=reasons)


def requested_projects(args: Args) -> set[int]:
    """
    The project ids a request names (C{-1} for every project).

    @raise Invalid: one is not a number.
    """
    try:
        return set(map(int, args.get("project") or ()))
    except ValueError:
        raise Invalid("Invalid project parameter. Values must be numbers.")
