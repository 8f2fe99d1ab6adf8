"""
The store's one write path: a method per change record (the L{IWrites} role).

Each method has the same three steps, in this order: check the record against the state (and
raise, having changed nothing, when it is refused); commit it to the journal (which raises,
having changed nothing, when the disk is full or failing); apply it, which cannot fail.  Applying
reads nothing but the state and the record, so replaying a journal rebuilds the same state.
"""

from __future__ import annotations

from typing import Any

import attrs

from ..errors import Invalid
from ..jsoncodec import loads
from .issues import apply_change
from .models import CapturedItem, ClientKey, Event, Issue, Project, Team
from .monitors import CheckIn, Monitor
from .records import (BundleAssembled, ChunksUploaded, DebugFileDeleted, DebugFilesAssembled,
                      DeployCreated, Ingested, IssuesChanged, IssuesDeleted, ItemSent,
                      KeyChanged, KeyCreated, KeyDeleted, MonitorChanged, MonitorDeleted,
                      ProjectChanged, ProjectCreated, ProjectDeleted, ReleaseChanged,
                      ReleaseCreated, ReleaseDeleted, RepositoryCreated, Reset, TeamChanged,
                      TeamCreated, TeamDeleted)
from .release_models import Creation, Deploy, Release, Repository
from .releases import RELEASE_REFERENCED
from .records import UNSET
from .upload_models import AssembleAnswer


@attrs.frozen
class Accepted:
    """
    What an L{Ingested} record left in the store: its events (the one stored before, for an
    event id seen already), its check-ins (C{None} for one Sentry drops) and its items.
    """

    events: tuple[Event, ...]
    check_ins: tuple[CheckIn | None, ...]
    items: tuple[CapturedItem, ...]


class Writes:
    """
    The write methods of L{sentry_fake.store.service.StoreService}.
    """

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
        self._commit(record)
        self._start_over(record.seed, record.time)

    # Ingest

    def ingest(self, record: Ingested) -> Accepted:
        created = record.project_created
        if created is not None:
            self._check_new_project(created)
        else:
            self.directory.project_by_id(record.project_id)
        if record.key_created is not None:
            self.directory.check_new_key(record.key_created.public)
        seq = self._commit(record)
        if created is not None:
            self._add_project(created)
        if record.key_created is not None:
            self._add_key(record.key_created)
        project = self.directory.project_by_id(record.project_id)
        events = tuple(self._store_event(project, event, seq) for event in record.events)
        check_ins = []
        for sent in record.check_ins:
            check_in = self.monitors.record(project, sent.checked, record.time,
                                            sent.monitor_guid, sent.check_in_guid)
            if check_in is not None:
                project.environments.add(check_in.environment)
            check_ins.append(check_in)
        items = tuple(self._capture(project, item, seq, record.time) for item in record.items)
        return Accepted(events, tuple(check_ins), items)

    def _store_event(self, project: Project, event: Event, seq: int) -> Event:
        existing = self._events.get(event.event_id)
        if existing is not None:
            # Sentry keeps the first event of an id and drops repeats.
            return existing
        event.seq = seq
        if project.first_event is None:
            project.first_event = event.received
        if event.environment:
            project.environments.add(event.environment)
        if event.type != "transaction":
            issue = self.issue_book.add_event(project, event)
            if event.release:
                self.releases.event_seen(project, event.release, event.received,
                                         new_issue=issue.times_seen == 1)
        self._keep_event(event)
        self._stored(event)
        return event

    def _capture(self, project: Project, sent: ItemSent, seq: int, now: float) -> CapturedItem:
        item = CapturedItem(id=self._next_item, type=sent.type, project_id=project.id,
                            event_id=sent.event_id, headers=sent.headers, payload=sent.payload,
                            received=now, seq=seq)
        self._next_item += 1
        self._items.add(item)
        if sent.type in ("session", "sessions"):
            try:
                decoded = loads(sent.payload)
            except ValueError:
                decoded = None
            if decoded is not None:
                project.has_sessions = True
                self.releases.sessions_seen(project, sent.type, decoded, now)
        self._stored(item)
        return item

    # The directory

    def _check_new_project(self, record: ProjectCreated) -> None:
        organization = self.directory.organization(record.organization_id)
        if record.team_id is not None:
            self.directory.team_by_id(record.team_id)
        if not record.name:
            raise Invalid(fields={"name": ["This field is required."]})
        self.directory.check_new_project(organization, record.slug, record.id)
        if record.key_public is not None:
            self.directory.check_new_key(record.key_public)

    def _add_project(self, record: ProjectCreated) -> Project:
        directory = self.directory
        team = directory.team_by_id(record.team_id) if record.team_id is not None else None
        project = directory.add_project(directory.organization(record.organization_id), team,
                                        record.name, slug=record.slug, platform=record.platform,
                                        id=record.id, now=record.time)
        project.first_use = record.id is not None
        if record.key_public is not None and record.key_secret is not None:
            directory.add_key(project, public=record.key_public, secret=record.key_secret,
                              now=record.time)
        return project

    def create_project(self, record: ProjectCreated) -> Project:
        self._check_new_project(record)
        self._commit(record)
        return self._add_project(record)

    def change_project(self, record: ProjectChanged) -> Project:
        project = self.directory.project_by_id(record.project_id)
        if record.slug is not UNSET and record.slug != project.slug:
            self.directory.check_project_rename(project, record.slug)
        self._commit(record)
        for name in ("slug", "name", "platform", "is_bookmarked"):
            value = getattr(record, name)
            if value is not UNSET:
                setattr(project, name, value)
        return project

    def delete_project(self, record: ProjectDeleted) -> None:
        project = self.directory.project_by_id(record.project_id)
        self._commit(record)
        self._forget_issues(self.issues([project]))
        self._events.remove_where("project", project.id)
        self.directory.remove_project(project)

    def create_team(self, record: TeamCreated) -> Team:
        organization = self.directory.organization(record.organization_id)
        self.directory.check_new_team(organization, record.slug)
        self._commit(record)
        return self.directory.add_team(organization, record.slug, record.name, now=record.time)

    def change_team(self, record: TeamChanged) -> Team:
        team = self.directory.team_by_id(record.team_id)
        if record.slug is not UNSET:
            self.directory.check_team_rename(team, record.slug)
        self._commit(record)
        if record.slug is not UNSET:
            team.slug = record.slug
        if record.name is not UNSET:
            team.name = record.name
        return team

    def delete_team(self, record: TeamDeleted) -> None:
        team = self.directory.team_by_id(record.team_id)
        self._commit(record)
        self.directory.remove_team(team)

    def _add_key(self, record: KeyCreated) -> ClientKey:
        return self.directory.add_key(self.directory.project_by_id(record.project_id),
                                      public=record.public, secret=record.secret,
                                      name=record.name, now=record.time,
                                      rate_limit=record.rate_limit)

    def create_key(self, record: KeyCreated) -> ClientKey:
        self.directory.project_by_id(record.project_id)
        self.directory.check_new_key(record.public)
        self._commit(record)
        return self._add_key(record)

    def change_key(self, record: KeyChanged) -> ClientKey:
        key = self.directory.key_by_number(record.key_id)
        self._commit(record)
        for name in ("name", "is_active", "rate_limit"):
            value = getattr(record, name)
            if value is not UNSET:
                setattr(key, name, value)
        return key

    def delete_key(self, record: KeyDeleted) -> None:
        key = self.directory.key_by_number(record.key_id)
        self._commit(record)
        self.directory.remove_key(key)

    # Issues

    def _issues_named(self, issue_ids: tuple[int, ...]) -> list[Issue]:
        return [self.issue_book.get(issue_id) for issue_id in issue_ids]

    def change_issues(self, record: IssuesChanged) -> list[Issue]:
        issues = self._issues_named(record.issue_ids)
        self._commit(record)
        for issue in issues:
            apply_change(issue, record.change, record.time)
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

    # Releases

    def _projects_named(self, project_ids: tuple[int, ...]) -> list[Project]:
        return [self.directory.project_by_id(project_id) for project_id in project_ids]

    def create_release(self, record: ReleaseCreated) -> Creation:
        projects = self._projects_named(record.project_ids)
        self._commit(record)
        return self.releases.create(
            record.organization_id, record.version, projects, record.time, ref=record.ref,
            url=record.url, date_started=record.date_started,
            date_released=record.date_released, status=record.status, owner=record.owner,
            user_agent=record.user_agent, commits=_listed(record.commits),
            refs=_listed(record.refs))

    def change_release(self, record: ReleaseChanged) -> Release:
        release = self.releases.get(record.organization_id, record.version)
        self._commit(record)
        return self.releases.update(
            release, record.time, ref=record.ref, url=record.url,
            date_released=record.date_released, status=record.status,
            commits=_listed(record.commits), refs=_listed(record.refs))

    def delete_release(self, record: ReleaseDeleted) -> None:
        release = self.releases.get(record.organization_id, record.version)
        if release.total_new_groups:
            raise Invalid(RELEASE_REFERENCED)
        self._commit(record)
        self.releases.delete(release)

    def create_deploy(self, record: DeployCreated) -> Deploy:
        release = self.releases.get(record.organization_id, record.version)
        projects = self._projects_named(record.project_ids)
        self._commit(record)
        return self.releases.add_deploy(
            release, record.environment, projects, record.time, name=record.name,
            url=record.url, date_started=record.date_started,
            date_finished=record.date_finished)

    def create_repository(self, record: RepositoryCreated) -> Repository:
        self.releases.code.check_new_repository(record.organization_id, record.name)
        self._commit(record)
        return self.releases.code.add_repository(record.organization_id, record.name,
                                            record.provider, record.url, record.time)

    # Monitors

    def _monitor(self, organization_id: int, monitor_id: str) -> Monitor:
        return self.monitors.find(organization_id, monitor_id)

    def change_monitor(self, record: MonitorChanged) -> Monitor:
        monitor = self._monitor(record.organization_id, record.monitor_id)
        self.monitors.check_rename(monitor, record.slug)
        self._commit(record)
        self.monitors.rename(monitor, record.slug)
        monitor.name, monitor.status, monitor.is_muted = record.name, record.status, record.is_muted
        for environment in monitor.environments.values():
            environment.is_muted = record.is_muted
        return monitor

    def delete_monitor(self, record: MonitorDeleted) -> None:
        monitor = self._monitor(record.organization_id, record.monitor_id)
        self._commit(record)
        self.monitors.remove(monitor, record.environments)

    # Uploads

    def upload_chunks(self, record: ChunksUploaded) -> None:
        self._commit(record)
        for checksum, data in record.chunks:
            self.uploads.add_chunk(record.organization_id, checksum, data)

    def assemble_bundle(self, record: BundleAssembled) -> AssembleAnswer:
        self._commit(record)
        return self.uploads.assemble_bundle(
            record.organization_id, list(record.project_ids), record.checksum,
            list(record.chunks), record.time, version=record.version, dist=record.dist)

    def assemble_debug_files(self, record: DebugFilesAssembled) -> dict[str, AssembleAnswer]:
        self.directory.project_by_id(record.project_id)
        self._commit(record)
        return self.uploads.assemble_debug_files(record.organization_id, record.project_id,
                                                 record.files, record.time)

    def delete_debug_file(self, record: DebugFileDeleted) -> None:
        debug_file = self.uploads.debug_file(record.project_id, str(record.debug_file_id))
        self._commit(record)
        self.uploads.delete_debug_file(debug_file)


def _listed(entries: tuple[dict[str, Any], ...] | None) -> list[dict[str, Any]] | None:
    return list(entries) if entries is not None else None


#: The write method of each record type, by name (what a replay calls).
WRITERS: dict[type, str] = {
    Reset: "reset", Ingested: "ingest", ProjectCreated: "create_project",
    ProjectChanged: "change_project", ProjectDeleted: "delete_project",
    TeamCreated: "create_team", TeamChanged: "change_team", TeamDeleted: "delete_team",
    KeyCreated: "create_key", KeyChanged: "change_key", KeyDeleted: "delete_key",
    IssuesChanged: "change_issues", IssuesDeleted: "delete_issues",
    ReleaseCreated: "create_release", ReleaseChanged: "change_release",
    ReleaseDeleted: "delete_release", DeployCreated: "create_deploy",
    RepositoryCreated: "create_repository", MonitorChanged: "change_monitor",
    MonitorDeleted: "delete_monitor", ChunksUploaded: "upload_chunks",
    BundleAssembled: "assemble_bundle", DebugFilesAssembled: "assemble_debug_files",
    DebugFileDeleted: "delete_debug_file",
}
