"""
The API root and organizations.
"""

from __future__ import annotations

from typing import Any

from ..http import json_response
from . import serializers
from .app import app, authenticated, base_url, bearer_token
from .pagination import paginate

SCOPES = [
    "alerts:read", "alerts:write", "event:admin", "event:read", "event:write", "member:read",
    "org:read", "org:write", "project:admin", "project:read", "project:releases", "project:write",
    "team:read", "team:write",
]
USER = {"id": "1", "name": "parlel", "username": "parlel@example.com",
        "email": "parlel@example.com", "isActive": True, "avatarUrl": None}


class OrganizationRoutes:
    @app.route("/api/0/", methods=["GET"])
    def api_root(self, request: Any) -> bytes:
        token = bearer_token(request)
        known = token is not None and (not self.tokens or token in self.tokens)
        return json_response(request, {
            "version": "0",
            "auth": {"scopes": list(SCOPES)} if known else None,
            "user": dict(USER) if known else None,
        })

    @app.route("/api/0/organizations/", methods=["GET"])
    @authenticated
    def list_organizations(self, request: Any) -> bytes:
        base = base_url(request)
        page = paginate(request, self.store.organizations())
        return json_response(request, [serializers.organization(org, base) for org in page])

    @app.route("/api/0/organizations/<org>/", methods=["GET"])
    @authenticated
    def organization_detail(self, request: Any, org: str) -> bytes:
        found = self.store.organization(org)
        base = base_url(request)
        body = serializers.organization(found, base)
        body["projects"] = [serializers.project(p, self._teams_of(p))
                            for p in self.store.projects(found)]
        body["teams"] = [serializers.team(t) for t in self.store.teams(found)]
        return json_response(request, body)
