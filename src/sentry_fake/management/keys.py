"""
Client keys (DSNs): a project's keys, and an organization's.
"""

from __future__ import annotations

from typing import Any

from .. import ids
from ..errors import Invalid
from ..http import arg, base_url, json_response, read_json_body
from ..interfaces import IDirectory, IWrites
from ..store.records import UNSET, KeyChanged, KeyCreated, KeyDeleted
from . import serializers
from .app import app, authenticated
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
    #: The roles of the store these routes use (checked by tests/test_interfaces.py).
    roles = (IDirectory, IWrites)

    def _project_in(self, org: str, project: str) -> Any:
        return self.store.directory.project(self.store.directory.organization(org), project)

    @app.route("/api/0/projects/<org>/<project>/keys/", methods=["GET"])
    @authenticated
    def list_keys(self, request: Any, org: str, project: str) -> bytes:
        keys = self.store.directory.keys_of(self._project_in(org, project))
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
        errors: dict[str, list[str]] = {}
        if not isinstance(name, str):
            errors["name"] = ["Not a valid string."]
        for field in ("public", "secret"):
            if body.get(field) is not None and (not isinstance(body[field], str)
                                                or not body[field].strip()):
                errors[field] = ["Not a valid string."]
        if errors:
            raise Invalid(fields=errors)
        key = self.store.create_key(KeyCreated(
            time=self.store.now(), project_id=found.id,
            public=body.get("public") or ids.hex_token(16),
            secret=body.get("secret") or ids.hex_token(16), name=name,
            rate_limit=_rate_limit(body.get("rateLimit"))))
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
        errors: dict[str, list[str]] = {}
        name = is_active = rate_limit = UNSET
        if "name" in body:
            if isinstance(body["name"], str):
                name = body["name"]
            else:
                errors["name"] = ["Not a valid string."]
        if "isActive" in body:
            if isinstance(body["isActive"], bool):
                is_active = body["isActive"]
            else:
                errors["isActive"] = ["Must be a valid boolean."]
        if "rateLimit" in body:
            try:
                rate_limit = _rate_limit(body["rateLimit"])
            except Invalid as error:
                errors.update(error.fields or {})
        if errors:
            raise Invalid(fields=errors)
        key = self.store.change_key(KeyChanged(time=self.store.now(), key_id=key.id, name=name,
                                               is_active=is_active, rate_limit=rate_limit))
        return json_response(request, serializers.client_key(key, base_url(request)))

    @app.route("/api/0/projects/<org>/<project>/keys/<key_id>/", methods=["DELETE"])
    @authenticated
    def delete_key(self, request: Any, org: str, project: str, key_id: str) -> bytes:
        key = self.store.directory.key_by_id(self._project_in(org, project), key_id)
        self.store.delete_key(KeyDeleted(time=self.store.now(), key_id=key.id))
        request.setResponseCode(204)
        return b""

    @app.route("/api/0/organizations/<org>/project-keys/", methods=["GET"])
    @authenticated
    def org_keys(self, request: Any, org: str) -> bytes:
        organization = self.store.directory.organization(org)
        keys = [key for project in self.store.directory.projects_of(organization)
                for key in self.store.directory.keys_of(project)]
        base = base_url(request)
        return json_response(request, [serializers.client_key(k, base)
                                       for k in paginate(request, keys)])
