"""
Small pieces every page shows the same way: times (relative, with the exact time on hover),
counts, levels, statuses and short ids.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Sequence

from twisted.web.template import Tag, tags

from ..management.serializers import base32
from ..timefmt import isoformat

LEVELS = ("fatal", "error", "warning", "info", "debug")
_UNITS = ((86400 * 365, "yr"), (86400 * 30, "mo"), (86400 * 7, "wk"), (86400, "day"),
          (3600, "hr"), (60, "min"))


def ago(moment: float, now: float) -> str:
    """
    How long ago a moment was (or how far ahead), as Sentry says it (C{5 min ago}, C{2 days
    ago}, C{in 3 hrs}).
    """
    seconds = abs(now - moment)
    ahead = moment > now
    if seconds < 45:
        return "just now"
    amount, unit = 1, "min"
    for size, name in _UNITS:
        if seconds >= size:
            amount, unit = int(seconds // size), name
            break
    text = f"{amount} {unit}{'s' if amount != 1 and unit not in ('min', 'mo') else ''}"
    return f"in {text}" if ahead else f"{text} ago"


def exact(moment: float) -> str:
    """
    A moment as a person reads it, in UTC (C{2026-11-22 14:03:07 UTC}).
    """
    return datetime.fromtimestamp(moment, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def when(moment: float | None, now: float) -> Tag | str:
    """
    A C{<time>}: relative text (the script keeps it current), the exact time on hover.
    """
    if moment is None:
        return "—"
    return tags.time(ago(moment, now), datetime=isoformat(moment) or "", title=exact(moment),
                     **{"data-ago": ""})


def count(number: int) -> Tag:
    """
    A count as Sentry abbreviates it (C{12}, C{1.2k}, C{3.4m}), the whole number on hover.
    """
    if number < 1000:
        text = str(number)
    elif number < 1_000_000:
        text = f"{number / 1000:.1f}".rstrip("0").rstrip(".") + "k"
    else:
        text = f"{number / 1_000_000:.1f}".rstrip("0").rstrip(".") + "m"
    return tags.span(text, title=f"{number:,}", class_="count")


def level_badge(level: str) -> Tag:
    name = level if level in LEVELS else "other"
    return tags.span(level, class_=f"level level-{name}")


def status_badge(status: str, substatus: str | None = None) -> Tag:
    label = {"unresolved": "Unresolved", "resolved": "Resolved",
             "ignored": "Archived"}.get(status, status)
    if status == "unresolved" and substatus in ("new", "regressed", "escalating"):
        label = substatus.capitalize()
    return tags.span(label, class_=f"status status-{status}")


#: The CSS level each log severity is shown with.
_SEVERITY_LEVELS = {"fatal": "fatal", "error": "error", "warn": "warning",
                    "warning": "warning", "info": "info", "debug": "debug", "trace": "debug"}


def severity_badge(severity: str) -> Tag:
    return tags.span(severity, class_=f"level level-{_SEVERITY_LEVELS.get(severity, 'other')}")


def duration(milliseconds: float) -> str:
    """
    A duration as a person reads it: C{0.42ms}, C{12.30ms}, C{1.24s}, C{2.5min}.
    """
    if milliseconds < 1000:
        return f"{milliseconds:.2f}ms"
    if milliseconds < 60_000:
        return f"{milliseconds / 1000:.2f}s"
    return f"{milliseconds / 60_000:.1f}min"


def short_id(project_slug: str, counter: int) -> str:
    return f"{project_slug.upper()}-{base32(counter)}"


def sparkline(counts: list[int], width: int = 72, height: int = 20) -> Tag:
    """
    Events per bucket as one SVG path of bars (one element however many buckets).
    """
    top = max(counts) if counts else 0
    step = width / max(1, len(counts))
    bar = max(1.0, step - 1)
    parts = []
    for index, value in enumerate(counts):
        if not value:
            continue
        tall = max(1.0, height * value / top)
        parts.append(f"M{index * step:.1f} {height}h{bar:.1f}v-{tall:.1f}h-{bar:.1f}z")
    # SVG's tags are not among the HTML tags of twisted.web.template's C{tags}.
    return Tag("svg")(Tag("path")(d="".join(parts) or f"M0 {height}h0"),
                      viewBox=f"0 0 {width} {height}", width=str(width), height=str(height),
                      class_="spark", role="img",
                      **{"aria-label": f"{sum(counts)} events in the last {len(counts)} hours"})


def select_field(name: str, label: str, choices: Sequence[tuple[str, str]], chosen: str) -> Tag:
    """
    A labelled drop-down of C{choices} (value, text), C{chosen} selected.
    """
    options = [tags.option(text, value=value, **({"selected": "selected"}
                                                   if value == chosen else {}))
               for value, text in choices]
    return tags.label(tags.span(label, class_="label"),
                      tags.select(*options, name=name), class_="field")
