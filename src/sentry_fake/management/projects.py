"""
Projects: list, detail and create.
"""

from __future__ import annotations

import re
from typing import Any

from .. import ids
from ..errors import Invalid
from ..http import base_url, json_response, read_json_body
from ..interfaces import IDirectory, IWrites
from ..store.directory import slugify
from ..store.models import Organization, Project, Team
from ..store.records import UNSET, ProjectChanged, ProjectCreated, ProjectDeleted
from . import project_shapes, serializers
from .app import app, authenticated
from .pagination import paginate


_SLUG = re.compile(r"^(?![0-9]+\Z)[a-z0-9_\-]{1,50}\Z")
_SLUG_MESSAGE = ("Enter a valid slug consisting of lowercase letters, numbers, underscores or "
                 "hyphens. It cannot be entirely numeric.")


def _trimmed(value: Any) -> Any:
    # Sentry's serializers trim what they are sent before they validate it.
    return value.strip() if isinstance(value, str) else value


def _project_fields(body: Any) -> tuple[str, str | None, str | None]:
    if not isinstance(body, dict):
        raise Invalid(fields={"name": ["This field is required."]})
    name, slug, platform = body.get("name"), _trimmed(body.get("slug")), body.get("platform")
    errors: dict[str, list[str]] = {}
    if not isinstance(name, str) or not name.strip():
        errors["name"] = ["This field is required."]
    if slug is not None and (not isinstance(slug, str) or not _SLUG.match(slug)):
        errors["slug"] = [_SLUG_MESSAGE]
    if platform is not None and not isinstance(platform, str):
        errors["platform"] = ["Invalid platform"]
    if errors:
        raise Invalid(fields=errors)
    return name.strip(), slug, platform


class ProjectRoutes:
    #: The roles of the store these routes use (checked by tests/test_interfaces.py).
    roles = (IDirectory, IWrites)

    def _create_project(self, organization: Organization, team: Team | None, name: str,
                slug: str | None, platform: str | None) -> Project:
        return self.store.create_project(ProjectCreated(
            time=self.store.now(), organization_id=organization.id,
            team_id=team.id if team is not None else None, name=name,
            slug=slug or slugify(name), platform=platform, key_public=ids.hex_token(16),
            key_secret=ids.hex_token(16)))

    def _teams_of(self, project: Project) -> list[Team]:
        org = self.store.directory.organization(project.organization_id)
        return [team for team in self.store.directory.teams_of(org) if team.id in project.team_ids]

    def _project_body(self, request: Any, project: Project) -> dict[str, Any]:
        org = self.store.directory.organization(project.organization_id)
        return project_shapes.project_detail(project, self._teams_of(project), org, base_url(request))

    @app.route("/api/0/organizations/<org>/projects/", methods=["GET"])
    @authenticated
    def list_org_projects(self, request: Any, org: str) -> bytes:
        found = self.store.directory.organization(org)
        page = paginate(request, self.store.directory.projects_of(found))
        return json_response(request, [project_shapes.project(p, self._teams_of(p)) for p in page])

    @app.route("/api/0/organizations/<org>/projects/", methods=["POST"])
    @authenticated
    def create_org_project(self, request: Any, org: str) -> bytes:
        found = self.store.directory.organization(org)
        body = read_json_body(request, self.store.limits.api_body)
        name, slug, platform = _project_fields(body)
        team_ref = body.get("team")
        teams = self.store.directory.teams_of(found)
        team = self.store.directory.team(found, team_ref) if team_ref else (teams[0] if teams else None)
        project = self._create_project(found, team, name, slug, platform)
        return json_response(request, self._project_body(request, project), 201)

    @app.route("/api/0/teams/<org>/<team>/projects/", methods=["POST"])
    @authenticated
    def create_team_project(self, request: Any, org: str, team: str) -> bytes:
        found = self.store.directory.organization(org)
        owner = self.store.directory.team(found, team)
        name, slug, platform = _project_fields(read_json_body(request, self.store.limits.api_body))
        project = self._create_project(found, owner, name, slug, platform)
        return json_response(request, self._project_body(request, project), 201)

    @app.route("/api/0/projects/<org>/<project>/", methods=["POST"])
    @authenticated
    def create_project_at(self, request: Any, org: str, project: str) -> bytes:
        """
        Create the project its path names (the seed's own API): the body's C{name} and
        C{platform} are optional; C{409} when the slug is taken.
        """
        found = self.store.directory.organization(org)
        body = read_json_body(request, self.store.limits.api_body) or {}
        if not isinstance(body, dict):
            raise Invalid(fields={"non_field_errors": ["Invalid data. Expected a dictionary."]})
        if not _SLUG.match(project):
            raise Invalid(fields={"slug": [_SLUG_MESSAGE]})
        name, _, platform = _project_fields(dict(body, name=body.get("name") or project,
                                                 slug=project))
        teams = self.store.directory.teams_of(found)
        created = self._create_project(found, teams[0] if teams else None, name, project,
                                       platform)
        return json_response(request, self._project_body(request, created), 201)

    @app.route("/api/0/projects/<org>/<project>/", methods=["GET"])
    @authenticated
    def project_detail(self, request: Any, org: str, project: str) -> bytes:
        found = self.store.directory.project(self.store.directory.organization(org), project)
        return json_response(request, self._project_body(request, found))

    @app.route("/api/0/projects/<org>/<project>/", methods=["PUT"])
    @authenticated
    def update_project(self, request: Any, org: str, project: str) -> bytes:
        found = self.store.directory.project(self.store.directory.organization(org), project)
        body = read_json_body(request, self.store.limits.api_body) or {}
        if not isinstance(body, dict):
            raise Invalid(fields={"non_field_errors": ["Invalid data. Expected a dictionary."]})
        errors: dict[str, list[str]] = {}
        if "name" in body and (not isinstance(body["name"], str) or not body["name"].strip()):
            errors["name"] = ["This field may not be blank."]
        slug = _trimmed(body.get("slug"))
        if slug is not None and (not isinstance(slug, str) or not _SLUG.match(slug)):
            errors["slug"] = [_SLUG_MESSAGE]
        if "platform" in body and body["platform"] is not None and not isinstance(body["platform"], str):
            errors["platform"] = ["Invalid platform"]
        if errors:
            raise Invalid(fields=errors)
        changed = self.store.change_project(ProjectChanged(
            time=self.store.now(), project_id=found.id,
            slug=slug if slug is not None else UNSET,
            name=body["name"].strip() if "name" in body else UNSET,
            platform=body["platform"] if "platform" in body else UNSET,
            is_bookmarked=(body["isBookmarked"] if isinstance(body.get("isBookmarked"), bool)
                           else UNSET)))
        return json_response(request, self._project_body(request, changed))

    @app.route("/api/0/projects/<org>/<project>/", methods=["DELETE"])
    @authenticated
    def delete_project(self, request: Any, org: str, project: str) -> bytes:
        found = self.store.directory.project(self.store.directory.organization(org), project)
        self.store.delete_project(ProjectDeleted(time=self.store.now(), project_id=found.id))
        request.setResponseCode(204)
        return b""

    @app.route("/api/0/projects/", methods=["GET"])
    @authenticated
    def list_all_projects(self, request: Any) -> bytes:
        page = paginate(request, self.store.directory.projects_of())
        base = base_url(request)
        bodies = []
        for project in page:
            body = project_shapes.project(project, self._teams_of(project))
            body["organization"] = serializers.organization(
                self.store.directory.organization(project.organization_id), base)
            bodies.append(body)
        return json_response(request, bodies)
