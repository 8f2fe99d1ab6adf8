"""
The entry point (C{/} in a browser): how to point a client here (the DSN, the environment to
copy, the API URL, Spotlight's URL), what is stored, the projects, and the latest issues,
events and traces.
"""

from __future__ import annotations

from typing import Any, Sequence

from twisted.web.template import Tag, tags

from . import links
from .format import count


def environment_block(meta: dict[str, Any]) -> str:
    """
    The lines a person copies into a test environment.
    """
    base = meta["api_url"].rsplit("/api/0/", 1)[0]
    return "\n".join([
        f"SENTRY_DSN={meta['dsn']}",
        "SENTRY_AUTH_TOKEN=sntrys_parlel",
        f"SENTRY_API_URL={base}",
        f"SENTRY_URL={base}/",
        f"SENTRY_ORG={meta['organization']}",
        f"SENTRY_PROJECT={meta['project']}",
        f"SENTRY_SPOTLIGHT={base}/stream",
    ])


def setup_panel(meta: dict[str, Any]) -> Tag:
    return tags.section(
        tags.h2("Point a client here"),
        tags.dl(
            tags.div(tags.dt("DSN"), tags.dd(tags.code(meta["dsn"], id="dsn"),
                                             tags.button("Copy", type="button", class_="copy",
                                                         **{"data-copy": "dsn"})),
                     class_="setting"),
            tags.div(tags.dt("REST API"), tags.dd(tags.code(meta["api_url"])), class_="setting"),
            tags.div(tags.dt("Spotlight"), tags.dd(tags.code(meta["spotlight_url"]),
                                                   tags.span(" (an SDK's ", tags.code("spotlight"),
                                                             " option)", class_="muted")),
                     class_="setting"),
            class_="settings"),
        tags.div(tags.pre(environment_block(meta), id="env", class_="env"),
                 tags.button("Copy", type="button", class_="copy", **{"data-copy": "env"}),
                 class_="env-block"),
        tags.p("Any Bearer token opens the API unless the server was started with ",
               tags.code("--auth-token"), ".", class_="muted"),
        class_="panel setup")


def counts_panel(meta: dict[str, Any]) -> Tag:
    def box(name: str, label: str) -> Tag:
        return tags.div(tags.span(count(meta[name]), **{"data-count": name}),
                        tags.span(label, class_="label"), class_="count-box")

    return tags.section(box("events", "events"), box("issues", "issues"),
                        box("items", "envelope items"), box("evicted", "evicted"),
                        class_="counts")


def projects_table(org: str, projects: Sequence[tuple[Any, int]]) -> Tag:
    rows = [tags.tr(tags.td(tags.a(project.slug,
                                   href=links.issues_url(org, [("project", str(project.id))]))),
                    tags.td(project.name), tags.td(str(project.id)),
                    tags.td(project.platform or "—"), tags.td(count(events), class_="num"))
            for project, events in projects]
    return tags.table(tags.thead(tags.tr(tags.th("Project"), tags.th("Name"), tags.th("Id"),
                                         tags.th("Platform"), tags.th("Events", class_="num"))),
                      tags.tbody(*rows), class_="projects")


def home_content(meta: dict[str, Any], org: str, projects: Sequence[tuple[Any, int]],
                 issues: Tag, events: Tag, traces: Tag) -> Tag:
    return tags.div(
        tags.div(tags.h1("sentry-fake"), tags.span("a local Sentry: issues, events, releases "
                                                   "and crons, live", class_="muted"),
                 class_="page-head"),
        tags.div(setup_panel(meta), counts_panel(meta), class_="home-top"),
        tags.section(tags.div(tags.h2("Latest issues"),
                              tags.a("All issues ›", href=links.issues_url(org)),
                              class_="section-head"),
                     tags.div(issues, class_="panel flush")),
        tags.section(tags.h2("Latest events"), tags.div(events, class_="panel flush")),
        tags.section(tags.div(tags.h2("Latest traces"),
                              tags.a("All traces ›", href=links.traces_url(org)),
                              class_="section-head"),
                     tags.div(traces, class_="panel flush")),
        tags.section(tags.h2("Projects"), tags.div(projects_table(org, projects),
                                                   class_="panel flush")),
        class_="home")
