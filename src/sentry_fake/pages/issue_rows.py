"""
An issue as one row of a list (the issue stream, the home page, and the rows the live feed
sends), and an event as one row of an event list.
"""

from __future__ import annotations

from typing import Any

from twisted.web.template import Tag, tags

from ..management.serializers import issue_stats
from ..store.models import Event, Issue, Project
from . import links
from .format import count, level_badge, short_id, sparkline, status_badge, when


def issue_row(issue: Issue, project: Project, org: str, now: float) -> Tag:
    """
    One issue: level, title and culprit, short id, project and age, its last day of events,
    its counts and when it was last seen.
    """
    hours = [bucket[1] for bucket in issue_stats(issue, "24h", now)]
    meta = [tags.span(short_id(project.slug, issue.short_id), class_="short-id"),
            tags.span(project.slug, class_="project")]
    if issue.status != "unresolved" or issue.substatus in ("new", "regressed", "escalating"):
        meta.append(status_badge(issue.status, issue.substatus))
    if issue.is_unhandled:
        meta.append(tags.span("Unhandled", class_="unhandled"))
    meta.append(tags.span("first seen ", when(issue.first_seen, now), class_="age"))
    return tags.tr(
        tags.td(tags.a(issue.title, href=links.issue_url(org, issue.id), class_="title"),
                tags.div(issue.culprit, class_="culprit") if issue.culprit else "",
                tags.div(*meta, class_="meta"), class_="issue"),
        tags.td(sparkline(hours), class_="graph"),
        tags.td(count(issue.times_seen), class_="num", **{"data-field": "events"}),
        tags.td(count(len(issue.users)), class_="num", **{"data-field": "users"}),
        tags.td(when(issue.last_seen, now), class_="seen"),
        class_=f"row level-{issue.level}", **{"data-issue": str(issue.id)})


ISSUE_HEADINGS = ("Issue", "Last 24 hours", "Events", "Users", "Last seen")


def issue_table(rows: list[Tag], live: bool, empty: str) -> Tag:
    """
    A table of issue rows; C{live}: new and changed issues are put on top as they arrive.
    """
    body = tags.tbody(*rows, **{"data-live-issues": "top" if live else "update"})
    if not rows:
        body(tags.tr(tags.td(empty, colspan=str(len(ISSUE_HEADINGS)), class_="empty"),
                     class_="placeholder"))
    head = tags.thead(tags.tr(*[tags.th(name, class_="num" if name in ("Events", "Users")
                                        else "") for name in ISSUE_HEADINGS]))
    return tags.table(head, body, class_="issues")


def event_row(event: Event, org: str, now: float, project_slug: str | None = None) -> Tag:
    """
    One event: its level and title (linked to the event page), id, and what it came with.
    """
    user = event.user or {}
    who = next((str(user[key]) for key in ("email", "username", "id", "ip_address")
                if user.get(key) not in (None, "")), "")
    return tags.tr(
        tags.td(level_badge(event.level), class_="lvl"),
        tags.td(tags.a(event.title, href=links.event_url(org, event.issue_id, event.event_id),
                       class_="title"),
                tags.div(tags.code(event.event_id[:8]),
                         *([tags.span(project_slug, class_="project")] if project_slug else []),
                         *([tags.span(event.release, class_="release")] if event.release else []),
                         *([tags.span(event.environment, class_="env")]
                           if event.environment else []),
                         class_="meta")),
        tags.td(who, class_="user"),
        tags.td(when(event.received, now), class_="seen"),
        class_="row", **{"data-event": event.event_id})


def event_table(rows: list[Tag], live: bool, empty: str) -> Tag:
    body = tags.tbody(*rows, **{"data-live-events": "top" if live else "update"})
    if not rows:
        body(tags.tr(tags.td(empty, colspan="4", class_="empty"), class_="placeholder"))
    return tags.table(tags.thead(tags.tr(tags.th(""), tags.th("Event"), tags.th("User"),
                                         tags.th("Received"))), body, class_="events")


def pager(previous: str | None, following: str | None, shown: Any) -> Tag:
    return tags.nav(
        tags.a("‹ Previous", href=previous, class_="button") if previous
        else tags.span("‹ Previous", class_="button disabled"),
        tags.span(shown, class_="shown"),
        tags.a("Next ›", href=following, class_="button") if following
        else tags.span("Next ›", class_="button disabled"),
        class_="pager", **{"aria-label": "Pages"})
