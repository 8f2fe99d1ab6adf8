"""
The filters of the inspection surface's event and item lists, read from a request's query
string into predicates over the store's records.  Pure apart from reading C{request.args}.
"""

from __future__ import annotations

from typing import Any, Callable

from ..errors import Invalid
from ..http import arg
from ..store.models import CapturedItem, Event
from ..store.normalize import normalize_event_id
from ..timefmt import parse_timestamp

Predicate = Callable[[Any], bool]


def _project(request: Any) -> int | None:
    project = arg(request, "project")
    if project in (None, ""):
        return None
    if not project.isdigit():
        raise Invalid("project must be a numeric project id")
    return int(project)


def _since(request: Any) -> float | None:
    since = arg(request, "since")
    if since in (None, ""):
        return None
    moment = parse_timestamp(since)
    if moment is None:
        raise Invalid("since must be epoch seconds or an ISO 8601 time")
    return moment


def event_filter(request: Any) -> tuple[int | None, Predicate]:
    """
    The project to look in (answered from the index) and a predicate for the other filters:
    C{type}, C{level}, C{release}, C{environment}, C{issue}, C{text} (in the title, message or
    culprit, any case) and C{since} (received at or after; epoch seconds or ISO 8601).
    """
    project = _project(request)
    kind, level = arg(request, "type"), arg(request, "level")
    release, environment = arg(request, "release"), arg(request, "environment")
    issue, text, since = arg(request, "issue"), arg(request, "text"), _since(request)
    if issue is not None and not issue.isdigit():
        raise Invalid("issue must be a numeric issue id")
    needle = text.lower() if text else None

    def matches(event: Event) -> bool:
        if not isinstance(event, Event):
            return False
        if project is not None and event.project_id != project:
            return False
        if kind and event.type != kind:
            return False
        if level and event.level != level:
            return False
        if release and event.release != release:
            return False
        if environment and event.environment != environment:
            return False
        if issue and event.issue_id != int(issue):
            return False
        if since is not None and event.received < since:
            return False
        if needle and not (needle in event.title.lower() or needle in event.message.lower()
                           or needle in event.culprit.lower()):
            return False
        return True

    return project, matches


def item_filter(request: Any) -> tuple[str | None, Predicate]:
    """
    The item type to look in (answered from the index) and a predicate for C{project},
    C{event_id} and C{since}.
    """
    kind, project, since = arg(request, "type"), _project(request), _since(request)
    event_id = arg(request, "event_id")
    wanted_event = normalize_event_id(event_id) if event_id else None
    if event_id and wanted_event is None:
        raise Invalid("event_id must be 32 hex digits or a UUID")

    def matches(item: CapturedItem) -> bool:
        if not isinstance(item, CapturedItem):
            return False
        if kind and item.type != kind:
            return False
        if project is not None and item.project_id != project:
            return False
        if wanted_event and item.event_id != wanted_event:
            return False
        if since is not None and item.received < since:
            return False
        return True

    return kind, matches


def wait_params(request: Any) -> tuple[float, int]:
    """
    The long-poll: C{wait} seconds (at most 60) until at least C{min} records match (default 1).
    """
    wait, least = arg(request, "wait"), arg(request, "min")
    try:
        seconds = float(wait) if wait else 0.0
        minimum = int(least) if least else 1
    except ValueError:
        raise Invalid("wait must be a number of seconds and min a whole number")
    if not 0 <= seconds <= 60:
        raise Invalid("wait must be between 0 and 60 seconds")
    if minimum < 0:
        raise Invalid("min must not be negative")
    return seconds, minimum
