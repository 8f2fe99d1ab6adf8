"""
Request bodies of the release routes, checked as Sentry's serializers check them.

Each reader returns plain values (datetimes as epoch seconds) or raises L{Invalid} with a dict
of field messages, every bad field at once, as Django REST framework answers.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from ..errors import Invalid
from ..store.commits import COMMIT_RANGE_DELIMITER
from ..store.releases import MAX_VERSION_LENGTH, is_valid_version
from ..timefmt import parse_timestamp

REQUIRED = "This field is required."
NOT_NULL = "This field may not be null."
NOT_A_STRING = "Not a valid string."
BAD_URL = "Enter a valid URL."
BAD_DATE = ("Datetime has wrong format. Use one of these formats instead: "
            "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].")
MAX_COMMIT_LENGTH = 64
STATUSES = ("open", "archived")


def _too_long(limit: int) -> str:
    return f"Ensure this field has no more than {limit} characters."


def _not_a_list(value: Any) -> str:
    return f'Expected a list of items but got type "{type(value).__name__}".'


class Fields:
    """
    Collects field errors while a body is read; L{check} raises them together.
    """

    def __init__(self, body: Any) -> None:
        self.body = body if isinstance(body, dict) else {}
        self.errors: dict[str, Any] = {}

    def fail(self, name: str, message: Any) -> None:
        self.errors.setdefault(name, message if isinstance(message, dict) else [message])

    def check(self) -> None:
        if self.errors:
            raise Invalid(fields=self.errors)

    def string(self, name: str, limit: int | None = None, required: bool = False,
               nullable: bool = True) -> str | None:
        if name not in self.body:
            if required:
                self.fail(name, REQUIRED)
            return None
        value = self.body[name]
        if value is None:
            if not nullable:
                self.fail(name, NOT_NULL)
            return None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            self.fail(name, NOT_A_STRING)
            return None
        if limit is not None and len(value) > limit:
            self.fail(name, _too_long(limit))
            return None
        return value

    def url(self, name: str) -> str | None:
        value = self.string(name)
        if value:
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https", "ftp", "ftps") or not parts.netloc:
                self.fail(name, BAD_URL)
                return None
        return value or None

    def date(self, name: str) -> float | None:
        value = self.body.get(name)
        if value is None:
            return None
        parsed = parse_timestamp(value) if isinstance(value, str) else None
        if parsed is None:
            self.fail(name, BAD_DATE)
        return parsed

    def status(self) -> str | None:
        value = self.string("status", nullable=False)
        if value is not None and value not in STATUSES:
            self.fail("status", f"Invalid status {value}")
            return None
        return value

    def items(self, name: str) -> list[Any] | None:
        value = self.body.get(name)
        if value is None:
            if name in self.body:
                self.fail(name, NOT_NULL)
            return None
        if not isinstance(value, list):
            self.fail(name, _not_a_list(value))
            return None
        return value


def version_field(fields: Fields) -> str | None:
    version = fields.string("version", MAX_VERSION_LENGTH, required=True, nullable=False)
    if version is not None and not is_valid_version(version):
        fields.fail("version", f"Release with name {version} is not allowed")
        return None
    return version


def _commits(fields: Fields) -> list[dict[str, Any]] | None:
    entries = fields.items("commits")
    if entries is None:
        return None
    commits, errors = [], {}
    for index, entry in enumerate(entries):
        item = Fields(entry)
        if not isinstance(entry, dict):
            item.fail("non_field_errors", "Invalid data. Expected a dictionary, but got "
                                          f"{type(entry).__name__}.")
        commit = {
            "id": item.string("id", MAX_COMMIT_LENGTH, required=True, nullable=False),
            "repository": item.string("repository", 200),
            "message": item.string("message"),
            "author_name": item.string("author_name", 128),
            "author_email": item.string("author_email", 200),
            "timestamp": item.date("timestamp"),
            "patch_set": item.items("patch_set") or [],
        }
        if item.errors:
            errors[str(index)] = item.errors
        commits.append(commit)
    if errors:
        fields.fail("commits", errors)
    return commits


def _refs(fields: Fields) -> list[dict[str, Any]] | None:
    entries = fields.items("refs")
    if entries is None:
        return None
    refs, errors = [], {}
    for index, entry in enumerate(entries):
        item = Fields(entry)
        ref = {
            "repository": item.string("repository", 200, required=True, nullable=False),
            "commit": item.string("commit", required=True, nullable=False),
            "previousCommit": item.string("previousCommit", MAX_COMMIT_LENGTH),
        }
        commit = ref["commit"]
        if commit is not None and COMMIT_RANGE_DELIMITER in commit:
            start, _, end = commit.partition(COMMIT_RANGE_DELIMITER)
            if not start or not end or COMMIT_RANGE_DELIMITER in end:
                item.fail("commit", "Commit cannot begin or end with ..")
            elif max(len(start), len(end)) > MAX_COMMIT_LENGTH:
                item.fail("commit", "Start or end commit too long - max is 64 chars each")
        elif commit is not None and len(commit) > MAX_COMMIT_LENGTH:
            item.fail("commit", "Commit too long - max is 64 chars")
        if item.errors:
            errors[str(index)] = item.errors
        refs.append(ref)
    if errors:
        fields.fail("refs", errors)
    return refs


def release_changes(fields: Fields) -> dict[str, Any]:
    """
    The fields a release create or update may set (everything but C{version} and C{projects}).
    """
    return {
        "ref": fields.string("ref", MAX_VERSION_LENGTH),
        "url": fields.url("url"),
        "date_released": fields.date("dateReleased"),
        "status": fields.status(),
        "commits": _commits(fields),
        "refs": _refs(fields),
    }


def new_release(body: Any, with_projects: bool = True) -> dict[str, Any]:
    """
    A release create body: C{version}, C{projects} (slugs or ids; required on the organization
    route, absent on the project route) and the optional fields.
    """
    fields = Fields(body)
    if not isinstance(body, dict):
        fields.fail("version", REQUIRED)
    values = {"version": version_field(fields), **release_changes(fields),
              "date_started": fields.date("dateStarted"), "owner": fields.string("owner")}
    if with_projects:
        projects = fields.items("projects")
        if projects is None and "projects" not in fields.body:
            fields.fail("projects", REQUIRED)
        values["projects"] = projects or []
    fields.check()
    return values


def release_update(body: Any) -> dict[str, Any]:
    """
    A release update body; C{projects} and unknown fields are ignored, as Sentry ignores them.
    """
    fields = Fields(body)
    values = release_changes(fields)
    fields.check()
    return values


def _valid_environment(name: str) -> bool:
    return (name not in (".", "..") and name.lower() != "none"
            and not any(char in name for char in "/\r\n\t\x0c"))


def new_deploy(body: Any) -> dict[str, Any]:
    """
    A deploy create body: C{environment} (required), C{name}, C{url}, C{dateStarted},
    C{dateFinished} and C{projects} (slugs).
    """
    fields = Fields(body)
    environment = fields.string("environment", 64, required=True, nullable=False)
    if environment is not None and not _valid_environment(environment):
        fields.fail("environment", "Invalid value for environment")
    values = {
        "environment": environment, "name": fields.string("name", 64) or None,
        "url": fields.url("url"), "date_started": fields.date("dateStarted"),
        "date_finished": fields.date("dateFinished"), "projects": fields.items("projects"),
    }
    fields.check()
    return values


def new_repository(body: Any) -> dict[str, Any]:
    """
    A repository create body: C{name} (C{owner/repo}), C{provider} (default GitHub), C{url}.
    """
    fields = Fields(body)
    name = fields.string("name", 200, required=True, nullable=False)
    if name is not None and not name.strip():
        fields.fail("name", "This field may not be blank.")
    provider = fields.string("provider", 64) or "integrations:github"
    url = fields.url("url")
    fields.check()
    if url is None and provider == "integrations:github":
        url = f"https://github.com/{name}"
    return {"name": name, "provider": provider, "url": url}
