"""
Releases (C{/organizations/{org}/releases/}) and one release: its projects with their new
issues and health, its commits, deploys and files.
"""

from __future__ import annotations

from typing import Any, Sequence

from twisted.web.template import Tag, tags

from ..store.release_models import Commit, Deploy, Release, Repository
from . import links
from .format import count, when


def releases_content(org: str, releases: Sequence[tuple[Release, Sequence[Any]]], now: float,
                     query: str, status: str) -> Tag:
    rows = [tags.tr(
        tags.td(tags.a(release.version, href=links.release_url(org, release.version),
                       class_="title"),
                tags.div(*[tags.span(project.slug, class_="project") for project in projects],
                         class_="meta")),
        tags.td(count(release.total_new_groups), class_="num"),
        tags.td(count(len(release.commit_ids)), class_="num"),
        tags.td(count(release.deploy_count), class_="num"),
        tags.td(when(release.first_event, now), class_="seen"),
        tags.td(when(release.last_event, now), class_="seen"),
        tags.td(when(release.date_released or release.date_created, now), class_="seen"),
        class_="row") for release, projects in releases]
    if not rows:
        rows = [tags.tr(tags.td("No releases: an event that names its release, or "
                                "sentry-cli releases new, makes one.", colspan="7",
                                class_="empty"))]
    form = tags.form(
        tags.label(tags.span("Search", class_="label"),
                   tags.input(type="search", name="query", value=query,
                              placeholder="part of a version", **{"data-search": ""}),
                   class_="field search"),
        tags.label(tags.span("Status", class_="label"), tags.select(
            *[tags.option(label, value=value, **({"selected": "selected"}
                                                 if value == status else {}))
              for value, label in (("open", "Active"), ("archived", "Archived"),
                                   ("", "All"))], name="status"), class_="field"),
        tags.button("Search", type="submit", class_="button primary"),
        method="get", action=links.releases_url(org), class_="filters")
    return tags.div(
        tags.div(tags.h1("Releases"), class_="page-head"), form,
        tags.div(tags.table(tags.thead(tags.tr(
            tags.th("Release"), tags.th("New issues", class_="num"),
            tags.th("Commits", class_="num"), tags.th("Deploys", class_="num"),
            tags.th("First event"), tags.th("Last event"), tags.th("Released"))),
            tags.tbody(*rows), class_="releases"), class_="panel flush"),
        class_="releases-page")


def _health(projects: Sequence[Any], release: Release) -> Tag:
    rows = []
    for project in projects:
        counts = release.health.get(project.id)
        health = counts.describe() if counts is not None else None
        if health is None or not health["hasHealthData"]:
            cells = [tags.td("no sessions", colspan="4", class_="muted")]
        else:
            def share(value: Any) -> str:
                return f"{value:.2f}%" if value is not None else "—"

            cells = [tags.td(count(health["totalSessions"]), class_="num"),
                     tags.td(count(health["totalUsers"]), class_="num"),
                     tags.td(share(health["crashFreeSessions"]), class_="num"),
                     tags.td(share(health["crashFreeUsers"]), class_="num")]
        rows.append(tags.tr(tags.td(project.slug),
                            tags.td(count(release.new_groups.get(project.id, 0)), class_="num"),
                            *cells))
    return tags.table(tags.thead(tags.tr(
        tags.th("Project"), tags.th("New issues", class_="num"), tags.th("Sessions", class_="num"),
        tags.th("Users", class_="num"), tags.th("Crash free sessions", class_="num"),
        tags.th("Crash free users", class_="num"))), tags.tbody(*rows), class_="health")


def _commits(commits: Sequence[tuple[Commit, Repository | None]], now: float) -> Tag:
    if not commits:
        return tags.p("No commits (sentry-cli releases set-commits adds them).", class_="muted")
    return tags.table(tags.tbody(*[tags.tr(
        tags.td(tags.code(commit.key[:12], title=commit.key)),
        tags.td(commit.message or "", tags.div(repo.name if repo else "", class_="meta")),
        tags.td(commit.author_name or commit.author_email or "", class_="user"),
        tags.td(when(commit.date_created, now), class_="seen"))
        for commit, repo in commits]), class_="commits")


def _deploys(deploys: Sequence[Deploy], now: float) -> Tag:
    if not deploys:
        return tags.p("No deploys.", class_="muted")
    return tags.table(tags.tbody(*[tags.tr(
        tags.td(tags.span(deploy.environment, class_="env")),
        tags.td(deploy.name or ""),
        tags.td(tags.a(deploy.url, href=deploy.url) if deploy.url and deploy.url.startswith(
            ("http://", "https://")) else (deploy.url or "")),
        tags.td(when(deploy.date_finished, now), class_="seen")) for deploy in deploys]),
        class_="deploys")


def _files(files: Sequence[tuple[str, str | None, int]]) -> Tag:
    if not files:
        return tags.p("No files (sentry-cli sourcemaps upload adds them).", class_="muted")
    return tags.table(tags.tbody(*[tags.tr(tags.td(tags.code(name)), tags.td(dist or ""),
                                           tags.td(f"{size:,} bytes", class_="num"))
                                   for name, dist, size in files]), class_="files")


def release_content(org: str, release: Release, projects: Sequence[Any],
                    commits: Sequence[tuple[Commit, Repository | None]],
                    deploys: Sequence[Deploy], files: Sequence[tuple[str, str | None, int]],
                    now: float) -> Tag:
    def stat(label: str, value: Any) -> Tag:
        return tags.div(tags.dt(label), tags.dd(value), class_="stat")

    return tags.div(
        tags.header(tags.div(tags.span(release.status, class_=f"status status-{release.status}"),
                             *[tags.a(project.slug, class_="project",
                                      href=links.issues_url(org, [("project", str(project.id))]))
                               for project in projects], class_="meta"),
                    tags.h1(release.version, class_="issue-title"),
                    tags.dl(stat("New issues", count(release.total_new_groups)),
                            stat("Commits", count(len(release.commit_ids))),
                            stat("Deploys", count(release.deploy_count)),
                            stat("Created", when(release.date_created, now)),
                            stat("Released", when(release.date_released, now)),
                            stat("First event", when(release.first_event, now)),
                            stat("Last event", when(release.last_event, now)), class_="stats"),
                    class_="issue-head"),
        tags.section(tags.h2("Projects and health"), _health(projects, release),
                     class_="panel event-section"),
        tags.section(tags.h2(f"Commits ({len(commits)})"), _commits(commits, now),
                     class_="panel event-section", id="commits"),
        tags.section(tags.h2(f"Deploys ({len(deploys)})"), _deploys(deploys, now),
                     class_="panel event-section", id="deploys"),
        tags.section(tags.h2(f"Files ({len(files)})"), _files(files),
                     class_="panel event-section", id="files"),
        class_="release-page")
