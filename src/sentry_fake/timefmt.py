"""
Time in the shapes Sentry uses: RFC 3339 with an offset on the REST API, epoch seconds inside events.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timezone

from .jsoncodec import finite_number

_ISO_START = re.compile(r"\s*\d{4}-")
_UTC_SECOND = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", re.ASCII)
#: Epoch seconds of the UTC seconds read lately, by their text (C{2026-11-22T10:00:00}): the
#: timestamps an SDK sends at one moment (an event's and its breadcrumbs') share their second,
#: and a lookup costs less than reading it again.
_SECONDS: dict[str, int] = {}
#: How many it keeps (it starts over when full: timestamps come in the order of time).
_SECONDS_KEPT = 4096


def isoformat(ts: float | None) -> str | None:
    """
    Format epoch seconds as C{2024-01-01T00:00:00.000000Z}, as Sentry's serializers do.
    """
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def utc_second(text: str) -> int | None:
    """
    Epoch seconds of C{YYYY-MM-DDTHH:MM:SS} (ASCII digits, UTC) that is a real time from 1970
    to the end of 9999.

    @return: C{None} for anything else.
    """
    second = _SECONDS.get(text)
    if second is not None:
        return second
    if _UTC_SECOND.fullmatch(text) is None:
        return None
    try:
        moment = datetime(int(text[0:4]), int(text[5:7]), int(text[8:10]), int(text[11:13]),
                          int(text[14:16]), int(text[17:19]), tzinfo=timezone.utc)
    except ValueError:
        return None
    second = int(moment.timestamp())
    if not 0 <= second <= LATEST:
        return None
    if len(_SECONDS) >= _SECONDS_KEPT:
        _SECONDS.clear()
    _SECONDS[text] = second
    return second


def parse_timestamp(value: object) -> float | None:
    """
    Read a timestamp as SDKs send it: epoch seconds (number or numeric string) or RFC 3339.

    @return: epoch seconds, or C{None} when the value cannot be read.
    """
    if type(value) is str and value[4:5] == "-" and value[-1:] == "Z":
        # What SDKs send (2026-11-22T10:00:00.123456Z), read at once where Python can (what
        # it reads begins with a year of four ASCII digits, so that is not tested first).
        try:
            seconds = datetime.fromisoformat(value).timestamp()
        except ValueError:
            pass
        else:
            return seconds if 0 <= seconds <= LATEST else None
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number = finite_number(value)
        return _plausible(number) if number is not None else None
    if not isinstance(value, str) or not value:
        return None
    if not _ISO_START.match(value):
        # Not a date (2026-11-22...): epoch seconds as text, or nothing.
        try:
            return _plausible(float(value))
        except ValueError:
            return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return _plausible(parsed.timestamp())


def parse_times(start: object, end: object) -> tuple[float, float] | None:
    """
    L{parse_timestamp} of a span's start and end at once (a transaction brings many).

    @return: both, or C{None} when either cannot be read.
    """
    if type(start) is str and type(end) is str:
        # What SDKs send (2026-11-22T10:00:00.123456Z), read at once where Python can: a time
        # in UTC that begins with a year of four digits reads as L{parse_timestamp} reads it.
        try:
            began, ended = FROM_ISO(start), FROM_ISO(end)
            read = began.tzinfo is UTC and ended.tzinfo is UTC and start[4] == "-" and \
                end[4] == "-"
        except ValueError:
            read = False  # one of them is read in full below
        if read:
            first, last = began.timestamp(), ended.timestamp()
            if 0 <= first <= LATEST and 0 <= last <= LATEST:
                return first, last
            return None
    elif type(start) is float and type(end) is float:
        # Epoch seconds, as the JavaScript SDKs send them (NaN and infinities compare false).
        if 0 <= start <= LATEST and 0 <= end <= LATEST:
            return start, end
        return None
    first = parse_timestamp(start)
    if first is None:
        return None
    last = parse_timestamp(end)
    return None if last is None else (first, last)


#: What L{parse_times} reads SDKs' times with, for readers of many that inline it.
FROM_ISO = datetime.fromisoformat
UTC = timezone.utc


#: The latest time a datetime can show (the end of the year 9999); times from 1970 to it are read.
LATEST = 253402300799.0


def _plausible(seconds: float) -> float | None:
    """
    Epoch seconds that are a real time (finite, from 1970 to 9999), else C{None}.
    """
    if not math.isfinite(seconds) or not 0 <= seconds <= LATEST:
        return None
    return seconds
