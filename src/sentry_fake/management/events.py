"""
Events: a project's events, an issue's events, one event (by id, or an issue's latest, oldest or
recommended one) and the organization-wide event id lookup.

Lists are newest first and come straight from the store's per-project and per-issue indexes;
when a filter applies (time range, environment, query), the index is walked lazily from the
newest end, so no list of all events is ever built.
"""

from __future__ import annotations

import fnmatch
import re
import shlex
from datetime import datetime, timezone
from typing import Any, Callable

from ..errors import Invalid, NotFound
from ..http import arg, arg_list, json_response
from ..interfaces import IDirectory, IEventLog, IIssues
from ..store.models import Event
from ..store.normalize import document, normalize_event_id
from . import event_shapes
from .app import app, authenticated
from .pagination import paginate

_PERIOD = re.compile(r"^(\d+)([smhdw]?)\Z")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_TRUE = frozenset({"1", "true", "yes"})
_EVENT_NOT_FOUND = ("Event not found. The event ID may be incorrect, or it's age exceeded the "
                    "retention period.")
_NO_MATCH = "No matching event found, try changing the environments, date range, or query."
_USER_KEYS = {"user.id": "id", "user.email": "email", "user.username": "username",
              "user.ip": "ip_address", "user.name": "name"}


def _is_true(value: str | None) -> bool:
    return value is not None and value.strip().lower() in _TRUE


#: The longest period a C{statsPeriod} can name: what a timedelta holds.
_LONGEST_PERIOD = 999_999_999 * 86_400


def _parse_date(text: str) -> float:
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise Invalid("Invalid date range")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.timestamp()


def time_window(request: Any, now: float) -> tuple[float | None, float | None]:
    """
    The C{(start, end)} the request asks for, in epoch seconds: C{statsPeriod} (C{24h}, C{14d},
    C{30m}, C{1w}, plain seconds) wins over C{start}/C{end} (ISO 8601, UTC when naive).

    @raise Invalid: a value that cannot be read.
    """
    period = arg(request, "statsPeriod")
    if period:
        match = _PERIOD.match(period.strip())
        if not match:
            raise Invalid("Invalid date range")
        seconds = int(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        if seconds > _LONGEST_PERIOD:
            # Longer than any date can be ago (Python's timedelta refuses it, as Sentry's).
            raise Invalid("Invalid date range")
        return now - seconds, None
    start, end = arg(request, "start"), arg(request, "end")
    return (_parse_date(start) if start else None), (_parse_date(end) if end else None)


class EventQuery:
    """
    A search over events: C{key:value} terms (tags, C{event.type}, C{message}, C{title},
    C{user.id}/C{user.email}/...; C{*} wildcards; quotes for spaces; C{!} negates) and free text
    matched against the title, message and culprit.
    """

    def __init__(self, text: str | None) -> None:
        try:
            tokens = shlex.split(text or "")
        except ValueError:
            raise Invalid("Invalid event query")
        self.terms: list[tuple[bool, str | None, str]] = []
        for token in tokens:
            negate = token.startswith("!")
            token = token[1:] if negate else token
            key, sep, value = token.partition(":")
            if sep and key:
                if key.startswith("tags[") and key.endswith("]"):
                    key = key[5:-1]
                self.terms.append((negate, key, value))
            elif token:
                self.terms.append((negate, None, token.lower()))

    def __bool__(self) -> bool:
        return bool(self.terms)

    def matches(self, event: Event) -> bool:
        tags: dict[str, str] | None = None
        for negate, key, value in self.terms:
            if key is None:
                hit = any(value in text.lower() for text in (event.title, event.message,
                                                             event.culprit))
            elif key in ("event.type", "type"):
                hit = fnmatch.fnmatchcase(event.type, value)
            elif key in ("message", "title"):
                needle = value.lower().strip("*")
                hit = needle in event.title.lower() or needle in event.message.lower()
            elif key in _USER_KEYS:
                field = (event.user or {}).get(_USER_KEYS[key])
                hit = field is not None and fnmatch.fnmatchcase(str(field), value)
            else:
                if tags is None:
                    tags = dict((k, v) for k, v in document(event)["tags"])
                found = tags.get(key)
                hit = found is not None and fnmatch.fnmatchcase(found, value)
            if hit == negate:
                return False
        return True


def _event_filter(request: Any, now: float, errors_only: bool) -> Callable[[Event], bool] | None:
    """
    What the request's C{statsPeriod}/C{start}/C{end}, C{environment} and C{query} keep, or
    C{None} when they keep everything.
    """
    start, end = time_window(request, now)
    environments = set(arg_list(request, "environment"))
    query = EventQuery(arg(request, "query"))
    if start is None and end is None and not environments and not query and not errors_only:
        return None

    def keep(event: Event) -> bool:
        return ((not errors_only or event.type != "transaction")
                and (start is None or event.timestamp >= start)
                and (end is None or event.timestamp <= end)
                and (not environments or event.environment in environments)
                and (not query or query.matches(event)))

    return keep


def newest_pages(store: Any, keep: Callable[[Event], bool] | None, **which: int):
    """
    A C{paginate} page function over a project's or an issue's events (C{which}: its
    C{project_id} or C{issue_id}), the latest first by their own times (as Sentry lists them).
    """

    def page(offset: int, count: int) -> tuple[list[Event], bool]:
        found = store.latest_events(offset + count + 1, keep=keep, **which)[offset:]
        return found[:count], len(found) > count

    return page


class EventRoutes:
    """
    The event routes of the management surface.
    """
    #: The roles of the store these routes use (checked by tests/test_interfaces.py).
    roles = (IDirectory, IEventLog, IIssues)


    def _event_body(self, event: Event) -> dict[str, Any]:
        previous, following = self.store.adjacent_events(event)
        return event_shapes.full_event(
            event, document(event),
            next_id=following.event_id if following else None,
            previous_id=previous.event_id if previous else None)

    def _event_list(self, request: Any, errors_only: bool, **which: int) -> bytes:
        keep = _event_filter(request, self.store.now(), errors_only)
        page = paginate(request, newest_pages(self.store, keep, **which))
        if _is_true(arg(request, "full")):
            body = [event_shapes.full_event(event, document(event)) for event in page]
        else:
            body = [event_shapes.list_entry(event, document(event)) for event in page]
        return json_response(request, body)

    def _issue_event(self, request: Any, org: str | None, issue_id: str, event_id: str) -> bytes:
        issue, _ = self._issue_in(org, issue_id)
        if event_id in ("latest", "recommended"):
            event = self.store.latest_event(issue.id,
                                            _event_filter(request, self.store.now(), False))
        elif event_id == "oldest":
            event = self.store.oldest_event(issue.id,
                                            _event_filter(request, self.store.now(), False))
        else:
            try:
                event = self.store.event(event_id)
            except NotFound:
                event = None
            if event is not None and event.issue_id != issue.id:
                event = None
            if event is None:
                raise NotFound(_EVENT_NOT_FOUND)
        if event is None:
            raise NotFound(_NO_MATCH)
        return json_response(request, self._event_body(event))

    @app.route("/api/0/projects/<org>/<project>/events/", methods=["GET"])
    @authenticated
    def list_project_events(self, request: Any, org: str, project: str) -> bytes:
        found = self.store.directory.project(self.store.directory.organization(org), project)
        # Sentry lists a project's error and default events here; transactions live elsewhere.
        return self._event_list(request, errors_only=True, project_id=found.id)

    @app.route("/api/0/projects/<org>/<project>/events/<event_id>/", methods=["GET"])
    @authenticated
    def project_event(self, request: Any, org: str, project: str, event_id: str) -> bytes:
        found = self.store.directory.project(self.store.directory.organization(org), project)
        try:
            event = self.store.event(event_id)
        except NotFound:
            raise NotFound("Event not found")
        if event.project_id != found.id:
            raise NotFound("Event not found")
        return json_response(request, self._event_body(event))

    # Attachments

    def _attachments(self, org: str, project: str, event_id: str) -> list[Any]:
        found = self.store.directory.project(self.store.directory.organization(org), project)
        normalized = normalize_event_id(event_id)
        if normalized is None:
            raise NotFound()
        return [item for item in self.store.items_of_event(normalized)
                if item.type == "attachment" and item.project_id == found.id]

    @app.route("/api/0/projects/<org>/<project>/events/<event_id>/attachments/", methods=["GET"])
    @authenticated
    def event_attachments(self, request: Any, org: str, project: str, event_id: str) -> bytes:
        attachments = self._attachments(org, project, event_id)
        return json_response(request, [event_shapes.attachment(item)
                                       for item in paginate(request, attachments)])

    @app.route("/api/0/projects/<org>/<project>/events/<event_id>/attachments/<attachment_id>/",
               methods=["GET"])
    @authenticated
    def event_attachment(self, request: Any, org: str, project: str, event_id: str,
                         attachment_id: str) -> bytes:
        for item in self._attachments(org, project, event_id):
            if str(item.id) == attachment_id:
                break
        else:
            raise NotFound()
        if arg(request, "download") in (None, "", "0", "false"):
            return json_response(request, event_shapes.attachment(item))
        shown = event_shapes.attachment(item)
        name = shown["name"].replace('"', "").replace("\r", "").replace("\n", "")
        request.setHeader(b"content-type", (shown["mimetype"] or "application/octet-stream")
                          .encode("latin-1", "replace"))
        request.setHeader(b"content-disposition",
                          f'attachment; filename="{name}"'.encode("utf-8"))
        return item.payload

    @app.route("/api/0/organizations/<org>/issues/<issue_id>/events/", methods=["GET"])
    @authenticated
    def list_org_issue_events(self, request: Any, org: str, issue_id: str) -> bytes:
        issue, _ = self._issue_in(org, issue_id)
        return self._event_list(request, errors_only=False, issue_id=issue.id)

    @app.route("/api/0/issues/<issue_id>/events/", methods=["GET"])
    @app.route("/api/0/groups/<issue_id>/events/", methods=["GET"])
    @authenticated
    def list_issue_events(self, request: Any, issue_id: str) -> bytes:
        issue, _ = self._issue_in(None, issue_id)
        return self._event_list(request, errors_only=False, issue_id=issue.id)

    @app.route("/api/0/organizations/<org>/issues/<issue_id>/events/<event_id>/", methods=["GET"])
    @authenticated
    def org_issue_event(self, request: Any, org: str, issue_id: str, event_id: str) -> bytes:
        return self._issue_event(request, org, issue_id, event_id)

    @app.route("/api/0/issues/<issue_id>/events/<event_id>/", methods=["GET"])
    @app.route("/api/0/groups/<issue_id>/events/<event_id>/", methods=["GET"])
    @authenticated
    def issue_event(self, request: Any, issue_id: str, event_id: str) -> bytes:
        return self._issue_event(request, None, issue_id, event_id)

    @app.route("/api/0/organizations/<org>/eventids/<event_id>/", methods=["GET"])
    @authenticated
    def resolve_event_id(self, request: Any, org: str, event_id: str) -> bytes:
        organization = self.store.directory.organization(org)
        event = self.store.event(event_id)
        project = self.store.directory.project_by_id(event.project_id)
        if project.organization_id != organization.id:
            raise NotFound()
        return json_response(request, {
            "organizationSlug": organization.slug,
            "projectSlug": project.slug,
            "groupId": str(event.issue_id) if event.issue_id is not None else None,
            "eventId": event.event_id,
            "event": self._event_body(event),
        })
