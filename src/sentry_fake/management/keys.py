"""
Client keys (DSNs): a project's keys, and an organization's.
"""

from __future__ import annotations

from typing import Any

from ..errors import Invalid
from ..http import json_response, read_json_body
from . import serializers
from .app import app, arg, authenticated, base_url
from .pagination import paginate


def _rate_limit(value: Any) -> dict[str, int] | None:
    if value is None:
        return None
    if (not isinstance(value, dict) or not isinstance(value.get("window"), int)
            or not isinstance(value.get("count"), int)):
        raise Invalid(fields={"rateLimit": ["Expected a dictionary with window and count."]})
    return {"window": value["window"], "count": value["count"]}


def _body(request: Any, limit: int) -> dict[str, Any]:
    body = read_json_body(request, limit) or {}
    if not isinstance(body, dict):
        raise Invalid(fields={"non_field_errors": ["Invalid data. Expected a dictionary."]})
    return body


class KeyRoutes:
    def _project_in(self, org: str, project: str) -> Any:
        return self.store.project(self.store.organization(org), project)

    @app.route("/api/0/projects/<org>/<project>/keys/", methods=["GET"])
    @authenticated
    def list_keys(self, request: Any, org: str, project: str) -> bytes:
        keys = self.store.keys(self._project_in(org, project))
        status = arg(request, "status")
        if status in ("active", "inactive"):
            keys = [key for key in keys if key.is_active == (status == "active")]
        base = base_url(request)
        return json_response(request, [serializers.client_key(k, base)
                                       for k in paginate(request, keys)])

    @app.route("/api/0/projects/<org>/<project>/keys/", methods=["POST"])
    @authenticated
    def create_key(self, request: Any, org: str, project: str) -> bytes:
        found = self._project_in(org, project)
        body = _body(request, self.store.limits.api_body)
        name = body.get("name") or "Default"
        if not isinstance(name, str):
            raise Invalid(fields={"name": ["Not a valid string."]})
        key = self.store.directory.add_key(found, public=body.get("public"),
                                           secret=body.get("secret"), name=name,
                                           now=self.store.now())
        key.rate_limit = _rate_limit(body.get("rateLimit"))
        return json_response(request, serializers.client_key(key, base_url(request)), 201)

    @app.route("/api/0/projects/<org>/<project>/keys/<key_id>/", methods=["GET"])
    @authenticated
    def key_detail(self, request: Any, org: str, project: str, key_id: str) -> bytes:
        key = self.store.directory.key_by_id(self._project_in(org, project), key_id)
        return json_response(request, serializers.client_key(key, base_url(request)))

    @app.route("/api/0/projects/<org>/<project>/keys/<key_id>/", methods=["PUT"])
    @authenticated
    def update_key(self, request: Any, org: str, project: str, key_id: str) -> bytes:
        key = self.store.directory.key_by_id(self._project_in(org, project), key_id)
        body = _body(request, self.store.limits.api_body)
        if "name" in body:
            if not isinstance(body["name"], str):
                raise Invalid(fields={"name": ["Not a valid string."]})
            key.name = body["name"]
        if "isActive" in body:
            if not isinstance(body["isActive"], bool):
                raise Invalid(fields={"isActive": ["Must be a valid boolean."]})
            key.is_active = body["isActive"]
        if "rateLimit" in body:
            key.rate_limit = _rate_limit(body["rateLimit"])
        return json_response(request, serializers.client_key(key, base_url(request)))

    @app.route("/api/0/projects/<org>/<project>/keys/<key_id>/", methods=["DELETE"])
    @authenticated
    def delete_key(self, request: Any, org: str, project: str, key_id: str) -> bytes:
        key = self.store.directory.key_by_id(self._project_in(org, project), key_id)
        self.store.directory.remove_key(key)
        request.setResponseCode(204)
        return b""

    @app.route("/api/0/organizations/<org>/project-keys/", methods=["GET"])
    @authenticated
    def org_keys(self, request: Any, org: str) -> bytes:
        organization = self.store.organization(org)
        keys = [key for project in self.store.projects(organization)
                for key in self.store.keys(project)]
        base = base_url(request)
        return json_response(request, [serializers.client_key(k, base)
                                       for k in paginate(request, keys)])
