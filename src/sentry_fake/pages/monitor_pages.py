"""
Cron monitors (C{/organizations/{org}/crons/}) and one monitor with its environments and its
check-in history.
"""

from __future__ import annotations

from typing import Any, Sequence

from twisted.web.template import Tag, tags

from ..store.monitors import CheckIn, Monitor
from . import links
from .format import when


def schedule_text(config: dict[str, Any]) -> str:
    schedule = config.get("schedule")
    kind = config.get("schedule_type")
    if isinstance(schedule, list) and len(schedule) == 2:
        amount, unit = schedule
        return f"every {amount} {unit}{'s' if amount != 1 and not str(unit).endswith('s') else ''}"
    if schedule:
        return f"{schedule} ({kind})" if kind and kind != "crontab" else str(schedule)
    return "no schedule"


def _status(status: str) -> Tag:
    return tags.span(status.replace("_", " "), class_=f"check check-{status}")


def monitors_content(org: str, monitors: Sequence[tuple[Monitor, Any]], now: float) -> Tag:
    rows = []
    for monitor, project in monitors:
        environments = sorted(monitor.environments.values(), key=lambda env: env.name)
        rows.append(tags.tr(
            tags.td(tags.a(monitor.name, href=links.monitor_url(org, project.slug, monitor.slug),
                           class_="title"),
                    tags.div(tags.code(monitor.slug), tags.span(project.slug, class_="project"),
                             class_="meta")),
            tags.td(schedule_text(monitor.config)),
            tags.td(*[tags.div(tags.span(env.name, class_="env"), " ", _status(env.status))
                      for env in environments] or ["—"]),
            tags.td(when(max((env.last_checkin for env in environments
                              if env.last_checkin is not None), default=None), now),
                    class_="seen"),
            tags.td(_status(monitor.status)), class_="row"))
    if not rows:
        rows = [tags.tr(tags.td("No monitors: an SDK's check-in, or sentry-cli monitors run, "
                                "makes one.", colspan="5", class_="empty"))]
    return tags.div(
        tags.div(tags.h1("Crons"), class_="page-head"),
        tags.div(tags.table(tags.thead(tags.tr(tags.th("Monitor"), tags.th("Schedule"),
                                               tags.th("Environments"), tags.th("Last check-in"),
                                               tags.th("Status"))),
                            tags.tbody(*rows), class_="monitors"), class_="panel flush"),
        class_="crons-page")


def _timeline(check_ins: Sequence[CheckIn]) -> Tag:
    """
    The latest check-ins as a strip of ticks, oldest on the left.
    """
    return tags.div(*[tags.span("", class_=f"tick check-{check_in.status}",
                                title=f"{check_in.status} · {check_in.environment}")
                      for check_in in reversed(check_ins)], class_="timeline")


def monitor_content(org: str, monitor: Monitor, project: Any, check_ins: Sequence[CheckIn],
                    pager: Tag, now: float) -> Tag:
    config = monitor.config
    settings = [("Schedule", schedule_text(config)),
                ("Check-in margin", f"{config.get('checkin_margin')} min"
                 if config.get("checkin_margin") else "—"),
                ("Max runtime", f"{config.get('max_runtime')} min"
                 if config.get("max_runtime") else "—"),
                ("Timezone", config.get("timezone") or "UTC")]
    environments = [tags.tr(tags.td(tags.span(env.name, class_="env")), tags.td(_status(env.status)),
                            tags.td(when(env.last_checkin, now), class_="seen"),
                            tags.td(when(env.next_checkin, now), class_="seen"))
                    for env in sorted(monitor.environments.values(), key=lambda env: env.name)]
    rows = [tags.tr(tags.td(_status(check_in.status)),
                    tags.td(tags.span(check_in.environment, class_="env")),
                    tags.td(f"{check_in.duration:,} ms" if check_in.duration is not None else "—",
                            class_="num"),
                    tags.td(when(check_in.date_added, now), class_="seen"),
                    tags.td(tags.code(check_in.id[:8], title=check_in.id)), class_="row")
            for check_in in check_ins]
    if not rows:
        rows = [tags.tr(tags.td("No check-ins.", colspan="5", class_="empty"))]
    return tags.div(
        tags.header(tags.div(_status(monitor.status), tags.span(project.slug, class_="project"),
                             tags.code(monitor.slug), class_="meta"),
                    tags.h1(monitor.name, class_="issue-title"),
                    tags.dl(*[tags.div(tags.dt(label), tags.dd(value), class_="stat")
                              for label, value in settings], class_="stats"),
                    class_="issue-head"),
        tags.section(tags.h2("Environments"), tags.table(tags.thead(tags.tr(
            tags.th("Environment"), tags.th("Status"), tags.th("Last check-in"),
            tags.th("Next check-in"))), tags.tbody(*environments), class_="environments"),
            class_="panel event-section"),
        tags.section(tags.h2("Recent check-ins"), _timeline(check_ins[:60]),
                     class_="panel event-section"),
        tags.section(tags.h2("Check-ins"), tags.table(tags.thead(tags.tr(
            tags.th("Status"), tags.th("Environment"), tags.th("Duration", class_="num"),
            tags.th("When"), tags.th("Id"))), tags.tbody(*rows), class_="check-ins"),
            pager, class_="panel event-section"),
        class_="monitor-page")
