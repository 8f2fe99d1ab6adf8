"""
The write methods of the directory's records: projects, teams and client keys (see
L{sentry_fake.store.writes} for the three steps each takes).
"""

from __future__ import annotations

from ..errors import Invalid
from .models import ClientKey, Project, Team
from .records import (UNSET, KeyChanged, KeyCreated, KeyDeleted, ProjectChanged, ProjectCreated,
                      ProjectDeleted, TeamChanged, TeamCreated, TeamDeleted)


class DirectoryWrites:
    """
    Part of L{sentry_fake.store.service.StoreService}.
    """


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
        if record.team_ids is not UNSET:
            for team_id in record.team_ids:
                self.directory.team_by_id(team_id)
        self._commit(record)
        for name in ("slug", "name", "platform", "is_bookmarked"):
            value = getattr(record, name)
            if value is not UNSET:
                setattr(project, name, value)
        if record.team_ids is not UNSET:
            project.team_ids = list(record.team_ids)
        return project

    def delete_project(self, record: ProjectDeleted) -> None:
        project = self.directory.project_by_id(record.project_id)
        self._commit(record)
        self._forget_issues(self.issues([project]))
        self._events.remove_where("project", project.id)
        self.traces.forget_project(project.id)
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

