"""
The store's one write path: a method per change record (the L{IWrites} role).

Each method has the same three steps, in this order: check the record against the state (and
raise, having changed nothing, when it is refused); commit it to the journal (which raises,
having changed nothing, when the disk is full or failing); apply it, which cannot fail.  Applying
reads nothing but the state and the record, so replaying a journal rebuilds the same state.

An ingest request of the hot path may instead be committed with the other such requests of its
turn of the reactor, in one transaction of the journal (L{Writes.ingest_soon}): it is checked
and written at once, and the group is committed, then applied, at the end of the turn (or
before any other write: L{flushing_first}), and only then answered.  A group the journal cannot
commit is refused whole, and nothing of it is applied.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, Mapping

import attrs
from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from ..errors import SentryFakeError
from ..jsoncodec import loads
from .book_writes import BookWrites
from .directory_writes import DirectoryWrites
from .issue_writes import IssueWrites
from .models import CapturedItem, Event, Project, payload_bytes
from .monitors import CheckIn
from .records import (BundleAssembled, ChunksUploaded, CodeMappingsUploaded, DebugFileDeleted,
                      DebugFilesAssembled, DeployCreated, Ingested, IssuesChanged,
                      IssuesDeleted, ItemSent, KeyChanged, KeyCreated, KeyDeleted,
                      MonitorChanged, MonitorDeleted,
                      NoteAdded, NoteChanged, NoteDeleted,
                      ProjectChanged, ProjectCreated, ProjectDeleted, ReleaseChanged,
                      ReleaseCreated, ReleaseDeleted, RepositoryCreated, Reset, TeamChanged,
                      TeamCreated, TeamDeleted)
from .outcome_writes import OutcomeWrites
from .records import OutcomesTracked
from .trace_writes import TraceWrites


@attrs.frozen
class Accepted:
    """
    What an L{Ingested} record left in the store: its events (the one stored before, for an
    event id seen already), its check-ins (C{None} for one Sentry drops) and its items.
    """

    events: tuple[Event, ...]
    check_ins: tuple[CheckIn | None, ...]
    items: tuple[CapturedItem, ...]


#: What a journal that keeps no payloads leaves.
_NOTHING_LEFT: Mapping[int, Any] = MappingProxyType({})


class Writes(DirectoryWrites, IssueWrites, BookWrites, TraceWrites, OutcomeWrites):
    """
    The write methods of L{sentry_fake.store.service.StoreService}: the store as a whole and
    ingest here, each book's in its own module.
    """

    #: What L{ingest_soon} left for the end of the turn: each record, its sequence number and
    #: what fires once it is committed and applied.
    _staged: list[tuple[int, Ingested, Deferred]]
    _announced_later: list[Any] | None

    def _commit(self, record: Any) -> int:
        """
        Commit a checked record to the journal under the next sequence number.
        """
        seq = self.seq + 1
        self.journal.append(seq, record)
        self.seq = seq
        return seq

    # The store as a whole

    def reset(self, record: Reset) -> None:
        # A reset drops every journal row: what left the store and is still held reads its
        # payload first.
        self.hold_departed()
        self._commit(record)
        self._start_over(record.seed, record.time)

    # Ingest

    def ingest(self, record: Ingested) -> Accepted:
        self._check_ingested(record)
        return self._apply_ingested(self._commit(record), record)

    def ingest_soon(self, record: Ingested) -> Accepted | Deferred:
        journal = self.journal
        if not journal.groups or record.project_created is not None or \
                record.key_created is not None:
            return self.ingest(record)
        # Nothing changes the project it is checked against before the group is applied:
        # every other write applies the group first (L{flushing_first}).
        self._check_ingested(record)
        # Numbered after the group's others; L{seq} stays the last record applied.
        seq = (self._staged[-1][0] if self._staged else self.seq) + 1
        try:
            journal.stage(seq, record)
        except SentryFakeError as error:
            # The group's transaction is over: none of its records was committed.
            self._drop_staged(error)
            raise
        committed = Deferred()
        self._staged.append((seq, record, committed))
        if len(self._staged) == 1:
            self._clock.callLater(0, self.flush)
        return committed

    def flush(self) -> None:
        staged = self._staged
        if not staged:
            return
        try:
            self.journal.commit_group()
        except SentryFakeError as error:
            self._drop_staged(error)
            return
        self._staged = []
        # All of them are applied before any of their requests hears of it, so that nothing
        # an answer sets off comes between them.
        outcomes: list[Any] = []
        # Nor do the watchers hear of any of them before all are applied: one may write.
        self._announced_later = announced = []
        try:
            for seq, record, _ in staged:
                self.seq = seq
                try:
                    outcomes.append(self._apply_ingested(seq, record))
                except Exception:
                    outcomes.append(Failure())
        finally:
            self._announced_later = None
        for stored in announced:
            self._announce(stored)
        for (_, _, committed), outcome in zip(staged, outcomes):
            if isinstance(outcome, Failure):
                committed.errback(outcome)
            else:
                committed.callback(outcome)

    def _drop_staged(self, error: SentryFakeError) -> None:
        """
        Forget the records left for the end of the turn, which the journal did not commit:
        their requests are refused with C{error}.
        """
        staged, self._staged = self._staged, []
        for _, _, committed in staged:
            committed.errback(Failure(error))

    def _check_ingested(self, record: Ingested) -> None:
        created = record.project_created
        if created is not None:
            self._check_new_project(created)
        else:
            self.directory.project_by_id(record.project_id)
        if record.key_created is not None:
            self.directory.check_new_key(record.key_created.public)

    def _apply_ingested(self, seq: int, record: Ingested) -> Accepted:
        created = record.project_created
        if created is not None:
            self._add_project(created)
        if record.key_created is not None:
            self._add_key(record.key_created)
        project = self.directory.project_by_id(record.project_id)
        # Where the journal keeps the payloads: the store holds a handle rather than the bytes.
        left = self.journal.payloads_left(seq, record)
        events = tuple(self._store_event(project, event, seq, left) for event in record.events)
        check_ins = []
        for sent in record.check_ins:
            check_in = self.monitors.record(project, sent.checked, record.time,
                                            sent.monitor_guid, sent.check_in_guid)
            if check_in is not None:
                project.environments.add(check_in.environment)
            check_ins.append(check_in)
        items = tuple(self._capture(project, item, seq, record.time, left)
                      for item in record.items)
        stored = [event for event in events if event.type == "transaction" and event.seq == seq]
        self._derive_traces(project, record, seq, stored,
                            lambda event: self._store_event(project, event, seq))
        self._count_ingested(project, record, events, check_ins)
        return Accepted(events, tuple(check_ins), items)

    def _store_event(self, project: Project, event: Event, seq: int,
                     left: Mapping[int, Any] = _NOTHING_LEFT) -> Event:
        existing = self._events.get(event.event_id)
        if existing is not None:
            # Sentry keeps the first event of an id and drops repeats.
            return existing
        event.seq = seq
        event.leave_payload(left)
        if project.first_event is None:
            project.first_event = event.received
        if event.environment:
            project.environments.add(event.environment)
        if event.type == "transaction":
            project.received.add("transaction")
        else:
            issue = self.issue_book.add_event(project, event)
            if event.release and event.type != "feedback":
                self.releases.event_seen(project, event.release, event.received,
                                         new_issue=issue.times_seen == 1)
        self._keep_event(event)
        self._stored(event)
        return event

    def _capture(self, project: Project, sent: ItemSent, seq: int, now: float,
                 left: Mapping[int, Any]) -> CapturedItem:
        item = CapturedItem(id=self._next_item, type=sent.type, project_id=project.id,
                            event_id=sent.event_id, headers=sent.headers,
                            payload=left.get(id(sent.payload), sent.payload), received=now,
                            seq=seq)
        self._next_item += 1
        self._items.add(item)
        project.received.add(sent.type)
        if sent.type in ("session", "sessions"):
            try:
                decoded = loads(payload_bytes(sent.payload))
            except ValueError:
                decoded = None
            if decoded is not None:
                self.releases.sessions_seen(project, sent.type, decoded, now)
        self._stored(item)
        return item

#: The write method of each record type, by name (what a replay calls).
WRITERS: dict[type, str] = {
    Reset: "reset", Ingested: "ingest", ProjectCreated: "create_project",
    ProjectChanged: "change_project", ProjectDeleted: "delete_project",
    TeamCreated: "create_team", TeamChanged: "change_team", TeamDeleted: "delete_team",
    KeyCreated: "create_key", KeyChanged: "change_key", KeyDeleted: "delete_key",
    IssuesChanged: "change_issues", IssuesDeleted: "delete_issues", NoteAdded: "add_note",
    NoteChanged: "change_note", NoteDeleted: "delete_note",
    ReleaseCreated: "create_release", ReleaseChanged: "change_release",
    ReleaseDeleted: "delete_release", DeployCreated: "create_deploy",
    RepositoryCreated: "create_repository", CodeMappingsUploaded: "upload_code_mappings",
    MonitorChanged: "change_monitor",
    MonitorDeleted: "delete_monitor", ChunksUploaded: "upload_chunks",
    BundleAssembled: "assemble_bundle", DebugFilesAssembled: "assemble_debug_files",
    DebugFileDeleted: "delete_debug_file", OutcomesTracked: "track_outcomes",
}


def flushing_first(method: Any) -> Any:
    """
    A write method that first commits and applies what L{Writes.ingest_soon} left for the end
    of the turn, so that every record is checked against the state of all before it.
    """
    def write(self: Writes, record: Any) -> Any:
        if self._staged:
            self.flush()
        return method(self, record)

    write.__name__, write.__doc__ = method.__name__, method.__doc__
    return write


for _name in set(WRITERS.values()):
    setattr(Writes, _name, flushing_first(getattr(Writes, _name)))
