"""
The write methods of the other books: releases (with repositories and code mappings), monitors
and uploads (see
L{sentry_fake.store.writes} for the three steps each takes).
"""

from __future__ import annotations

from typing import Any

from ..errors import Invalid
from .code_mappings import CodeMapping
from .models import Project
from .monitors import Monitor
from .records import (BundleAssembled, ChunksUploaded, CodeMappingsUploaded, DebugFileDeleted,
                      DebugFilesAssembled, DeployCreated, MonitorChanged, MonitorDeleted,
                      ReleaseChanged, ReleaseCreated, ReleaseDeleted, RepositoryCreated)
from .release_models import Creation, Deploy, Release, Repository
from .releases import RELEASE_REFERENCED
from .upload_models import AssembleAnswer


class BookWrites:
    """
    Part of L{sentry_fake.store.service.StoreService}.
    """


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

    def upload_code_mappings(self, record: CodeMappingsUploaded) -> list[tuple[CodeMapping, bool]]:
        self.directory.project_by_id(record.project_id)
        self.releases.check_mapped_repository(record.organization_id, record.repository,
                                              record.provider)
        self._commit(record)
        return self.releases.map_code(record.organization_id, record.project_id,
                                      record.repository, record.provider, record.default_branch,
                                      record.mappings, record.time)

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


