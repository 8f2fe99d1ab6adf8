"""
The API root and organizations.
"""

from __future__ import annotations

from typing import Any

from ..http import base_url, json_response
from ..interfaces import IDirectory
from ..timefmt import isoformat
from . import project_shapes, serializers
from .app import app, authenticated, bearer_token
from .pagination import paginate

SCOPES = [
    "alerts:read", "alerts:write", "event:admin", "event:read", "event:write", "member:read",
    "org:read", "org:write", "project:admin", "project:read", "project:releases", "project:write",
    "team:read", "team:write",
]


class OrganizationRoutes:
    #: The roles of the store these routes use (checked by tests/test_interfaces.py).
    roles = (IDirectory,)

    @app.route("/api/0/", methods=["GET"])
    def api_root(self, request: Any) -> bytes:
        token = bearer_token(request)
        known = token is not None and (not self.tokens or token in self.tokens)
        return json_response(request, {
            "version": "0",
            "auth": {"scopes": list(SCOPES)} if known else None,
            "user": serializers.user(self.store.directory.me) if known else None,
        })

    @app.route("/api/0/organizations/", methods=["GET"])
    @authenticated
    def list_organizations(self, request: Any) -> bytes:
        base = base_url(request)
        page = paginate(request, self.store.directory.organizations())
        return json_response(request, [serializers.organization(org, base) for org in page])

    @app.route("/api/0/organizations/<org>/", methods=["GET"])
    @authenticated
    def organization_detail(self, request: Any, org: str) -> bytes:
        found = self.store.directory.organization(org)
        base = base_url(request)
        body = serializers.organization(found, base)
        body["projects"] = [project_shapes.project(p, self._teams_of(p))
                            for p in self.store.directory.projects_of(found)]
        body["teams"] = [serializers.team(t) for t in self.store.directory.teams_of(found)]
        return json_response(request, body)

    @app.route("/api/0/auth/", methods=["GET"])
    @authenticated
    def who_am_i(self, request: Any) -> bytes:
        """
        Who the token is (what C{sentry-cli info} and Sentry's MCP server's C{whoami} ask).
        """
        return json_response(request, serializers.user(self.store.directory.me))

    @app.route("/api/0/users/me/", methods=["GET"])
    @authenticated
    def me(self, request: Any) -> bytes:
        return json_response(request, serializers.user(self.store.directory.me))

    @app.route("/api/0/users/me/regions/", methods=["GET"])
    @authenticated
    def my_regions(self, request: Any) -> bytes:
        return json_response(request, {"regions": [{"name": "us", "url": base_url(request)}]})

    @app.route("/api/0/organizations/<org>/members/", methods=["GET"])
    @authenticated
    def members(self, request: Any, org: str) -> bytes:
        organization = self.store.directory.organization(org)
        me = self.store.directory.me
        member = {
            "id": str(me.id), "email": me.email, "name": me.name,
            "user": serializers.user(me), "orgRole": "owner", "role": "owner",
            "roleName": "Owner", "pending": False, "expired": False,
            "flags": {"idp:provisioned": False, "idp:role-restricted": False,
                      "sso:linked": False, "sso:invalid": False,
                      "member-limit:restricted": False, "partnership:restricted": False},
            "dateCreated": isoformat(organization.date_created),
            "inviteStatus": "approved", "inviterName": None,
            "teams": [team.slug for team in self.store.directory.teams_of(organization)],
            "teamRoles": [{"teamSlug": team.slug, "role": "admin"}
                          for team in self.store.directory.teams_of(organization)],
        }
        return json_response(request, paginate(request, [member]))

    @app.route("/api/0/organizations/<org>/alert-rules/", methods=["GET"])
    @app.route("/api/0/organizations/<org>/combined-rules/", methods=["GET"])
    @app.route("/api/0/organizations/<org>/dashboards/", methods=["GET"])
    @authenticated
    def nothing_configured(self, request: Any, org: str) -> bytes:
        """
        Alert rules and dashboards: a fake sends no alerts and draws no dashboards, so an
        organization has none of either.
        """
        self.store.directory.organization(org)
        return json_response(request, paginate(request, []))

    @app.route("/api/0/projects/<org>/<project>/rules/", methods=["GET"])
    @authenticated
    def project_rules(self, request: Any, org: str, project: str) -> bytes:
        self.store.directory.project(self.store.directory.organization(org), project)
        return json_response(request, paginate(request, []))

    @app.route("/api/0/organizations/<org>/environments/", methods=["GET"])
    @authenticated
    def org_environments(self, request: Any, org: str) -> bytes:
        organization = self.store.directory.organization(org)
        names = sorted({name for project in self.store.directory.projects_of(organization)
                        for name in project.environments})
        return json_response(request, [{"id": str(n + 1), "name": name, "isHidden": False}
                                       for n, name in enumerate(names)])
