"""
The datasets Sentry keeps in its event analytics platform: spans, logs and trace metrics,
read from the store's trace book.  Column names are Sentry's public aliases; a name Sentry does
not define reads the row's attribute of that name (as Sentry does, silently null when absent).
"""

from __future__ import annotations

import heapq
import itertools
from typing import Any, Iterator, Sequence

from .dataset import Dataset, merged_newest

_STRING = ("string", None)
_DURATION = ("duration", "millisecond")
_SIMPLE = ("environment", "release", "platform", "sdk.name", "sdk.version", "origin",
           "browser.name", "browser.version", "replay_id")
_COMMON = {
    "project": _STRING, "project.slug": _STRING, "project.name": _STRING,
    "project.id": _STRING, "project_id": ("integer", None), "trace": _STRING,
    "timestamp": _STRING, "organization.id": _STRING, **dict.fromkeys(_SIMPLE, _STRING),
}
#: The span statuses that do not count as failures (Sentry's C{failure_rate()}).
_NOT_FAILED = frozenset({"ok", "cancelled", "unknown"})
#: A query for one operation reads that operation's spans (not every span, newest first, until
#: the page is full) when they are at most this many, or an eighth of the projects' spans.
FEW_ROWS = 2000
#: The columns that name a log entry's severity.
_SEVERITY_COLUMNS = ("severity", "severity_text", "log.severity_text")
_USER_ATTRIBUTES = {"user": "user", "user.id": "user.id", "user.email": "user.email",
                    "user.username": "user.username", "user.ip": "user.ip_address"}


class Spans(Dataset):
    name = "spans"
    text_columns = ("span.description", "span.name")
    columns = {
        **_COMMON, "id": _STRING, "span_id": _STRING, "parent_span": _STRING,
        "span.op": _STRING, "span.description": _STRING, "description": _STRING,
        "message": _STRING, "span.name": _STRING, "span.duration": _DURATION,
        "span.self_time": _DURATION, "span.status": _STRING, "transaction": _STRING,
        "is_transaction": ("boolean", None), "transaction.span_id": _STRING,
        "transaction.event_id": _STRING, "transaction.op": _STRING,
        "precise.start_ts": ("number", None), "precise.finish_ts": ("number", None),
        "received": ("number", None), "http.response_status_code": ("integer", None),
        **dict.fromkeys(_USER_ATTRIBUTES, _STRING),
    }

    def rows(self) -> Iterator[Any]:
        book = self.store.traces
        return merged_newest((book.of_project("spans", pid) for pid in self.project_ids),
                             key=_arrival)

    def rows_where(self, required: dict[str, str]) -> Iterator[Any] | None:
        trace = required.get("trace")
        if trace is not None:
            return _newest_of(self.store.traces.spans_of_trace(trace.lower()), self.project_ids)
        if "span.op" not in required:
            return None
        # The spans of the operation, when they are few beside the rest (an operation that
        # few spans have, or none): newest first, as the projects' spans are walked.
        groups = [spans for _, spans in self._ops(required)]
        found = sum(len(spans) for spans in groups)
        total = sum(len(self.store.traces.of_project("spans", pid)) for pid in self.project_ids)
        if found > max(FEW_ROWS, total // 8):
            return None
        return iter(sorted(itertools.chain.from_iterable(groups), key=_arrival, reverse=True))

    def _ops(self, required: dict[str, str]) -> list[tuple[str | None, Sequence[Any]]]:
        """
        The queried projects' spans by operation (as the index keeps them), only the operation
        asked for when the query names one (compared as a query compares it).
        """
        index = self.store.traces.span_index
        wanted = required.get("span.op")
        found: dict[str | None, list[Sequence[Any]]] = {}
        for pid in self.project_ids:
            for op, spans in index.by_op(pid).items():
                if wanted is None or (op is not None and op.lower() == wanted.lower()):
                    found.setdefault(op, []).append(spans)
        return [(op, lists[0] if len(lists) == 1 else _Joined(lists))
                for op, lists in found.items()]

    def ordered(self, column: str, descending: bool,
                required: dict[str, str]) -> Iterator[Any] | None:
        # Descending only: among spans of one duration, the index keeps the newest last.
        if column != "span.duration" or not descending or "span.op" not in required:
            return None
        lists = [spans for _, spans in self._ops(required)]
        if len(lists) == 1:
            return reversed(lists[0])
        return heapq.merge(*(reversed(spans) for spans in lists),
                           key=lambda span: span.duration_ms, reverse=True)

    def groups(self, columns: list[str], required: dict[str, str], start: float,
               end: float) -> list[tuple[tuple[Any, ...], Any]] | None:
        if columns != ["span.op"] or set(required) - {"span.op"}:
            return None
        index = self.store.traces.span_index
        for pid in self.project_ids:
            ends = index.ends(pid)
            if ends is not None and not start <= ends[0] <= ends[1] <= end:
                return None
        found = self._ops(required)
        found.sort(key=lambda pair: _newest_received(pair[1]), reverse=True)
        return [((op,), spans) for op, spans in found]

    def timestamp(self, span: Any) -> float:
        return span.end

    def horizon(self, span: Any) -> float:
        return span.received + self.store.traces.ahead("spans")

    def failed(self, span: Any) -> bool:
        return span.status not in _NOT_FAILED

    def _segment_op(self, span: Any) -> str | None:
        if not span.segment_id:
            return None
        segment = self.store.traces.span(span.trace_id, span.segment_id)
        return segment.op if segment is not None else None

    def read(self, span: Any, column: str) -> Any:
        reader = _SPAN_READERS.get(column)
        if reader is not None:
            return reader(span)
        if column == "transaction.op":
            return self._segment_op(span)
        project = self.project_of(span, column)
        if project is not None:
            return project
        if column in _SIMPLE:
            return _string(span.attributes.get(f"sentry.{column}"))
        if column in _USER_ATTRIBUTES:
            value = span.attributes.get(_USER_ATTRIBUTES[column])
            return value if isinstance(value, str) else None
        if column.startswith("measurements."):
            return span.measurements.get(column[len("measurements."):])
        return self.typed_attribute(span.attributes, column)


class _Joined(Sequence[Any]):
    """
    The spans of one operation in several projects, as one sequence (for an aggregate).
    """

    def __init__(self, lists: list[Sequence[Any]]) -> None:
        self._lists = lists

    def __len__(self) -> int:
        return sum(len(spans) for spans in self._lists)

    def __iter__(self) -> Iterator[Any]:
        return itertools.chain.from_iterable(self._lists)

    def __getitem__(self, index: Any) -> Any:
        if index == 0:
            return next(iter(self))
        return list(self)[index]

    @property
    def newest(self) -> Any:
        found = [spans.newest for spans in self._lists if spans.newest is not None]
        return max(found, key=_arrival, default=None)


def _arrival(entry: Any) -> tuple[float, int, int]:
    # When a span, log entry or metric point arrived, and its place in the record that
    # brought it: the order the trace book keeps them in, across projects too.
    return entry.received, entry.seq, entry.ordinal


def _newest_received(spans: Any) -> tuple[float, int, int]:
    """
    When the newest span of a group arrived: a newest-first walk meets the groups in this
    order.
    """
    newest = spans.newest
    return _arrival(newest) if newest is not None else (float("-inf"), 0, 0)


def _newest_of(facet: Any, project_ids: list[int]) -> Iterator[Any]:
    """
    A facet's entries (all projects', oldest first) of the queried projects, newest first.
    """
    wanted = set(project_ids)
    return (entry for entry in reversed(facet) if entry.project_id in wanted)


def _string(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _status_code(span: Any) -> Any:
    value = span.attributes.get("http.response.status_code",
                                span.attributes.get("http.status_code"))
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    # A status code has three digits; anything else is not one.
    return int(value) if 100 <= value <= 999 else None


_SPAN_READERS = {
    "id": lambda span: span.span_id, "span_id": lambda span: span.span_id,
    "parent_span": lambda span: span.parent_span_id, "trace": lambda span: span.trace_id,
    "span.op": lambda span: span.op, "span.description": lambda span: span.description,
    "description": lambda span: span.description, "message": lambda span: span.description,
    "span.name": lambda span: span.name, "span.duration": lambda span: span.duration_ms,
    "span.self_time": lambda span: span.duration_ms, "span.status": lambda span: span.status,
    "transaction": lambda span: span.segment_name,
    "is_transaction": lambda span: span.is_segment,
    "transaction.span_id": lambda span: span.segment_id,
    "transaction.event_id": lambda span: span.event_id,
    "precise.start_ts": lambda span: span.start, "precise.finish_ts": lambda span: span.end,
    "received": lambda span: span.received, "timestamp": lambda span: span.end,
    "http.response_status_code": _status_code,
    "sdk.name": lambda span: span.sdk_name, "environment": lambda span: span.environment,
    "release": lambda span: span.release, "platform": lambda span: span.platform,
    "origin": lambda span: span.origin,
}


class Logs(Dataset):
    name = "logs"
    auto_fields = False
    text_columns = ("message",)
    max_per_page = 9999
    columns = {
        **_COMMON, "id": _STRING, "sentry.item_id": _STRING, "severity": _STRING,
        "severity_text": _STRING, "log.severity_text": _STRING,
        "severity_number": ("integer", None), "log.severity_number": ("integer", None),
        "message": _STRING, "log.body": _STRING, "span_id": _STRING,
        "trace.parent_span_id": _STRING, "timestamp_precise": ("number", None),
        "observed_timestamp": ("number", None), "message.template": _STRING,
        "sentry.message.template": _STRING,
    }

    def rows(self) -> Iterator[Any]:
        book = self.store.traces
        return merged_newest((book.of_project("logs", pid) for pid in self.project_ids),
                             key=_arrival)

    def rows_where(self, required: dict[str, str]) -> Iterator[Any] | None:
        trace = required.get("trace")
        if trace is not None:
            return _newest_of(self.store.traces.logs_of_trace(trace.lower()), self.project_ids)
        severity = next((required[name] for name in _SEVERITY_COLUMNS if name in required),
                        None)
        if severity is None:
            return None
        book = self.store.traces
        return merged_newest((book.logs_of_severity(pid, severity.lower())
                              for pid in self.project_ids), key=_arrival)

    def timestamp(self, entry: Any) -> float:
        return entry.timestamp

    def horizon(self, entry: Any) -> float:
        return entry.received + self.store.traces.ahead("logs")

    def read(self, entry: Any, column: str) -> Any:
        if column in ("id", "sentry.item_id"):
            return entry.id
        if column in ("severity", "severity_text", "log.severity_text"):
            return entry.severity
        if column in ("severity_number", "log.severity_number"):
            return entry.severity_number
        if column in ("message", "log.body"):
            return entry.body
        if column == "trace":
            return entry.trace_id
        if column in ("span_id", "trace.parent_span_id"):
            return entry.span_id
        if column == "timestamp":
            return entry.timestamp
        if column == "timestamp_precise":
            return int(entry.timestamp * 1e9)
        if column == "observed_timestamp":
            return int(entry.received * 1e9)
        if column in ("message.template", "sentry.message.template"):
            return _string(entry.attributes.get("sentry.message.template"))
        if column.startswith("message.parameter."):
            value = entry.attributes.get(f"sentry.{column}")
            return None if value is None else str(value)
        if column in ("environment", "release"):
            return getattr(entry, column)
        if column == "sdk.name":
            return entry.sdk_name
        project = self.project_of(entry, column)
        if project is not None:
            return project
        if column in _SIMPLE:
            return _string(entry.attributes.get(f"sentry.{column}"))
        return self.typed_attribute(entry.attributes, column)


class TraceMetrics(Dataset):
    name = "tracemetrics"
    text_columns = ("metric.name",)
    max_per_page = 9999
    columns = {
        **_COMMON, "id": _STRING, "metric.name": _STRING, "metric.type": _STRING,
        "metric.unit": _STRING, "value": ("number", None), "span_id": _STRING,
        "timestamp_precise": ("number", None), "observed_timestamp": ("number", None),
    }

    def rows(self) -> Iterator[Any]:
        book = self.store.traces
        return merged_newest((book.of_project("metrics", pid) for pid in self.project_ids),
                             key=_arrival)

    def timestamp(self, point: Any) -> float:
        return point.timestamp

    def horizon(self, point: Any) -> float:
        return point.received + self.store.traces.ahead("metrics")

    def read(self, point: Any, column: str) -> Any:
        simple = {"id": point.id, "metric.name": point.name, "metric.type": point.type,
                  "metric.unit": point.unit, "value": point.value, "trace": point.trace_id,
                  "span_id": point.span_id, "timestamp": point.timestamp,
                  "timestamp_precise": int(point.timestamp * 1e9),
                  "observed_timestamp": int(point.received * 1e9),
                  "environment": point.environment, "release": point.release}
        if column in simple:
            return simple[column]
        project = self.project_of(point, column)
        if project is not None:
            return project
        return self.typed_attribute(point.attributes, column)
