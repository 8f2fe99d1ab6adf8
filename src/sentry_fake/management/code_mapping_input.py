"""
The body of C{POST /api/0/organizations/{org}/code-mappings/bulk/}, read as Sentry's serializer
reads it: C{project} and C{repository} (required text), C{provider} (optional),
C{defaultBranch} (optional; letters, digits, C{_}, C{.}, C{/} and C{-}, not starting or ending
with a slash) and C{mappings}, 1 to 300 objects with a C{stackRoot} and a C{sourceRoot} (text
without spaces or quotes; empty allowed).  Text is trimmed and numbers are taken as text, as
Django REST framework's text fields do.  Errors are Sentry's: each field's messages (an entry per
mapping for the mappings, C{{}} for those without fault), with camelCase names.
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import Invalid

MAX_MAPPINGS = 300
REQUIRED = "This field is required."
NOT_NULL = "This field may not be null."
NOT_BLANK = "This field may not be blank."
NOT_TEXT = "Not a valid string."
BAD_PATH = "Path may not contain spaces or quotations"
BAD_BRANCH = ("Branch name may only have letters, numbers, underscores, forward slashes, dashes, "
              "and periods. Branch name may not start or end with a forward slash.")
NO_MAPPINGS = "At least one mapping is required."
TOO_MANY = f"A maximum of {MAX_MAPPINGS} mappings can be submitted at once."
_PATH = re.compile(r"^[^\s'\"]+\Z")
_BRANCH = re.compile(r"^(^(?![\/]))([\w\.\/-]+)(?<![\/])\Z")
_MISSING = object()


def _not_a_dict(value: Any) -> dict[str, list[str]]:
    return {"nonFieldErrors": [
        f"Invalid data. Expected a dictionary, but got {type(value).__name__}."]}


def _text(value: Any, *, blank: bool, null: bool, required: bool,
          pattern: re.Pattern[str] | None = None,
          message: str = "") -> tuple[str | None, list[str]]:
    """
    A text field's value and its errors.
    """
    if value is _MISSING:
        return None, [REQUIRED] if required else []
    if value is None:
        return None, [] if null else [NOT_NULL]
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None, [NOT_TEXT]
    text = str(value).strip()
    if not text:
        return text, [] if blank else [NOT_BLANK]
    if pattern is not None and not pattern.match(text):
        return None, [message]
    return text, []


def _mapping(item: Any) -> tuple[tuple[str, str] | None, dict[str, Any]]:
    if not isinstance(item, dict):
        return None, _not_a_dict(item)
    roots, errors = [], {}
    for name in ("stackRoot", "sourceRoot"):
        value, problems = _text(item.get(name, _MISSING), blank=True, null=False, required=True,
                                pattern=_PATH, message=BAD_PATH)
        if problems:
            errors[name] = problems
        roots.append(value or "")
    return (roots[0], roots[1]) if not errors else None, errors


def _mappings(value: Any) -> tuple[list[tuple[str, str]], Any]:
    if value is _MISSING:
        return [], [REQUIRED]
    if value is None:
        return [], [NOT_NULL]
    if not isinstance(value, list):
        return [], {"nonFieldErrors": [
            f'Expected a list of items but got type "{type(value).__name__}".']}
    parsed = [_mapping(item) for item in value]
    if any(errors for _, errors in parsed):
        return [], [errors for _, errors in parsed]
    if not value:
        return [], [NO_MAPPINGS]
    if len(value) > MAX_MAPPINGS:
        return [], [TOO_MANY]
    return [mapping for mapping, _ in parsed if mapping is not None], None


def bulk_code_mappings(body: Any) -> dict[str, Any]:
    """
    The fields of a bulk upload: C{project}, C{repository}, C{provider} (or C{None}),
    C{default_branch} (C{""} when not given) and C{mappings} as (stack root, source root) pairs.

    @raise Invalid: with C{fields}, Sentry's validation errors.
    """
    if not isinstance(body, dict):
        raise Invalid(fields=_not_a_dict(body))
    errors: dict[str, Any] = {}
    values: dict[str, Any] = {}
    for name, key, options in (
            ("project", "project", {"blank": False, "null": False, "required": True}),
            ("repository", "repository", {"blank": False, "null": False, "required": True}),
            ("provider", "provider", {"blank": True, "null": True, "required": False}),
            ("defaultBranch", "default_branch",
             {"blank": True, "null": False, "required": False, "pattern": _BRANCH,
              "message": BAD_BRANCH})):
        value, problems = _text(body.get(name, _MISSING), **options)
        if problems:
            errors[name] = problems
        values[key] = value
    values["mappings"], problems = _mappings(body.get("mappings", _MISSING))
    if problems:
        errors["mappings"] = problems
    if errors:
        raise Invalid(fields=errors)
    values["provider"] = values["provider"] or None
    values["default_branch"] = values["default_branch"] or ""
    return values
