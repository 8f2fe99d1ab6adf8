"""
Monitor schedules: reading the C{monitor_config} a check-in carries, and working out when the
next check-in is expected (for crontab and interval schedules, in the monitor's time zone).

Pure functions; the time zone database is the standard library's.
"""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..errors import Invalid

#: Sentry's interval units, with the length of each (a month is 30 days, a year 365).
INTERVAL_UNITS = {
    "minute": 60, "hour": 3600, "day": 86400, "week": 7 * 86400, "month": 30 * 86400,
    "year": 365 * 86400,
}
#: Minutes of grace after the expected time when a monitor sets none (Sentry's default).
DEFAULT_CHECKIN_MARGIN = 1

_NICKNAMES = {
    "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_abbr) if name}
_DAYS = {"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}
# (lowest, highest, names) for minute, hour, day of month, month, day of week.
_FIELDS = ((0, 59, {}), (0, 23, {}), (1, 31, {}), (1, 12, _MONTHS), (0, 7, _DAYS))
_OPTIONAL_INTS = ("checkin_margin", "max_runtime", "failure_issue_threshold", "recovery_threshold")
#: The most any of them (and an interval's value) may be: Sentry's own bound on margins and
#: run times is four weeks of minutes; this is generous beyond it and keeps times finite.
MAX_CONFIG_NUMBER = 1_000_000


def _number(text: str, names: dict[str, int]) -> int:
    lowered = text.lower()
    if lowered in names:
        return names[lowered]
    if not text.isdigit():
        raise ValueError(text)
    return int(text)


def _field(text: str, low: int, high: int, names: dict[str, int]) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        span, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if step < 1:
            raise ValueError(part)
        if span == "*":
            first, last = low, high
        elif "-" in span:
            start, _, end = span.partition("-")
            first, last = _number(start, names), _number(end, names)
        else:
            first = _number(span, names)
            last = high if step_text else first
        if not low <= first <= last <= high:
            raise ValueError(part)
        values.update(range(first, last + 1, step))
    return frozenset(values)


def _not_crontab(expression: str) -> Invalid:
    return Invalid("invalid monitor config", causes=[f"schedule {expression!r} is not a crontab"])


def parse_crontab(expression: str) -> tuple[frozenset[int], ...]:
    """
    The minutes, hours, days of month, months and days of week (Sunday is 0) a crontab names.

    @raise Invalid: it is not a five-field crontab (or an C{@daily}-style nickname).
    """
    text = _NICKNAMES.get(expression.strip().lower(), expression)
    parts = text.split()
    if len(parts) != 5:
        raise _not_crontab(expression)
    try:
        fields = tuple(_field(part, *spec) for part, spec in zip(parts, _FIELDS))
    except ValueError:
        raise _not_crontab(expression)
    minutes, hours, days, months, weekdays = fields
    return minutes, hours, days, months, frozenset(day % 7 for day in weekdays)


def _day_matches(moment: datetime, days: frozenset[int], weekdays: frozenset[int],
                 any_day: bool, any_weekday: bool) -> bool:
    in_month = moment.day in days
    in_week = (moment.weekday() + 1) % 7 in weekdays
    if any_day or any_weekday:
        return in_month and in_week
    return in_month or in_week


def next_crontab(expression: str, after: float, zone: str | None = None) -> float | None:
    """
    The first minute strictly after C{after} (epoch seconds) that the crontab names, read in
    the time zone C{zone} (UTC when C{None}); C{None} if none comes within ten years.
    """
    minutes, hours, days, months, weekdays = parse_crontab(expression)
    fields = _NICKNAMES.get(expression.strip().lower(), expression).split()
    any_day, any_weekday = fields[2] == "*", fields[4] == "*"
    tz = _zone(zone)
    moment = datetime.fromtimestamp(after, tz).replace(second=0, microsecond=0, tzinfo=None)
    moment += timedelta(minutes=1)
    limit = moment + timedelta(days=3660)
    while moment < limit:
        if moment.month not in months:
            following = moment.replace(day=28) + timedelta(days=4)
            moment = datetime(following.year, following.month, 1)
        elif not _day_matches(moment, days, weekdays, any_day, any_weekday):
            moment = datetime(moment.year, moment.month, moment.day) + timedelta(days=1)
        elif moment.hour not in hours:
            moment = moment.replace(minute=0) + timedelta(hours=1)
        elif moment.minute not in minutes:
            moment += timedelta(minutes=1)
        else:
            return moment.replace(tzinfo=tz).timestamp()
    return None


def _zone(name: str | None) -> Any:
    if not name:
        return timezone.utc
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return timezone.utc


def next_expected(config: dict[str, Any], last: float) -> tuple[float | None, float | None]:
    """
    When the check-in after one received at C{last} is expected, and the latest it may come
    (the expected time plus the check-in margin); C{(None, None)} for a monitor without a schedule.
    """
    schedule, kind = config.get("schedule"), config.get("schedule_type")
    expected = None
    if kind == "interval" and isinstance(schedule, list):
        value, unit = schedule
        expected = (last - last % 60) + value * INTERVAL_UNITS[unit]
    elif kind == "crontab" and isinstance(schedule, str):
        expected = next_crontab(schedule, last, config.get("timezone"))
    if expected is None:
        return None, None
    margin = config.get("checkin_margin") or DEFAULT_CHECKIN_MARGIN
    return expected, expected + margin * 60


def empty_config() -> dict[str, Any]:
    """
    The configuration of a monitor that was created by a check-in without a C{monitor_config}.
    """
    return {"schedule_type": None, "schedule": None, "checkin_margin": None, "max_runtime": None,
            "timezone": None, "failure_issue_threshold": None, "recovery_threshold": None,
            "alert_rule_id": None}


def read_monitor_config(value: Any) -> dict[str, Any]:
    """
    A check-in's C{monitor_config} as Sentry stores and shows a monitor's C{config}.

    Takes the SDK form (C{"schedule": {"type": "crontab", "value": "0 * * * *"}} or
    C{{"type": "interval", "value": 5, "unit": "day"}}) and the REST form (C{schedule_type} with
    a crontab string or a C{[value, unit]} pair).

    @raise Invalid: the configuration is malformed.
    """
    def bad(cause: str) -> Invalid:
        return Invalid("invalid monitor config", causes=[cause])

    if not isinstance(value, dict):
        raise bad("monitor_config must be an object")
    schedule, kind = value.get("schedule"), value.get("schedule_type")
    if isinstance(schedule, dict):
        kind = schedule.get("type")
        schedule = ([schedule.get("value"), schedule.get("unit")] if kind == "interval"
                    else schedule.get("value"))
    elif isinstance(schedule, str) and kind is None:
        kind = "crontab"
    config = empty_config()
    if kind == "crontab":
        if not isinstance(schedule, str):
            raise bad("a crontab schedule must be a string")
        parse_crontab(schedule)
    elif kind == "interval":
        if (not isinstance(schedule, (list, tuple)) or len(schedule) != 2
                or not isinstance(schedule[0], int) or isinstance(schedule[0], bool)
                or not 1 <= schedule[0] <= MAX_CONFIG_NUMBER or schedule[1] not in INTERVAL_UNITS):
            raise bad("an interval schedule needs a positive value and a unit")
        schedule = [schedule[0], schedule[1]]
    else:
        raise bad("schedule type must be crontab or interval")
    config.update(schedule_type=kind, schedule=schedule)
    for name in _OPTIONAL_INTS:
        field = value.get(name)
        if field is not None:
            if (not isinstance(field, int) or isinstance(field, bool) or field < 0
                    or field > MAX_CONFIG_NUMBER):
                raise bad(f"{name} must be a whole number of minutes")
            config[name] = field
    zone = value.get("timezone")
    if zone is not None:
        if not isinstance(zone, str):
            raise bad("timezone must be a string")
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise bad(f"unknown timezone {zone!r}")
        config["timezone"] = zone
    return config
