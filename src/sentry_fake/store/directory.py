"""
The directory of a Sentry installation: organizations, teams, projects and their client keys.

Its reading methods are the L{sentry_fake.interfaces.IDirectory} role.  Its changing methods are
called by the store's write path only (L{sentry_fake.store.writes}), once the change record that
asks for them has been checked with the C{check_*} methods and committed.
"""

from __future__ import annotations

import re
from typing import Any, Iterable

from zope.interface import implementer

from ..errors import Conflict, Invalid, NotFound
from ..interfaces import IDirectory
from .codec import converter
from .models import ClientKey, Organization, Project, Team, User

_SLUG_STRIP = re.compile(r"[^a-z0-9_-]+")


def slugify(name: str) -> str:
    """
    A slug derived from a name the way Sentry derives one: lower case, dashes for the rest.
    """
    slug = _SLUG_STRIP.sub("-", name.strip().lower()).strip("-")
    return slug[:50] or "project"


def _lookup(records: Iterable, id_or_slug: str | int):
    text = str(id_or_slug)
    for record in records:
        if record.slug == text or str(record.id) == text:
            return record
    raise NotFound()


@implementer(IDirectory)
class Directory:
    """
    Organizations, teams, projects and client keys, with ids handed out as Sentry would.
    """

    def __init__(self, now: float) -> None:
        self.now = now
        self._organizations: dict[int, Organization] = {}
        self._teams: dict[int, Team] = {}
        self._projects: dict[int, Project] = {}
        #: Client keys by their public key (what SDKs present).
        self._keys: dict[str, ClientKey] = {}
        self._keys_by_id: dict[int, ClientKey] = {}
        self._keys_by_project: dict[int, dict[str, ClientKey]] = {}
        #: The one person behind every token: a fake has no accounts to tell apart.
        self.me = User(id=1, name="parlel", email="parlel@example.com",
                       username="parlel@example.com", date_joined=now)
        self._users: dict[int, User] = {self.me.id: self.me}
        self._next = {"organization": 1, "team": 1, "project": 1, "key": 1}

    def _take_id(self, kind: str, wanted: int | None = None) -> int:
        if wanted is not None:
            self._next[kind] = max(self._next[kind], wanted + 1)
            return wanted
        value = self._next[kind]
        self._next[kind] = value + 1
        return value

    # Organizations

    def organization(self, id_or_slug: str | int) -> Organization:
        if isinstance(id_or_slug, int):
            found = self._organizations.get(id_or_slug)
            if found is None:
                raise NotFound()
            return found
        return _lookup(self._organizations.values(), id_or_slug)

    def organizations(self) -> list[Organization]:
        return list(self._organizations.values())

    def add_organization(self, slug: str, name: str | None = None,
                         id: int | None = None) -> Organization:
        if any(org.slug == slug for org in self._organizations.values()):
            raise Conflict("An organization with this slug already exists.")
        org = Organization(id=self._take_id("organization", id), slug=slug, name=name or slug,
                           date_created=self.now)
        self._organizations[org.id] = org
        return org

    # Teams

    def teams_of(self, organization: Organization) -> list[Team]:
        return [team for team in self._teams.values() if team.organization_id == organization.id]

    def team(self, organization: Organization, id_or_slug: str | int) -> Team:
        return _lookup(self.teams_of(organization), id_or_slug)

    def team_by_id(self, team_id: int) -> Team:
        found = self._teams.get(team_id)
        if found is None:
            raise NotFound()
        return found

    def check_new_team(self, organization: Organization, slug: str) -> None:
        """
        @raise Conflict: the organization has a team of that slug.
        """
        if any(team.slug == slug for team in self.teams_of(organization)):
            raise Conflict("A team with this slug already exists.")

    def check_team_rename(self, team: Team, slug: str) -> None:
        """
        @raise Invalid: another team of the organization has that slug (Sentry's field error).
        """
        organization = self._organizations[team.organization_id]
        if any(other.slug == slug and other is not team for other in self.teams_of(organization)):
            raise Invalid(fields={"slug": [f'The slug "{slug}" is already in use.']})

    def add_team(self, organization: Organization, slug: str, name: str | None = None,
                 id: int | None = None, now: float | None = None) -> Team:
        self.check_new_team(organization, slug)
        team = Team(id=self._take_id("team", id), organization_id=organization.id, slug=slug,
                    name=name or slug, date_created=self.now if now is None else now)
        self._teams[team.id] = team
        return team

    def remove_team(self, team: Team) -> None:
        del self._teams[team.id]
        for project in self._projects.values():
            if team.id in project.team_ids:
                project.team_ids.remove(team.id)

    def projects_of_team(self, team: Team) -> list[Project]:
        return [p for p in self._projects.values() if team.id in p.team_ids]

    # Projects

    def projects_of(self, organization: Organization | None = None) -> list[Project]:
        if organization is None:
            return list(self._projects.values())
        return [p for p in self._projects.values() if p.organization_id == organization.id]

    def project(self, organization: Organization, id_or_slug: str | int) -> Project:
        return _lookup(self.projects_of(organization), id_or_slug)

    def project_by_id(self, project_id: int) -> Project:
        found = self._projects.get(project_id)
        if found is None:
            raise NotFound()
        return found

    def check_new_project(self, organization: Organization, slug: str,
                          id: int | None = None) -> None:
        """
        @raise Conflict: the slug (or the id) is taken.
        """
        if any(project.slug == slug for project in self.projects_of(organization)):
            raise Conflict("A project with this slug already exists.")
        if id is not None and id in self._projects:
            raise Conflict("A project with this id already exists.")

    def check_project_rename(self, project: Project, slug: str) -> None:
        """
        @raise Invalid: another project of the organization has that slug (Sentry's field error).
        """
        org = self._organizations[project.organization_id]
        for other in self.projects_of(org):
            if other.slug == slug and other is not project:
                raise Invalid(fields={"slug": [
                    f"Another project ({other.name}) is already using that slug"]})

    def free_slug(self, organization: Organization, wanted: str) -> str:
        """
        C{wanted}, or C{wanted} with a number after it, whichever no project of the
        organization has yet.
        """
        taken = {project.slug for project in self.projects_of(organization)}
        slug, number = wanted, 1
        while slug in taken:
            number += 1
            slug = f"{wanted}-{number}"
        return slug

    def add_project(self, organization: Organization, team: Team | None, name: str,
                    slug: str | None = None, platform: str | None = None, id: int | None = None,
                    now: float | None = None) -> Project:
        slug = slug or slugify(name)
        if not name:
            raise Invalid(fields={"name": ["This field is required."]})
        self.check_new_project(organization, slug, id)
        project = Project(id=self._take_id("project", id), organization_id=organization.id,
                          slug=slug, name=name, platform=platform,
                          date_created=self.now if now is None else now,
                          team_ids=[team.id] if team else [])
        self._projects[project.id] = project
        return project

    def remove_project(self, project: Project) -> None:
        del self._projects[project.id]
        for key in self.keys_of(project):
            self.remove_key(key)

    # Client keys

    def keys_of(self, project: Project) -> list[ClientKey]:
        return list(self._keys_by_project.get(project.id, {}).values())

    def key(self, public_key: str) -> ClientKey | None:
        return self._keys.get(public_key)

    def key_by_id(self, project: Project, key_id: str) -> ClientKey:
        """
        A client key of a project by its public key (Sentry's key id in URLs) or numeric id.
        """
        for key in self.keys_of(project):
            if key.public == key_id or str(key.id) == key_id:
                return key
        raise NotFound()

    def key_by_number(self, key_id: int) -> ClientKey:
        found = self._keys_by_id.get(key_id)
        if found is None:
            raise NotFound()
        return found

    def check_new_key(self, public: str) -> None:
        """
        @raise Conflict: a key with that public key exists.
        """
        if public in self._keys:
            raise Conflict("A client key with this public key already exists.")

    def add_key(self, project: Project, public: str, secret: str, name: str = "Default",
                now: float | None = None, rate_limit: dict[str, int] | None = None) -> ClientKey:
        self.check_new_key(public)
        key = ClientKey(id=self._take_id("key"), project_id=project.id, public=public,
                        secret=secret, name=name,
                        date_created=self.now if now is None else now, rate_limit=rate_limit)
        self._index_key(key)
        return key

    def _index_key(self, key: ClientKey) -> None:
        self._keys[key.public] = key
        self._keys_by_id[key.id] = key
        self._keys_by_project.setdefault(key.project_id, {})[key.public] = key

    def remove_key(self, key: ClientKey) -> None:
        del self._keys[key.public]
        self._keys_by_id.pop(key.id, None)
        self._keys_by_project.get(key.project_id, {}).pop(key.public, None)

    # Users and actors: who an issue can be assigned to

    def users(self) -> list[User]:
        return list(self._users.values())

    def user(self, user_id: int) -> User | None:
        return self._users.get(user_id)

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
            return self._teams.get(int(ident))
        return self._users.get(int(ident))

    # The checkpoint of a journal

    def dump(self) -> dict[str, Any]:
        """
        Everything the directory holds, as plain JSON values.
        """
        return {
            "now": self.now,
            "organizations": converter.unstructure(list(self._organizations.values())),
            "teams": converter.unstructure(list(self._teams.values())),
            "projects": converter.unstructure(list(self._projects.values())),
            "keys": converter.unstructure(list(self._keys.values())),
            "users": converter.unstructure(list(self._users.values())),
            "next": dict(self._next),
        }

    @classmethod
    def load(cls, state: dict[str, Any]) -> "Directory":
        directory = cls(state["now"])
        for org in converter.structure(state["organizations"], list[Organization]):
            directory._organizations[org.id] = org
        for team in converter.structure(state["teams"], list[Team]):
            directory._teams[team.id] = team
        for project in converter.structure(state["projects"], list[Project]):
            directory._projects[project.id] = project
        for key in converter.structure(state["keys"], list[ClientKey]):
            directory._index_key(key)
        directory._users = {user.id: user for user in
                           converter.structure(state["users"], list[User])}
        directory.me = directory._users[1]
        directory._next = dict(state["next"])
        return directory
