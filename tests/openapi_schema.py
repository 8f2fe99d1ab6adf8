"""
Sentry's published OpenAPI schema, read as the oracle of the management API's contract.

The schema (C{openapi-derefed.json}, every C{$ref} inlined) is reference data kept beside the
repository, never inside it: C{SENTRY_OPENAPI} names the file, or it is looked for in
C{../shared/sentry-openapi/} from the project's root.
"""

from __future__ import annotations

import copy
import json
import os
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import attrs
from jsonschema import Draft4Validator

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT.parent / "shared" / "sentry-openapi" / "openapi-derefed.json"
METHODS = ("get", "post", "put", "delete", "patch")


def location() -> Path:
    return Path(os.environ.get("SENTRY_OPENAPI", DEFAULT))


@cache
def schema() -> dict[str, Any]:
    return json.loads(location().read_text())


def template_of(path: str) -> str:
    """
    A path with every parameter written C{{}}, so that Sentry's C{{issue_id}} and a route's
    C{<issue_id>} compare equal.
    """
    return re.sub(r"\{[^}]+\}|<[^>]+>", "{}", path)


def operations() -> dict[tuple[str, str], dict[str, Any]]:
    """
    Every documented operation, keyed by C{(METHOD, path template)}.
    """
    found = {}
    for path, item in schema()["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                found[method.upper(), template_of(path)] = dict(operation, path=path)
    return found


@attrs.frozen
class Erratum:
    """
    A place where the published schema contradicts what Sentry's own serializer answers (and
    what its clients read): C{fix} rewrites the schema of C{keys} (property names from the
    answer's object, or each item of a list answer) in operations whose path matches
    C{paths}.
    """

    paths: str
    keys: tuple[str, ...]
    fix: Callable[[dict[str, Any]], dict[str, Any]]
    reason: str


def _nullable(node: dict[str, Any]) -> dict[str, Any]:
    return dict(node, nullable=True)


def _listed(node: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": node}


def _integer(node: dict[str, Any]) -> dict[str, Any]:
    return dict(node, type="integer")


ERRATA = (
    Erratum(r"/monitors/$|/monitors/\{[^}]+\}/$", ("environments",), _listed,
            "MonitorSerializer answers a list of environments (the schema types one object); "
            "Sentry's MCP server reads it as an array"),
    Erratum(r"/monitors/$|/monitors/\{[^}]+\}/$", ("owner",), _nullable,
            "MonitorSerializer answers owner None for a monitor nobody owns"),
    Erratum(r"/issues/$", ("inbox",), _nullable,
            "an issue out of the inbox has inbox None (Sentry's generated API client types "
            "it `| null`), as the issue detail schema allows"),
    Erratum(r"/issues/$", ("owners",), _nullable,
            "owners is None for an issue without suggested owners, as the issue detail "
            "schema allows"),
    Erratum(r"/releases/", ("lastDeploy", "name"), _nullable,
            "the deploy serializer's name is nullable, as the deploys list schema says"),
    Erratum(r"/stats-summary/$", ("projects", "id"), _integer,
            "massage_sessions_result_summary answers each project's id as the integer "
            "project_id of its outcome rows (its _Project type says int)"),
)


def _patch(node: dict[str, Any], keys: tuple[str, ...],
           fix: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    if node.get("type") == "array":
        _patch(node["items"], keys, fix)
        return
    properties = node.get("properties") or {}
    if keys[0] not in properties:
        return
    if len(keys) == 1:
        properties[keys[0]] = fix(properties[keys[0]])
    else:
        _patch(properties[keys[0]], keys[1:], fix)


def _json_schema(node: Any) -> Any:
    """
    An OpenAPI 3.0 schema object as JSON Schema: C{nullable} becomes a C{null} type.
    """
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _json_schema(value) for key, value in node.items()
                 if key not in ("nullable", "example", "discriminator")}
    if node.get("nullable"):
        if "type" in converted:
            converted["type"] = [converted["type"], "null"]
            if "enum" in converted:
                converted["enum"] = [*converted["enum"], None]
        else:
            converted = {"anyOf": [converted, {"type": "null"}]}
    return converted


@cache
def _validator(method: str, template: str, status: str) -> Draft4Validator | None:
    operation = operations()[method, template]
    content = (operation["responses"][status].get("content") or {}).get("application/json")
    if not content or "schema" not in content:
        return None
    schema_ = copy.deepcopy(content["schema"])
    for erratum in ERRATA:
        if re.search(erratum.paths, operation["path"]):
            _patch(schema_, erratum.keys, erratum.fix)
    return Draft4Validator(_json_schema(schema_))


def documents_body(method: str, template: str, status: int) -> bool:
    return _validator(method, template, str(status)) is not None


def documented_statuses(method: str, template: str) -> set[int]:
    return {int(status) for status in operations()[method, template]["responses"]}


def violations(method: str, template: str, status: int, body: Any) -> list[str]:
    """
    How a response body breaks the schema documented for C{status}, one line per error.
    """
    validator = _validator(method, template, str(status))
    if validator is None:
        return []
    return sorted(
        f"{'/'.join(str(part) for part in error.absolute_path) or '(body)'}: {error.message}"
        for error in validator.iter_errors(body))
