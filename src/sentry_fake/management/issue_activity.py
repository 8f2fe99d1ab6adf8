"""
What happened to an issue and what people said of it: its activity, its notes, the user reports
of its events (and a project's), and the integrations a fake has none of (external issues,
Seer's autofix, replays).
"""

from __future__ import annotations

from typing import Any

from ..errors import Forbidden, Invalid, NotFound
from ..http import base_url, json_response, read_json_body
from ..ingest.batch import IngestBatch
from ..interfaces import IDirectory, IEventLog, IIssues, IWrites
from ..jsoncodec import loads
from ..store.models import CapturedItem, Issue, Organization
from ..store.normalize import normalize_event_id
from ..store.records import NoteAdded, NoteChanged, NoteDeleted
from ..timefmt import isoformat
from . import serializers
from .app import app, authenticated
from .pagination import paginate

#: Where Sentry takes an issue's activity, notes and the rest: under the organization and not.
_ISSUE = ("/api/0/organizations/<org>/issues/<issue_id>", "/api/0/issues/<issue_id>",
          "/api/0/groups/<issue_id>")
#: Why Seer's analysis is refused: a local fake has no AI service behind it.
SEER_UNAVAILABLE = "Seer is not available for this organization: sentry-fake runs no AI service."


def _routes(suffix: str, methods: list[str]):
    def decorate(function):
        for prefix in reversed(_ISSUE):
            function = app.route(prefix + suffix, methods=methods)(function)
        return function
    return decorate


class IssueActivityRoutes:
    #: The roles of the store these routes use (checked by tests/test_interfaces.py).
    roles = (IDirectory, IEventLog, IIssues, IWrites)

    def _activity_body(self, activity: dict[str, Any]) -> dict[str, Any]:
        user = self.store.directory.user(activity["user"]) if activity["user"] else None
        return {"id": str(activity["id"]), "user": serializers.user(user) if user else None,
                "sentry_app": None, "type": activity["type"], "data": activity["data"],
                "dateCreated": isoformat(activity["date"])}

    def activity_of(self, issue: Issue) -> list[dict[str, Any]]:
        """
        An issue's activity as Sentry lists it: newest first, ending with its first event.
        """
        shown = [self._activity_body(activity) for activity in reversed(issue.activity)]
        shown.append({"id": "0", "user": None, "sentry_app": None, "type": "first_seen",
                      "data": {}, "dateCreated": isoformat(issue.first_seen)})
        return shown

    @_routes("/activities/", ["GET"])
    @authenticated
    def issue_activities(self, request: Any, issue_id: str, org: str | None = None) -> bytes:
        issue, _ = self._issue_in(org, issue_id)
        return json_response(request, {"activity": self.activity_of(issue)})

    # Notes

    def _note_text(self, request: Any) -> str:
        body = read_json_body(request, self.store.limits.api_body)
        text = body.get("text") if isinstance(body, dict) else None
        if not isinstance(text, str) or not text.strip():
            raise Invalid(fields={"text": ["This field is required."]})
        return text

    @_routes("/notes/", ["GET"])
    @_routes("/comments/", ["GET"])
    @authenticated
    def issue_notes(self, request: Any, issue_id: str, org: str | None = None) -> bytes:
        issue, _ = self._issue_in(org, issue_id)
        notes = [activity for activity in reversed(issue.activity) if activity["type"] == "note"]
        return json_response(request, [self._activity_body(note)
                                       for note in paginate(request, notes)])

    @_routes("/notes/", ["POST"])
    @_routes("/comments/", ["POST"])
    @authenticated
    def add_issue_note(self, request: Any, issue_id: str, org: str | None = None) -> bytes:
        issue, _ = self._issue_in(org, issue_id)
        note = self.store.add_note(NoteAdded(time=self.store.now(), issue_id=issue.id,
                                             text=self._note_text(request),
                                             user_id=self.store.directory.me.id))
        return json_response(request, self._activity_body(note), 201)

    @_routes("/notes/<note_id>/", ["PUT"])
    @_routes("/comments/<note_id>/", ["PUT"])
    @authenticated
    def change_issue_note(self, request: Any, issue_id: str, note_id: str,
                          org: str | None = None) -> bytes:
        issue, _ = self._issue_in(org, issue_id)
        if not note_id.isdigit():
            raise NotFound()
        note = self.store.change_note(NoteChanged(time=self.store.now(), issue_id=issue.id,
                                                  note_id=int(note_id),
                                                  text=self._note_text(request)))
        return json_response(request, self._activity_body(note))

    @_routes("/notes/<note_id>/", ["DELETE"])
    @_routes("/comments/<note_id>/", ["DELETE"])
    @authenticated
    def delete_issue_note(self, request: Any, issue_id: str, note_id: str,
                          org: str | None = None) -> bytes:
        issue, _ = self._issue_in(org, issue_id)
        if not note_id.isdigit():
            raise NotFound()
        self.store.delete_note(NoteDeleted(time=self.store.now(), issue_id=issue.id,
                                           note_id=int(note_id)))
        request.setResponseCode(204)
        return b""

    # User reports (the user feedback of Sentry's older API)

    def _report_body(self, item: CapturedItem, org: Organization, base: str) -> dict[str, Any]:
        try:
            report = loads(item.payload)
        except ValueError:
            report = {}
        report = report if isinstance(report, dict) else {}
        event_id = normalize_event_id(report.get("event_id")) or item.event_id or ""
        issue_body = None
        try:
            event = self.store.event(event_id) if event_id else None
        except NotFound:
            event = None
        if event is not None and event.issue_id is not None:
            issue = self.store.issue(event.issue_id)
            issue_body = serializers.issue(issue, self.store.directory.project_by_id(
                issue.project_id), org, base, self.store.now(), None,
                self.store.directory.actor(issue.assigned_to))
        return {"id": str(item.id), "eventID": event_id, "name": str(report.get("name") or ""),
                "email": str(report.get("email") or ""),
                "comments": str(report.get("comments") or ""),
                "dateCreated": isoformat(item.received), "user": None,
                "event": {"id": event_id or None, "eventID": event_id}, "issue": issue_body}

    def user_reports(self, project_ids: set[int], issue: Issue | None = None) -> list[Any]:
        """
        The user reports of some projects (of one issue's events, when given), newest first.
        """
        found = []
        for item in reversed(self.store.items("user_report")):
            if item.project_id not in project_ids:
                continue
            if issue is not None:
                try:
                    event = self.store.event(item.event_id) if item.event_id else None
                except NotFound:
                    event = None
                if event is None or event.issue_id != issue.id:
                    continue
            found.append(item)
        return found

    @_routes("/user-reports/", ["GET"])
    @authenticated
    def issue_user_reports(self, request: Any, issue_id: str, org: str | None = None) -> bytes:
        issue, organization = self._issue_in(org, issue_id)
        base = base_url(request)
        reports = paginate(request, self.user_reports({issue.project_id}, issue))
        return json_response(request, [self._report_body(item, organization, base)
                                       for item in reports])

    @app.route("/api/0/projects/<org>/<project>/user-feedback/", methods=["GET"])
    @authenticated
    def project_user_feedback(self, request: Any, org: str, project: str) -> bytes:
        organization = self.store.directory.organization(org)
        found = self.store.directory.project(organization, project)
        base = base_url(request)
        reports = paginate(request, self.user_reports({found.id}))
        return json_response(request, [self._report_body(item, organization, base)
                                       for item in reports])

    @app.route("/api/0/projects/<org>/<project>/user-feedback/", methods=["POST"])
    @authenticated
    def submit_user_feedback(self, request: Any, org: str, project: str) -> bytes:
        """
        Sentry's older way to send a user report: C{event_id}, C{name}, C{email}, C{comments}.
        """
        organization = self.store.directory.organization(org)
        found = self.store.directory.project(organization, project)
        body = read_json_body(request, self.store.limits.api_body)
        body = body if isinstance(body, dict) else {}
        errors = {field: ["This field is required."]
                  for field in ("event_id", "name", "email", "comments")
                  if not isinstance(body.get(field), str) or not body.get(field)}
        event_id = normalize_event_id(body.get("event_id"))
        if "event_id" not in errors and event_id is None:
            errors["event_id"] = ["Enter a valid UUID."]
        if errors:
            raise Invalid(fields=errors)
        report = {"event_id": event_id, "name": body["name"], "email": body["email"],
                  "comments": body["comments"]}
        batch = IngestBatch(self.store, found.id, None, strict=False)
        batch.user_report(report)
        (item,) = batch.commit().items
        return json_response(request, self._report_body(item, organization, base_url(request)))

    # What a fake has no integration for

    @_routes("/external-issues/", ["GET"])
    @authenticated
    def issue_external_issues(self, request: Any, issue_id: str, org: str | None = None) -> bytes:
        self._issue_in(org, issue_id)
        return json_response(request, [])

    @app.route("/api/0/organizations/<org>/issues/<issue_id>/autofix/", methods=["GET"])
    @authenticated
    def issue_autofix(self, request: Any, org: str, issue_id: str) -> bytes:
        self._issue_in(org, issue_id)
        return json_response(request, {"autofix": None})

    @app.route("/api/0/organizations/<org>/issues/<issue_id>/autofix/", methods=["POST"])
    @authenticated
    def start_autofix(self, request: Any, org: str, issue_id: str) -> bytes:
        self._issue_in(org, issue_id)
        raise Forbidden(SEER_UNAVAILABLE)

