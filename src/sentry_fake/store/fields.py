"""
The event's own scalar fields as Relay normalizes them: level, release, environment, dist,
logger, platform and timestamp.  Each reader takes the value as sent and a L{Report}, and
answers the value kept (or C{None} when the value is refused and dropped).

Facts: a level is one of Sentry's five names (C{critical} and C{log} are aliases, nothing else
is: C{warn} and C{WARN} are refused and the level becomes C{error}), or a Python logging number;
a release is trimmed and refused when empty, longer than 200 characters, C{.}, C{..},
C{latest}, or containing a slash, a backslash or a control character; an environment likewise
(64 characters, C{None} refused), and must be a string; a logger is cut at 64 characters; a
platform Sentry does not know becomes C{other}; a timestamp is a number of seconds or an RFC 3339
date (numeric strings are refused), and one more than 60 seconds ahead of its arrival or more
than 30 days behind it is replaced by the arrival time, with a C{future_timestamp} or
C{past_timestamp} error.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timezone
from typing import Any

from ..jsoncodec import finite_number
from ..timefmt import utc_second
from .event_errors import Report, trim

MAX_SECS_IN_FUTURE = 60
MAX_SECS_IN_PAST = 30 * 24 * 3600
#: The last second Relay reads as a timestamp (the end of year 9999).
_MAX_TIMESTAMP = 253402300799
LEVELS = {"debug": "debug", "info": "info", "warning": "warning", "error": "error",
          "fatal": "fatal", "critical": "fatal", "log": "info"}
_LOGGING_LEVELS = {10: "debug", 20: "info", 30: "warning", 40: "error", 50: "fatal"}
_LINE_BREAK = re.compile(r"[\r\n]")
_BAD_NAME = re.compile(r"[/\\\x00-\x1f\x7f]")
_RFC3339 = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(?:\.(\d+))?([Zz]|[+-]\d\d:?\d\d)?", re.ASCII)
VALID_PLATFORMS = frozenset({
    "as3", "c", "cfml", "cocoa", "csharp", "elixir", "go", "groovy", "haskell", "java",
    "javascript", "native", "node", "objc", "other", "perl", "php", "python", "ruby", "dart",
    "nintendo-switch"})
_EXPECTED_STRING = "expected a string"


def relay_string(value: Any) -> str | None:
    """
    A primitive as Relay reads it into a string field: numbers lose their fraction, booleans
    are spelled C{True}/C{False}; objects and arrays are not strings.
    """
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        return str(int(value))
    return None


def level(value: Any, kind: str, report: Report) -> str:
    default = "info" if kind == "transaction" else "error"
    if value is None:
        return default
    if isinstance(value, str):
        found = LEVELS.get(value)
        if found is None:
            report.invalid(("level",), value, "invalid level")
            return default
        return found
    if isinstance(value, int) and not isinstance(value, bool):
        found = _LOGGING_LEVELS.get(value)
        if found is None:
            report.invalid(("level",), value)
            return default
        return found
    report.invalid(("level",), value, "expected a level")
    return default


def _name(key: str, value: Any, limit: int, numbers: bool, report: Report,
          refused: tuple[str, ...]) -> str | None:
    if value is None:
        return None
    text = relay_string(value) if numbers else (value if isinstance(value, str) else None)
    if text is None:
        report.invalid((key,), value, _EXPECTED_STRING)
        return None
    text = text.strip()
    if not text:
        report.invalid((key,), None, "expected a non-empty string")
        return None
    if len(text) > limit or text in refused or _BAD_NAME.search(text):
        # Relay trims the name before it checks it, and shows what it checked.
        report.invalid((key,), text)
        return None
    return text


def release(value: Any, report: Report) -> str | None:
    return _name("release", value, 200, True, report, (".", "..", "latest"))


def environment(value: Any, report: Report) -> str | None:
    return _name("environment", value, 64, False, report, (".", "..", "None", "none"))


def dist(value: Any, report: Report) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        report.invalid(("dist",), value, _EXPECTED_STRING)
        return None
    text = value.strip()
    if not text:
        report.invalid(("dist",), None, "expected a non-empty string")
        return None
    if len(text) > 64:
        report.error(("dist",), "value_too_long", value)
        return None
    return text


def logger(value: Any, report: Report) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        report.invalid(("logger",), value, _EXPECTED_STRING)
        return ""
    bad = _LINE_BREAK.search(value)
    if bad:
        report.invalid(("logger",), value, f"invalid character {bad.group()!r}")
        return ""
    return trim(value, 64, ("logger",), report)


def platform(value: Any, report: Report) -> str:
    if value is not None and not isinstance(value, str):
        report.invalid(("platform",), value, _EXPECTED_STRING)
        return "other"
    if value is None or value in VALID_PLATFORMS:
        return value or "other"
    report.original(("platform",), value)
    return "other"


def plain_string(key: str, value: Any, report: Report) -> str | None:
    """
    A field that must be a string (C{culprit}, C{transaction}): anything else is dropped.
    """
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() if key == "transaction" else value
    report.invalid((key,), value, _EXPECTED_STRING)
    return None


def _parse_date(text: str) -> tuple[float | None, str | None]:
    if text[-1:] == "Z":
        # What SDKs send (2026-11-22T10:00:00.123456Z), its second known from the timestamps
        # read before it: the same sum as below.
        second = utc_second(text[:19])
        if second is not None:
            if len(text) == 20:
                return float(second), None
            fraction = text[20:-1]
            if text[19] == "." and fraction.isdigit() and fraction.isascii():
                return round(second + float("0." + fraction[:9]), 6), None
    match = _RFC3339.fullmatch(text)
    if match is None:
        prefix = re.match(r"\d{4}-\d\d-\d\d", text, re.ASCII)
        return None, "premature end of input" if prefix and len(text) < 20 and " " in text \
            or prefix and len(text) == 10 else "input contains invalid characters"
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second),
                          tzinfo=timezone.utc)
    except ValueError:
        return None, "input is out of range"
    seconds = moment.timestamp() + (float("0." + fraction[:9]) if fraction else 0.0)
    if zone and zone not in "Zz":
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        seconds -= sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60)
    return round(seconds, 6), None


def read_timestamp(value: Any) -> tuple[float | None, str | None]:
    """
    A timestamp as Relay reads it, and why not when it cannot.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None, "expected a timestamp"
    if isinstance(value, str):
        return _parse_date(value)
    seconds = finite_number(value)
    if seconds is None or seconds > _MAX_TIMESTAMP or seconds < -62135596800:
        return None, "timestamp out of range"
    return seconds, None


def _rfc3339(seconds: float) -> str:
    moment = datetime.fromtimestamp(seconds, timezone.utc)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    micros = moment.microsecond
    if micros:
        text += "." + (f"{micros // 1000:03d}" if micros % 1000 == 0 else f"{micros:06d}")
    return text + "+00:00"


def timestamp(value: Any, received: float, report: Report, key: str = "timestamp") -> float:
    """
    When the event happened, as Relay keeps it (see the module's docstring).
    """
    if value is None:
        return received
    seconds, reason = read_timestamp(value)
    if seconds is None:
        # Relay shows a number out of range as a float; one too big for a float as sent.
        shown = value
        if reason == "timestamp out of range" and not isinstance(value, float):
            try:
                shown = float(value)
            except OverflowError:
                pass
        report.invalid((key,), shown, reason)
        return received
    if seconds > received + MAX_SECS_IN_FUTURE:
        kind = "future_timestamp"
    elif seconds < received - MAX_SECS_IN_PAST:
        kind = "past_timestamp"
    else:
        return seconds
    report.error((key,), kind, sdk_time=_rfc3339(seconds), server_time=_rfc3339(received))
    return received
