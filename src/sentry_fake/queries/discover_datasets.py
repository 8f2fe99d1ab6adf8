"""
Sentry's Discover datasets: error events (C{errors}), transaction events (C{transactions}) and
both together (C{discover}, the default), read from the store's event log.  A column Sentry does
not define is read as the event's tag of that name.
"""

from __future__ import annotations

from typing import Any, Iterator

from ..store.normalize import event_tags
from ..short_ids import short_id
from .dataset import Dataset, merged_newest

_STRING = ("string", None)
_COLUMNS = {
    "id": _STRING, "title": _STRING, "message": _STRING, "level": _STRING,
    "timestamp": ("date", None), "project": _STRING, "project.name": _STRING,
    "project.id": ("integer", None), "issue": _STRING, "issue.id": ("integer", None),
    "culprit": _STRING, "environment": _STRING, "release": _STRING,
    "user.display": _STRING, "user.email": _STRING, "user.id": _STRING,
    "user.username": _STRING, "user.ip": _STRING, "user": _STRING, "trace": _STRING,
    "trace.span": _STRING, "transaction": _STRING, "url": _STRING, "event.type": _STRING,
    "platform": _STRING, "location": _STRING, "error.type": ("array", None),
    "error.value": ("array", None), "error.handled": ("array", None),
    "transaction.duration": ("duration", "millisecond"), "transaction.op": _STRING,
    "transaction.status": _STRING, "timestamp_ms": ("date", None),
}
#: What each event type counts as in C{failure_rate()}: a transaction that did not end ok.
_NOT_FAILED = frozenset({"ok", "cancelled", "unknown"})


class Discover(Dataset):
    """
    Error and transaction events alike (C{dataset=discover}, or none).
    """

    name = "discover"
    eap = False
    text_columns = ("title", "message", "culprit")
    columns = _COLUMNS
    #: Which event types the dataset holds (C{None}: all).
    types: frozenset[str] | None = None

    def __init__(self, store: Any, project_ids: list[int]) -> None:
        super().__init__(store, project_ids)
        self._ahead = store.event_time_bounds()[0]

    def rows(self) -> Iterator[Any]:
        facets = (self.store.events(project_id=pid) for pid in self.project_ids)
        for event in merged_newest(facets, key=lambda event: (event.received, event.seq)):
            if self._holds(event):
                yield event

    def _holds(self, event: Any) -> bool:
        if self.types is None:
            return event.type != "feedback"
        return event.type in self.types

    def timestamp(self, event: Any) -> float:
        return event.timestamp

    def horizon(self, event: Any) -> float:
        # An event's time is never further ahead of its arrival than the store has seen one be
        # (and never more than a minute: Relay's clamp).
        return event.received + self._ahead

    def failed(self, event: Any) -> bool:
        return event.type == "transaction" and self._segment_status(event) not in _NOT_FAILED

    def _segment(self, event: Any) -> Any:
        if event.type != "transaction" or not event.trace_id or not event.span_id:
            return None
        return self.store.traces.span(event.trace_id, event.span_id)

    def _segment_status(self, event: Any) -> str | None:
        segment = self._segment(event)
        return segment.status if segment is not None else None

    def _issue_short_id(self, event: Any) -> str | None:
        if event.issue_id is None:
            return None
        try:
            issue = self.store.issue(event.issue_id)
        except Exception:
            return None
        return short_id(self.slug(issue.project_id) or "", issue.short_id)

    def _user(self, event: Any, key: str) -> Any:
        user = event.user or {}
        if key == "display":
            return user.get("email") or user.get("username") or user.get("ip_address") \
                or user.get("id")
        value = user.get("ip_address" if key == "ip" else key)
        return None if value is None else str(value)

    def read(self, event: Any, column: str) -> Any:
        simple = _READERS.get(column)
        if simple is not None:
            return simple(event)
        if column == "issue":
            return self._issue_short_id(event)
        if column in ("project", "project.name", "project.slug", "project.id"):
            return self.project_of(event, column)
        if column.startswith("user."):
            return self._user(event, column[len("user."):])
        if column == "transaction.duration":
            segment = self._segment(event)
            return segment.duration_ms if segment is not None else None
        if column == "transaction.op":
            segment = self._segment(event)
            return segment.op if segment is not None else None
        if column == "transaction.status":
            return self._segment_status(event)
        if column in ("error.type", "error.value"):
            value = event.metadata.get("type" if column == "error.type" else "value")
            return [value] if value else []
        if column == "error.handled":
            return [not event.unhandled] if event.type == "error" else []
        name = column[5:-1] if column.startswith("tags[") and column.endswith("]") else column
        name = name.split(",")[0].strip()
        return next((value for key, value in event_tags(event) if key == name), None)


_READERS = {
    "id": lambda event: event.event_id, "title": lambda event: event.title,
    "message": lambda event: event.message, "level": lambda event: event.level,
    "timestamp": lambda event: event.timestamp, "timestamp_ms": lambda event: event.timestamp,
    "issue.id": lambda event: event.issue_id, "culprit": lambda event: event.culprit,
    "environment": lambda event: event.environment, "release": lambda event: event.release,
    "trace": lambda event: event.trace_id, "trace.span": lambda event: event.span_id,
    "event.type": lambda event: event.type, "platform": lambda event: event.platform,
    "location": lambda event: event.location,
}


class Errors(Discover):
    name = "errors"
    types = frozenset({"error", "default", "csp", "hpkp", "expectct", "expectstaple",
                       "nel"})


class Transactions(Discover):
    name = "transactions"
    text_columns = ("transaction", "title")
    types = frozenset({"transaction"})
