"""
The outcomes of ingest requests the store was not given: refused (C{invalid}, with Relay's
discard reason) or answered 429 by an injected fault (C{rate_limited}, with the reason code of
the rate limit), in every data category the request's items count in.  Pure functions.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Iterable

from ..errors import IngestRejected
from ..store.outcome_rules import Tracked, item_quantities
from .envelope import Envelope

#: The reasons of the domain errors that are not L{RefusedItem}s, by their detail.
_REASONS = {"invalid event id": "invalid_event_id", "invalid event": "invalid_json"}
_INGEST_PATH = re.compile(rb"^/api/(\d+)/([a-z_-]+)/")

Items = Iterable[tuple[str, dict[str, Any], int]]


def discard_reason(error: BaseException) -> str:
    """
    Relay's reason for an envelope refused with C{error}.
    """
    if isinstance(error, IngestRejected):
        return "project_id"
    reason = getattr(error, "discard_reason", None)
    if isinstance(reason, str):
        return reason
    return _REASONS.get(getattr(error, "detail", ""), "invalid_envelope")


def envelope_items(envelope: Envelope) -> list[tuple[str, dict[str, Any], int]]:
    return [(item.headers["type"], item.headers, len(item.payload)) for item in envelope.items]


def tracked(outcome: str, items: Items, reason: Callable[[str], str | None]) -> list[Tracked]:
    """
    The outcomes of refused items, by data category, each with C{reason(category)}.
    """
    totals: dict[str, int] = {}
    for item_type, headers, size in items:
        for category, quantity in item_quantities(item_type, headers, size):
            totals[category] = totals.get(category, 0) + quantity
    return [Tracked(outcome, category, quantity, reason(category))
            for category, quantity in totals.items()]


def rate_limit_reasons(header: str | None) -> Callable[[str], str | None]:
    """
    The reason code each data category is rate limited with, read from an
    C{X-Sentry-Rate-Limits} value (C{retry_after:categories:scope:reason_code, ...}): that of
    the first limit naming the category (or naming none, so all), else none.
    """
    limits = []
    for limit in (header or "").split(","):
        parts = limit.strip().split(":")
        if len(parts) < 2:
            continue
        categories = frozenset(name for name in parts[1].split(";") if name)
        limits.append((categories, parts[3] if len(parts) > 3 and parts[3] else None))

    def reason(category: str) -> str | None:
        for categories, code in limits:
            if not categories or category in categories:
                return code
        return None

    return reason


def ingest_target(path: bytes) -> tuple[int, str] | None:
    """
    The project id and endpoint of an ingest path (C{/api/1/envelope/}: C{(1, "envelope")}).
    """
    match = _INGEST_PATH.match(path if path.endswith(b"/") else path + b"/")
    if match is None:
        return None
    return int(match.group(1)), match.group(2).decode("ascii")


def endpoint_items(endpoint: str, body_size: int) -> list[tuple[str, dict[str, Any], int]]:
    """
    What a request to an ingest endpoint other than the envelope and store endpoints holds,
    as Relay counts it: a security report, a crash (an event with its attachment), a file.
    """
    if endpoint in ("security", "csp-report"):
        return [("security", {}, body_size)]
    if endpoint in ("minidump", "unreal"):
        return [("event", {}, 0), ("attachment", {}, body_size)]
    if endpoint == "events":
        return [("attachment", {}, body_size)]
    return []
