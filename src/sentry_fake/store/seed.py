"""
The state every start and every reset returns to: the seeded organization, team, project and
client key, plus whatever a C{--seed} file adds.

A seed file is JSON with four optional lists, each entry naming its parent by slug::

    {"organizations": [{"slug": "acme", "name": "Acme"}],
     "teams":         [{"organization": "acme", "slug": "backend"}],
     "projects":      [{"organization": "acme", "team": "backend", "slug": "api",
                        "name": "API", "platform": "python", "id": 42}],
     "keys":          [{"organization": "acme", "project": "api", "public": "0123...", "secret": "..."}]}

Projects get a default client key unless the file gives keys for them.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import attrs

from ..errors import Invalid
from .directory import Directory


@attrs.frozen
class Seed:
    organization: str = "parlel"
    team: str = "parlel"
    project: str = "parlel"
    public_key: str = "parlel"
    extra: dict[str, Any] = attrs.Factory(dict)

    def apply(self, directory: Directory) -> None:
        org = directory.add_organization(self.organization, id=1)
        team = directory.add_team(org, self.team, id=1)
        project = directory.add_project(org, team, self.project, slug=self.project, id=1)
        directory.add_key(project, public=self.public_key, secret=_derived(self.public_key))
        _apply_extra(directory, self.extra)


def _derived(*parts: str) -> str:
    """
    32 hex digits that are a function of C{parts}: the seeded keys a seed does not spell out
    are the same in every run, so a DSN copied once keeps working.
    """
    return hashlib.sha256(":".join(("sentry-fake",) + parts).encode()).hexdigest()[:32]


def load_seed_file(path: str) -> dict[str, Any]:
    """
    Read and check a seed file.

    @raise Invalid: the file is not JSON of the expected shape.
    """
    try:
        with open(path, "rb") as handle:
            data = json.load(handle)
    except OSError as error:
        raise Invalid(f"cannot read seed file {path}: {error.strerror}")
    except ValueError as error:
        raise Invalid(f"seed file {path} is not JSON: {error}")
    if not isinstance(data, dict):
        raise Invalid(f"seed file {path} must hold a JSON object")
    for section in ("organizations", "teams", "projects", "keys"):
        entries = data.get(section, [])
        if not isinstance(entries, list) or not all(isinstance(e, dict) and e.get("slug" if section != "keys" else "project") for e in entries):
            raise Invalid(f"seed file {path}: {section!r} must be a list of objects with a "
                          f"{'slug' if section != 'keys' else 'project'}")
    return data


def _apply_extra(directory: Directory, data: dict[str, Any]) -> None:
    for entry in data.get("organizations", []):
        directory.add_organization(entry["slug"], entry.get("name"), id=entry.get("id"))
    first_org = directory.organizations()[0]

    def org_of(entry: dict[str, Any]):
        return directory.organization(entry["organization"]) if entry.get("organization") else first_org

    for entry in data.get("teams", []):
        directory.add_team(org_of(entry), entry["slug"], entry.get("name"), id=entry.get("id"))
    keyed = {(e.get("organization"), e["project"]) for e in data.get("keys", [])}
    for entry in data.get("projects", []):
        org = org_of(entry)
        team = directory.team(org, entry["team"]) if entry.get("team") else None
        project = directory.add_project(org, team, entry.get("name") or entry["slug"],
                                        slug=entry["slug"], platform=entry.get("platform"),
                                        id=entry.get("id"))
        if (entry.get("organization"), entry["slug"]) not in keyed:
            directory.add_key(project, public=_derived(org.slug, project.slug, "public"),
                              secret=_derived(org.slug, project.slug, "secret"))
    for number, entry in enumerate(data.get("keys", [])):
        org = org_of(entry)
        project = directory.project(org, entry["project"])
        public = entry.get("public") or _derived(org.slug, project.slug, str(number), "public")
        secret = entry.get("secret") or _derived(org.slug, project.slug, str(number), "secret")
        directory.add_key(project, public=public, secret=secret,
                          name=entry.get("name", "Default"))
