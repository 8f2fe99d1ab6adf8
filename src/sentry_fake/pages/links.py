"""
The URLs of the pages, as Sentry spells them, so that links the API and clients print (an
issue's C{permalink}, say) open here.  Every path segment taken from data is percent-encoded.
"""

from __future__ import annotations

from typing import Iterable
from urllib.parse import quote, urlencode


def _segment(value: object) -> str:
    return quote(str(value), safe="")


def org_url(org: str) -> str:
    return f"/organizations/{_segment(org)}/"


def issues_url(org: str, params: Iterable[tuple[str, str]] = ()) -> str:
    query = urlencode([(name, value) for name, value in params if value != ""])
    return f"{org_url(org)}issues/" + (f"?{query}" if query else "")


def issue_url(org: str, issue_id: int) -> str:
    return f"{org_url(org)}issues/{issue_id}/"


def issue_events_url(org: str, issue_id: int, offset: int = 0) -> str:
    base = f"{issue_url(org, issue_id)}events/"
    return base + (f"?cursor=0:{offset}:0" if offset else "")


def event_url(org: str, issue_id: int | None, event_id: str) -> str:
    if issue_id is None:
        return f"/__parlel/events/{_segment(event_id)}"
    return f"{issue_url(org, issue_id)}events/{_segment(event_id)}/"


def releases_url(org: str) -> str:
    return f"{org_url(org)}releases/"


def release_url(org: str, version: str) -> str:
    return f"{releases_url(org)}{_segment(version)}/"


def crons_url(org: str) -> str:
    return f"{org_url(org)}crons/"


def monitor_url(org: str, project_slug: str, monitor_slug: str) -> str:
    return f"{crons_url(org)}{_segment(project_slug)}/{_segment(monitor_slug)}/"


def feedback_url(org: str) -> str:
    return f"{org_url(org)}feedback/"


def traces_url(org: str, params: Iterable[tuple[str, str]] = ()) -> str:
    query = urlencode([(name, value) for name, value in params if value != ""])
    return f"{org_url(org)}explore/traces/" + (f"?{query}" if query else "")


def trace_url(org: str, trace_id: str) -> str:
    return f"{traces_url(org)}trace/{_segment(trace_id)}/"


def logs_url(org: str, params: Iterable[tuple[str, str]] = ()) -> str:
    query = urlencode([(name, value) for name, value in params if value != ""])
    return f"{org_url(org)}explore/logs/" + (f"?{query}" if query else "")


def with_cursor(path: str, params: Iterable[tuple[str, str]], offset: int) -> str:
    """
    The same page further on: its query with Sentry's C{cursor=0:OFFSET:0}.
    """
    query = [(name, value) for name, value in params if name != "cursor" and value != ""]
    if offset:
        query.append(("cursor", f"0:{offset}:0"))
    return path + (f"?{urlencode(query)}" if query else "")
