"""
The directory of a Sentry installation: organizations, teams, projects and their client keys.
"""

from __future__ import annotations

import re
from typing import Iterable

from .. import ids
from ..errors import Conflict, Invalid, NotFound
from .models import ClientKey, Organization, Project, Team, User

_SLUG_STRIP = re.compile(r"[^a-z0-9_-]+")


def slugify(name: str) -> str:
    """
    A slug derived from a name the way Sentry derives one: lower case, dashes for the rest.
    """
    slug = _SLUG_STRIP.sub("-", name.strip().lower()).strip("-")
    return slug[:50] or "project"


def _lookup(records: Iterable, id_or_slug: str | int, what: str):
    text = str(id_or_slug)
    for record in records:
        if record.slug == text or str(record.id) == text:
            return record
    raise NotFound()


class Directory:
    """
    Organizations, teams, projects and client keys, with ids handed out as Sentry would.
    """

    def __init__(self, now: float) -> None:
        self._now = now
        self.organizations: dict[int, Organization] = {}
        self.teams: dict[int, Team] = {}
        self.projects: dict[int, Project] = {}
        self.keys: dict[str, ClientKey] = {}
        #: The one person behind every token: a fake has no accounts to tell apart.
        self.me = User(id=1, name="parlel", email="parlel@example.com",
                       username="parlel@example.com", date_joined=now)
        self.users: dict[int, User] = {self.me.id: self.me}
        self._next = {"organization": 1, "team": 1, "project": 1, "key": 1}

    def _take_id(self, kind: str, wanted: int | None = None) -> int:
        if wanted is not None:
            self._next[kind] = max(self._next[kind], wanted + 1)
            return wanted
        value = self._next[kind]
        self._next[kind] = value + 1
        return value

    # Organizations

    def add_organization(self, slug: str, name: str | None = None, id: int | None = None) -> Organization:
        if any(org.slug == slug for org in self.organizations.values()):
            raise Conflict("An organization with this slug already exists.")
        org = Organization(id=self._take_id("organization", id), slug=slug, name=name or slug,
                           date_created=self._now)
        self.organizations[org.id] = org
        return org

    def organization(self, id_or_slug: str | int) -> Organization:
        return _lookup(self.organizations.values(), id_or_slug, "organization")

    # Teams

    def add_team(self, organization: Organization, slug: str, name: str | None = None,
                 id: int | None = None) -> Team:
        if any(team.slug == slug for team in self.teams_of(organization)):
            raise Conflict("A team with this slug already exists.")
        team = Team(id=self._take_id("team", id), organization_id=organization.id, slug=slug,
                    name=name or slug, date_created=self._now)
        self.teams[team.id] = team
        return team

    def teams_of(self, organization: Organization) -> list[Team]:
        return [team for team in self.teams.values() if team.organization_id == organization.id]

    def team(self, organization: Organization, id_or_slug: str | int) -> Team:
        return _lookup(self.teams_of(organization), id_or_slug, "team")

    # Projects

    def add_project(self, organization: Organization, team: Team | None, name: str,
                    slug: str | None = None, platform: str | None = None, id: int | None = None,
                    now: float | None = None) -> Project:
        slug = slug or slugify(name)
        if not name:
            raise Invalid(fields={"name": ["This field is required."]})
        if any(project.slug == slug for project in self.projects_of(organization)):
            raise Conflict("A project with this slug already exists.")
        if id is not None and id in self.projects:
            raise Conflict("A project with this id already exists.")
        project = Project(id=self._take_id("project", id), organization_id=organization.id,
                          slug=slug, name=name, platform=platform,
                          date_created=self._now if now is None else now,
                          team_ids=[team.id] if team else [])
        self.projects[project.id] = project
        return project

    def projects_of(self, organization: Organization | None) -> list[Project]:
        if organization is None:
            return list(self.projects.values())
        return [p for p in self.projects.values() if p.organization_id == organization.id]

    def project(self, organization: Organization, id_or_slug: str | int) -> Project:
        return _lookup(self.projects_of(organization), id_or_slug, "project")

    # Client keys

    def add_key(self, project: Project, public: str | None = None, secret: str | None = None,
                name: str = "Default", now: float | None = None) -> ClientKey:
        public = public or ids.hex_token(16)
        if public in self.keys:
            raise Conflict("A client key with this public key already exists.")
        key = ClientKey(id=self._take_id("key"), project_id=project.id, public=public,
                        secret=secret or ids.hex_token(16), name=name,
                        date_created=self._now if now is None else now)
        self.keys[public] = key
        return key

    def keys_of(self, project: Project) -> list[ClientKey]:
        return [key for key in self.keys.values() if key.project_id == project.id]

    def key_by_id(self, project: Project, key_id: str) -> ClientKey:
        """
        A client key of a project by its public key (Sentry's key id in URLs) or numeric id.
        """
        for key in self.keys_of(project):
            if key.public == key_id or str(key.id) == key_id:
                return key
        raise NotFound()

    def remove_key(self, key: ClientKey) -> None:
        del self.keys[key.public]

    # Changes

    def rename_project(self, project: Project, slug: str) -> None:
        org = self.organizations[project.organization_id]
        if any(other.slug == slug and other is not project for other in self.projects_of(org)):
            raise Conflict("A project with this slug already exists.")
        project.slug = slug

    def remove_project(self, project: Project) -> None:
        del self.projects[project.id]
        for key in self.keys_of(project):
            self.remove_key(key)

    def remove_team(self, team: Team) -> None:
        del self.teams[team.id]
        for project in self.projects.values():
            if team.id in project.team_ids:
                project.team_ids.remove(team.id)

    def projects_of_team(self, team: Team) -> list[Project]:
        return [p for p in self.projects.values() if team.id in p.team_ids]

    # Actors: who an issue can be assigned to

    def resolve_actor(self, organization: Organization, value: object) -> str:
        """
        What an C{assignedTo} value names: C{"user:ID"} or C{"team:ID"}.

        @raise Invalid: nobody by that name.
        """
        text = str(value).strip()
        kind, _, ident = text.partition(":")
        team_ref = ident if kind == "team" and ident else text[1:] if text.startswith("#") else None
        if team_ref:
            try:
                return f"team:{self.team(organization, team_ref).id}"
            except NotFound:
                raise Invalid("Unknown actor input")
        if kind == "user" and ident:
            text = ident
        me = self.me
        if text in (str(me.id), me.email, me.username, me.name):
            return f"user:{me.id}"
        raise Invalid("Unknown actor input")

    def actor(self, reference: str | None) -> User | Team | None:
        """
        The user or team an C{"user:ID"}/C{"team:ID"} reference names.
        """
        if not reference:
            return None
        kind, _, ident = reference.partition(":")
        if kind == "team":
            return self.teams.get(int(ident))
        return self.users.get(int(ident))
