"""
One issue (C{/organizations/{org}/issues/{id}/}, its events and one of them): the header with
its title, culprit, level, status, counts and users; the sidebar with its last day and its
tags' top values; and the event, with the way to its neighbours and to every event.
"""

from __future__ import annotations

from typing import Any, Sequence

import attrs
from twisted.web.template import Tag, tags

from ..management.serializers import issue_stats
from ..store.models import Issue, Project
from ..store.tag_summary import IssueTags
from . import links
from .event_view import event_sections, section_links
from .format import count, level_badge, short_id, sparkline, status_badge, when

#: How many values of each tag the sidebar shows.
TOP_VALUES = 5


@attrs.frozen
class EventChoice:
    """
    The event an issue page shows, with its place among the issue's events.
    """

    shape: dict[str, Any]
    received: float
    attachments: Sequence[dict[str, Any]]
    previous_id: str | None
    next_id: str | None
    oldest_id: str | None
    latest_id: str | None
    #: The trace it happened in, when any of that trace's spans is stored.
    trace_id: str | None = None


def _stat(label: str, value: Any, field: str | None = None) -> Tag:
    return tags.div(tags.dt(label), tags.dd(value, **({"data-field": field} if field else {})),
                    class_="stat")


def issue_header(issue: Issue, project: Project, org: str, now: float, active: str,
                 stored_events: int) -> Tag:
    """
    The top of every page of an issue, with its tabs (C{details} or C{events}).
    """
    first_release, last_release = issue.first_release, issue.last_release
    stats = [
        _stat("Events", count(issue.times_seen), "events"),
        _stat("Users", count(len(issue.users)), "users"),
        _stat("First seen", when(issue.first_seen, now)),
        _stat("Last seen", when(issue.last_seen, now), "last-seen"),
    ]
    if first_release:
        stats.append(_stat("First release", tags.a(first_release,
                                                   href=links.release_url(org, first_release))))
    if last_release and last_release != first_release:
        stats.append(_stat("Last release", tags.a(last_release,
                                                  href=links.release_url(org, last_release))))
    tabs = [("details", "Details", links.issue_url(org, issue.id)),
            ("events", f"All Events ({stored_events})", links.issue_events_url(org, issue.id))]
    return tags.header(
        tags.div(level_badge(issue.level), status_badge(issue.status, issue.substatus),
                 tags.span(short_id(project.slug, issue.short_id), class_="short-id"),
                 tags.a(project.slug, href=links.issues_url(org, [("project", str(project.id))]),
                        class_="project"),
                 tags.span("Unhandled", class_="unhandled") if issue.is_unhandled else "",
                 class_="meta"),
        tags.h1(issue.title, class_="issue-title"),
        tags.p(issue.culprit, class_="culprit") if issue.culprit else "",
        tags.dl(*stats, class_="stats"),
        tags.nav(*[tags.a(label, href=url, class_="tab" + (" active" if key == active else ""))
                   for key, label, url in tabs], class_="tabs"),
        class_=f"issue-head level-{issue.level}")


def tags_panel(issue_tags: IssueTags, org: str, pending_url: str | None) -> Tag:
    """
    Each tag key with its most common values and their share; while an issue's tags are
    still being counted, the panel says over how many events and names the URL that
    answers the exact panel once they are.
    """
    groups = []
    for key in sorted(issue_tags.counts):
        total = issue_tags.total(key)
        values = []
        for value, number in issue_tags.top(key, TOP_VALUES):
            share = 100.0 * number / total if total else 0.0
            query = f'{key}:"{value}"'
            values.append(tags.li(
                tags.a(tags.span(value, class_="tag-value"),
                       tags.span(f"{share:.0f}%", class_="share", title=f"{number} of {total}"),
                       href=links.issues_url(org, [("query", query), ("status", "all")])),
                tags.span(tags.span("", class_="bar-fill", style=f"width:{share:.1f}%"),
                          class_="bar")))
        groups.append(tags.div(tags.h4(key, tags.span(str(len(issue_tags.counts[key])),
                                                      class_="muted", title="distinct values")),
                               tags.ul(*values), class_="tag-group"))
    attributes: dict[str, str] = {"class": "panel side-tags", "id": "issue-tags"}
    note: Any = ""
    if not issue_tags.complete:
        note = tags.p(f"Counted over the latest {issue_tags.events} events; counting the "
                      "rest…", class_="muted pending")
        if pending_url:
            attributes["data-fragment"] = pending_url
    body: Any = groups or tags.p("No tags.", class_="muted")
    return tags.section(tags.h3("Tags"), note, body, **attributes)


def _side(issue: Issue, org: str, now: float, issue_tags: IssueTags,
          pending_url: str | None) -> Tag:
    hours = [bucket[1] for bucket in issue_stats(issue, "24h", now)]
    environments = sorted(issue.environments)
    return tags.aside(
        tags.section(tags.h3("Last 24 hours"), sparkline(hours, width=260, height=48),
                     class_="panel"),
        tags.section(tags.h3("Environments"),
                     tags.p(", ".join(environments) if environments else "none",
                            class_="muted" if not environments else ""), class_="panel"),
        tags_panel(issue_tags, org, pending_url),
        class_="issue-side")


def _event_nav(org: str, issue: Issue, choice: EventChoice, now: float) -> Tag:
    shape = choice.shape

    def go(label: str, event_id: str | None, rel: str) -> Tag:
        if event_id is None or event_id == shape["eventID"]:
            return tags.span(label, class_="button disabled")
        return tags.a(label, href=links.event_url(org, issue.id, event_id), class_="button",
                      rel=rel)

    return tags.div(
        tags.div(tags.span("Event ", class_="muted"),
                 tags.a(tags.code(shape["eventID"]),
                        href=links.event_url(org, issue.id, shape["eventID"])),
                 tags.span(" received ", class_="muted"), when(choice.received, now),
                 *([tags.span(" in trace ", class_="muted"),
                    tags.a(tags.code(choice.trace_id[:8]), title=choice.trace_id,
                           href=links.trace_url(org, choice.trace_id), class_="trace-link")]
                   if choice.trace_id else []),
                 class_="event-id"),
        tags.div(go("Oldest", choice.oldest_id, "first"), go("‹ Older", choice.previous_id, "prev"),
                 go("Newer ›", choice.next_id, "next"), go("Latest", choice.latest_id, "last"),
                 class_="buttons"),
        class_="event-nav")


def issue_content(issue: Issue, project: Project, org: str, now: float,
                  choice: EventChoice | None, issue_tags: IssueTags, stored_events: int,
                  pending_url: str | None) -> Tag:
    """
    An issue's details page (or one of its events): header, event, sidebar.
    """
    main: list[Any] = []
    if choice is None:
        main.append(tags.div("None of this issue's events is stored any more.",
                             class_="panel empty"))
    else:
        sections = event_sections(choice.shape, org, choice.attachments)
        main += [tags.div("New events arrived: ", tags.a(
                    "see the latest", href=links.event_url(org, issue.id, "latest")),
                    class_="alert notice", hidden="hidden", **{"data-notice": ""}),
                 _event_nav(org, issue, choice, now), section_links(sections), *sections]
    return tags.div(issue_header(issue, project, org, now, "details", stored_events),
                    tags.div(tags.div(*main, class_="issue-main"),
                             _side(issue, org, now, issue_tags, pending_url),
                             class_="issue-body"),
                    class_="issue-page")


def events_content(issue: Issue, project: Project, org: str, now: float, table: Tag,
                   pager: Tag, stored_events: int) -> Tag:
    """
    An issue's events tab: every stored event, newest first.
    """
    return tags.div(issue_header(issue, project, org, now, "events", stored_events),
                    tags.div(table, class_="panel flush"), pager, class_="issue-page")
