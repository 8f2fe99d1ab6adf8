"""
Reading an issue update body (single or bulk) the way Sentry validates it, into an
L{IssueChange} the store applies, and the answer Sentry gives for it.
"""

from __future__ import annotations

from typing import Any

from ..errors import Invalid
from ..store.issues import UNSET, IssueChange

_STATUSES = {"resolved", "unresolved", "ignored", "resolvedInNextRelease", "muted",
             "resolvedInRelease", "reprocessing"}
_SUBSTATUSES = {"archived_until_escalating", "archived_until_condition_met", "archived_forever",
                "escalating", "ongoing", "regressed", "new", None}
_BOOLEAN_FIELDS = {"hasSeen": "has_seen", "isBookmarked": "is_bookmarked",
                   "isPublic": "is_public", "isSubscribed": "is_subscribed"}
_IGNORE_FIELDS = ("ignoreDuration", "ignoreCount", "ignoreWindow", "ignoreUserCount",
                  "ignoreUserWindow")
#: The largest an ignore field may be (Django's integer field bound, as Sentry's).
MAX_IGNORE = 2**31 - 1


def parse_change(body: Any, resolve_actor: Any) -> tuple[IssueChange, dict[str, Any]]:
    """
    Validate an update body.

    @param resolve_actor: turns an C{assignedTo} value into C{"user:ID"}/C{"team:ID"}, or raises
        L{Invalid} for an unknown actor.
    @return: the change, and the body Sentry answers with (the applied fields).
    @raise Invalid: a field has a bad value (field -> messages).
    """
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise Invalid(fields={"non_field_errors": ["Invalid data. Expected a dictionary."]})
    errors: dict[str, list[str]] = {}
    fields: dict[str, Any] = {}
    answer: dict[str, Any] = {}

    status = body.get("status", UNSET)
    details = body.get("statusDetails", UNSET)
    if details is not UNSET and details is not None and not isinstance(details, dict):
        errors["statusDetails"] = ["Invalid data. Expected a dictionary."]
        details = UNSET
    flat_ignore = {name: body[name] for name in _IGNORE_FIELDS if body.get(name) is not None}
    if body.get("snoozeDuration") is not None:
        flat_ignore["ignoreDuration"] = body["snoozeDuration"]
    if status is not UNSET:
        if not isinstance(status, str) or status not in _STATUSES:
            errors["status"] = [f'"{status}" is not a valid choice.']
        else:
            merged = dict(details or {}) if details is not UNSET else {}
            merged.update(flat_ignore)
            if status == "muted":
                status = "ignored"
            if status == "resolvedInNextRelease":
                status, merged = "resolved", {"inNextRelease": True}
            if status == "resolvedInRelease":
                status = "resolved"
            for name in _IGNORE_FIELDS:
                if name in merged:
                    try:
                        merged[name] = int(merged[name])
                    except (TypeError, ValueError, OverflowError):
                        errors[name] = ["A valid integer is required."]
                    else:
                        if not 0 <= merged[name] <= MAX_IGNORE:
                            errors[name] = [f"Ensure this value is less than or equal to "
                                            f"{MAX_IGNORE}."]
            fields["status"], fields["status_details"] = status, merged
            answer["status"], answer["statusDetails"] = status, merged
            if status != "unresolved":
                answer["inbox"] = False
    substatus = body.get("substatus", UNSET)
    if substatus is not UNSET:
        if not (substatus is None or isinstance(substatus, str)) or substatus not in _SUBSTATUSES:
            errors["substatus"] = [f'"{substatus}" is not a valid choice.']
        else:
            fields["substatus"] = substatus
            answer["substatus"] = substatus
    if "assignedTo" in body:
        value = body["assignedTo"]
        try:
            fields["assigned_to"] = resolve_actor(value) if value not in (None, "") else None
            answer["assignedTo"] = value or None
        except Invalid as error:
            errors["assignedTo"] = [error.detail]
    for name, attribute in _BOOLEAN_FIELDS.items():
        if name in body:
            if not isinstance(body[name], bool):
                errors[name] = ["Must be a valid boolean."]
            else:
                fields[attribute] = body[name]
                answer[name] = body[name]
    if "priority" in body:
        if not isinstance(body["priority"], str) or body["priority"] not in ("low", "medium",
                                                                              "high"):
            errors["priority"] = [f'"{body["priority"]}" is not a valid choice.']
        else:
            fields["priority"] = body["priority"]
            answer["priority"] = body["priority"]
    if errors:
        raise Invalid(fields=errors)
    return IssueChange(**fields), answer
