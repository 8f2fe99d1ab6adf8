"""
Teams: list, detail, create, delete, and a team's or a project's teams and projects.
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import Invalid
from ..http import arg, base_url, json_response, read_json_body
from ..interfaces import IDirectory, IWrites
from ..store.directory import slugify
from ..store.records import UNSET, ProjectChanged, TeamChanged, TeamCreated, TeamDeleted
from . import project_shapes, serializers
from .app import app, authenticated
from .pagination import paginate

_SLUG = re.compile(r"^(?![0-9]+\Z)[a-z0-9_\-]+\Z")
_SLUG_MESSAGE = ("Enter a valid slug consisting of lowercase letters, numbers, underscores or "
                 "hyphens. It cannot be entirely numeric.")


class TeamRoutes:
    #: The roles of the store these routes use (checked by tests/test_interfaces.py).
    roles = (IDirectory, IWrites)

    def _team_body(self, team: Any, detailed: bool = True) -> dict[str, Any]:
        projects = self.store.directory.projects_of_team(team)
        body = serializers.team(team, len(projects))
        if detailed:
            body["projects"] = [project_shapes.project(p, self._teams_of(p)) for p in projects]
        return body

    @app.route("/api/0/organizations/<org>/teams/", methods=["GET"])
    @authenticated
    def list_teams(self, request: Any, org: str) -> bytes:
        organization = self.store.directory.organization(org)
        detailed = arg(request, "detailed", "1") != "0"
        page = paginate(request, self.store.directory.teams_of(organization))
        return json_response(request, [self._team_body(team, detailed) for team in page])

    @app.route("/api/0/organizations/<org>/teams/", methods=["POST"])
    @authenticated
    def create_team(self, request: Any, org: str) -> bytes:
        organization = self.store.directory.organization(org)
        body = read_json_body(request, self.store.limits.api_body) or {}
        if not isinstance(body, dict):
            raise Invalid(fields={"non_field_errors": ["Invalid data. Expected a dictionary."]})
        slug, name = body.get("slug"), body.get("name")
        if isinstance(slug, str):
            slug = slug.strip()  # Sentry's serializers trim what they are sent
        if not slug and isinstance(name, str) and name.strip():
            slug = slugify(name)
        if not slug:
            raise Invalid(fields={"slug": ["This field is required."]})
        if not isinstance(slug, str) or not _SLUG.match(slug):
            raise Invalid(fields={"slug": [_SLUG_MESSAGE]})
        team = self.store.create_team(TeamCreated(
            time=self.store.now(), organization_id=organization.id, slug=slug,
            name=name.strip() if isinstance(name, str) and name.strip() else slug))
        return json_response(request, self._team_body(team), 201)

    @app.route("/api/0/teams/<org>/<team>/", methods=["GET"])
    @authenticated
    def team_detail(self, request: Any, org: str, team: str) -> bytes:
        found = self.store.directory.team(self.store.directory.organization(org), team)
        body = self._team_body(found)
        body["organization"] = serializers.organization(
            self.store.directory.organization(org), base_url(request))
        return json_response(request, body)

    @app.route("/api/0/teams/<org>/<team>/", methods=["PUT"])
    @authenticated
    def update_team(self, request: Any, org: str, team: str) -> bytes:
        found = self.store.directory.team(self.store.directory.organization(org), team)
        body = read_json_body(request, self.store.limits.api_body) or {}
        if not isinstance(body, dict):
            raise Invalid(fields={"non_field_errors": ["Invalid data. Expected a dictionary."]})
        slug = name = UNSET
        if "slug" in body:
            given = body["slug"].strip() if isinstance(body["slug"], str) else body["slug"]
            if not isinstance(given, str) or not _SLUG.match(given):
                raise Invalid(fields={"slug": [_SLUG_MESSAGE]})
            slug = given
        if isinstance(body.get("name"), str) and body["name"].strip():
            name = body["name"].strip()
        changed = self.store.change_team(TeamChanged(time=self.store.now(), team_id=found.id,
                                                     slug=slug, name=name))
        return json_response(request, self._team_body(changed))

    @app.route("/api/0/teams/<org>/<team>/", methods=["DELETE"])
    @authenticated
    def delete_team(self, request: Any, org: str, team: str) -> bytes:
        found = self.store.directory.team(self.store.directory.organization(org), team)
        self.store.delete_team(TeamDeleted(time=self.store.now(), team_id=found.id))
        request.setResponseCode(204)
        return b""

    @app.route("/api/0/teams/<org>/<team>/projects/", methods=["GET"])
    @authenticated
    def team_projects(self, request: Any, org: str, team: str) -> bytes:
        found = self.store.directory.team(self.store.directory.organization(org), team)
        page = paginate(request, self.store.directory.projects_of_team(found))
        return json_response(request, [project_shapes.project(p, self._teams_of(p)) for p in page])

    @app.route("/api/0/projects/<org>/<project>/teams/<team>/", methods=["POST", "DELETE"])
    @authenticated
    def project_team(self, request: Any, org: str, project: str, team: str) -> bytes:
        """
        Give a team access to a project (C{POST}, 201), or take it away (C{DELETE}, 200);
        both answer with the project.
        """
        organization = self.store.directory.organization(org)
        found = self.store.directory.project(organization, project)
        owner = self.store.directory.team(organization, team)
        teams = [team_id for team_id in found.team_ids if team_id != owner.id]
        if request.method == b"POST":
            teams.append(owner.id)
        changed = self.store.change_project(ProjectChanged(
            time=self.store.now(), project_id=found.id, team_ids=tuple(teams)))
        body = project_shapes.project_detail(changed, self._teams_of(changed), organization,
                                          base_url(request))
        return json_response(request, body, 201 if request.method == b"POST" else 200)

    @app.route("/api/0/projects/<org>/<project>/teams/", methods=["GET"])
    @authenticated
    def project_teams(self, request: Any, org: str, project: str) -> bytes:
        found = self.store.directory.project(self.store.directory.organization(org), project)
        page = paginate(request, self._teams_of(found))
        return json_response(request, [self._team_body(team, detailed=False) for team in page])
