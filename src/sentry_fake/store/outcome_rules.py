"""
What Sentry counts of the data sent to it, as Relay and Sentry count it: the data categories
and quantities of each envelope item, the outcome of each event and check-in an ingest record
brought, and the client discards of the client reports SDKs send.  Pure functions.

Outcomes and data categories are named as Sentry names them (C{sentry.utils.outcomes.Outcome},
Relay's C{DataCategory}); reasons are Relay's discard reasons.
"""

from __future__ import annotations

from typing import Any

import attrs

from ..jsoncodec import loads
from ..timefmt import parse_timestamp

#: Sentry's outcomes, in the order of C{sentry.utils.outcomes.Outcome}.
OUTCOMES = ("accepted", "filtered", "rate_limited", "invalid", "abuse", "client_discard",
            "cardinality_limited")
#: Relay's data categories by their API names (C{DataCategory::name}).
CATEGORIES = (
    "default", "error", "transaction", "security", "attachment", "session", "profile", "replay",
    "transaction_processed", "transaction_indexed", "monitor", "profile_indexed", "span",
    "monitor_seat", "feedback", "metric_bucket", "span_indexed", "profile_duration",
    "profile_chunk", "metric_second", "replay_video", "uptime", "attachment_item", "log_item",
    "log_byte", "profile_duration_ui", "profile_chunk_ui", "seer_autofix", "seer_scanner",
    "prevent_user", "prevent_review", "size_analysis", "installable_build", "trace_metric",
    "seer_user", "profile_backend", "profile_ui", "trace_metric_byte", "snapshot_image",
)
#: Other names Relay reads a category by (C{DataCategory::from_name}).
CATEGORY_ALIASES = {"user_report_v2": "feedback"}
#: The categories Sentry shows together as C{error}.
ERROR_CATEGORIES = ("default", "error", "security")

_SECURITY_EVENTS = frozenset({"csp", "hpkp", "expectct", "expectstaple"})
#: Item types that may hold several items (Relay's C{ItemType::can_support_container}).
_CONTAINERS = frozenset({"log", "span", "trace_metric", "attachment"})
#: Platforms whose profile chunks are UI profiles (C{relay_profiling::ProfileType}).
_UI_PLATFORMS = frozenset({"cocoa", "android", "javascript"})
_ONE = {"event": ("error",), "security": ("security",), "raw_security": ("security",),
        "unreal_report": ("error",), "user_report": ("feedback",), "feedback": ("feedback",),
        "session": ("session",), "sessions": ("session",), "check_in": ("monitor",),
        "trace_metric": ("trace_metric",), "replay_event": ("replay",),
        "replay_recording": ("replay",), "replay_video": ("replay",),
        "transaction": ("transaction", "transaction_indexed"),
        "profile": ("profile", "profile_indexed"), "span": ("span", "span_indexed")}


@attrs.frozen
class Tracked:
    """
    One outcome: C{quantity} of a data category (bytes for attachments and log bytes, a count
    otherwise) that met it, and why (Relay's reason, C{None} for accepted data).
    """

    outcome: str
    category: str
    quantity: int
    reason: str | None = None


def _item_count(item_type: str, headers: dict[str, Any]) -> int:
    count = headers.get("item_count") if item_type in _CONTAINERS else None
    if isinstance(count, int) and not isinstance(count, bool) and count >= 0:
        return count
    return 1


def item_quantities(item_type: str, headers: dict[str, Any], size: int
                    ) -> list[tuple[str, int]]:
    """
    The data categories an envelope item counts in, with its quantity in each (Relay's
    C{Item::quantities}): nothing for client reports, metrics and unknown item types.

    @param size: the length of its payload in bytes.
    """
    count = _item_count(item_type, headers)
    if item_type == "attachment":
        return [("attachment", max(size, 1)), ("attachment_item", count)]
    if item_type == "log":
        return [("log_byte", max(size, 1)), ("log_item", count)]
    if item_type == "profile_chunk":
        platform = headers.get("profile_type") or headers.get("platform")
        if platform in ("ui", "backend"):
            return [("profile_chunk_ui" if platform == "ui" else "profile_chunk", count)]
        if not isinstance(platform, str):
            return []
        return [("profile_chunk_ui" if platform in _UI_PLATFORMS else "profile_chunk", count)]
    return [(category, count) for category in _ONE.get(item_type, ())]


def event_category(event_type: str) -> str:
    """
    The data category of a stored event, by its type (Relay's C{From<EventType>}).
    """
    if event_type == "transaction":
        return "transaction"
    if event_type in _SECURITY_EVENTS:
        return "security"
    if event_type == "feedback":
        return "feedback"
    return "error"


def accepted_event(event_type: str) -> list[Tracked]:
    category = event_category(event_type)
    tracked = [Tracked("accepted", category, 1)]
    if category == "transaction":
        tracked.append(Tracked("accepted", "transaction_indexed", 1))
    return tracked


def client_discards(payload: bytes, received: float) -> list[tuple[float, Tracked]]:
    """
    The C{client_discard} outcomes of a client report, each at its time: the report's
    C{timestamp} when it is a time before C{received}, else C{received} (Relay clamps the same
    way).  Entries of an unknown category, or without a reason or a positive quantity, are
    skipped.
    """
    try:
        report = loads(payload)
    except ValueError:
        return []
    if not isinstance(report, dict):
        return []
    when = _report_time(report.get("timestamp"), received)
    found: list[tuple[float, Tracked]] = []
    entries = report.get("discarded_events")
    for entry in entries if isinstance(entries, list) else ():
        if not isinstance(entry, dict):
            continue
        category, reason, quantity = (entry.get("category"), entry.get("reason"),
                                      entry.get("quantity"))
        category = CATEGORY_ALIASES.get(category, category) if isinstance(category, str) else None
        if category not in CATEGORIES or not isinstance(reason, str) or not reason:
            continue
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
            continue
        found.append((when, Tracked("client_discard", category, quantity, reason)))
    return found


def _report_time(value: Any, received: float) -> float:
    when = parse_timestamp(value)
    if when is None or when > received:
        return received
    return when
