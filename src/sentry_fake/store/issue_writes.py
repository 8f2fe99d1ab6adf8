"""
The write methods of issues: changes, deletions and notes (see L{sentry_fake.store.writes} for
the three steps each takes).
"""

from __future__ import annotations

from typing import Any

from ..errors import NotFound
from .issues import UNSET, IssueChange, apply_change
from .models import Issue
from .records import IssuesChanged, IssuesDeleted, NoteAdded, NoteChanged, NoteDeleted


def change_activities(change: IssueChange) -> list[tuple[str, dict[str, Any]]]:
    """
    The activities Sentry records for an update: status changes and assignments.
    """
    found: list[tuple[str, dict[str, Any]]] = []
    if change.status is not UNSET:
        details = change.status_details if change.status_details is not UNSET else {}
        kind = {"resolved": "set_resolved", "unresolved": "set_unresolved",
                "ignored": "set_ignored"}.get(change.status)
        if kind == "set_resolved" and (details or {}).get("inNextRelease"):
            kind = "set_resolved_in_release"
        if kind:
            found.append((kind, dict(details or {}) if kind == "set_ignored" else {}))
    if change.assigned_to is not UNSET:
        if change.assigned_to:
            kind, _, ident = change.assigned_to.partition(":")
            found.append(("assigned", {"assignee": ident, "assigneeType": kind}))
        else:
            found.append(("unassigned", {}))
    return found


class IssueWrites:
    """
    Part of L{sentry_fake.store.service.StoreService}.
    """


    def _issues_named(self, issue_ids: tuple[int, ...]) -> list[Issue]:
        return [self.issue_book.get(issue_id) for issue_id in issue_ids]

    def change_issues(self, record: IssuesChanged) -> list[Issue]:
        issues = self._issues_named(record.issue_ids)
        self._commit(record)
        activities = change_activities(record.change)
        for issue in issues:
            apply_change(issue, record.change, record.time)
            for kind, data in activities:
                self.issue_book.note_activity(issue, kind, dict(data), record.time,
                                              self.directory.me.id)
            self.issue_book.touched(issue)
        return issues

    def delete_issues(self, record: IssuesDeleted) -> None:
        issues = self._issues_named(record.issue_ids)
        self._commit(record)
        self._forget_issues(issues)

    def _forget_issues(self, issues: list[Issue]) -> None:
        for issue in list(issues):
            self.issue_book.remove(issue)
            self._events.remove_where("issue", issue.id)
            self._facts.forget(issue.id)


    # Notes: an issue's comments, among its activities

    def _note(self, issue: Issue, note_id: int) -> dict[str, Any]:
        for activity in issue.activity:
            if activity["id"] == note_id and activity["type"] == "note":
                return activity
        raise NotFound()

    def add_note(self, record: NoteAdded) -> dict[str, Any]:
        issue = self.issue_book.get(record.issue_id)
        self._commit(record)
        return self.issue_book.note_activity(issue, "note", {"text": record.text}, record.time,
                                             record.user_id)

    def change_note(self, record: NoteChanged) -> dict[str, Any]:
        issue = self.issue_book.get(record.issue_id)
        note = self._note(issue, record.note_id)
        self._commit(record)
        note["data"] = dict(note["data"], text=record.text)
        self.issue_book.touched(issue)
        return note

    def delete_note(self, record: NoteDeleted) -> None:
        issue = self.issue_book.get(record.issue_id)
        note = self._note(issue, record.note_id)
        self._commit(record)
        issue.activity.remove(note)
        self.issue_book.touched(issue)
