"""
Running an events query: the rows of a dataset in the period, environments and query asked
for, as plain rows or grouped by the plain columns when aggregates are asked for, sorted and
cut into a page, with Sentry's C{meta}.

A plain query sorted by time (the usual one) walks the dataset's rows newest first by arrival
and stops once no row that arrived earlier can be later than the page's (rows arrive about in
the order of their times, and a dataset knows by how much they can be out of it); so does a
query sorted by a column a dataset keeps an index in the order of (spans of one operation by
duration). A query that names a value a dataset indexes (C{trace:ID}, C{severity:error}, an
operation few spans have) reads only the rows of that value; counts grouped the way a dataset
keeps its rows (spans by operation) are read from that index. Other sorts and aggregates read
every row that matches.
"""

from __future__ import annotations

import heapq
import itertools
import re
from datetime import datetime, timezone
from typing import Any, Iterable, Iterator

import attrs

from ..errors import Invalid
from ..store.search import parse
from .columns import Column, aggregate, parse_column, result_type
from .conditions import Predicate, aggregate_filters, only_values, passes, required_values
from .dataset import Dataset, TAG_TYPES, tag_column

MAX_FIELDS = 20
_RATE_UNITS = {"epm": "1/minute", "eps": "1/second"}
_DATE_COLUMNS = {"timestamp", "timestamp_ms", "last_seen()", "first_seen()"}


def function_alias(name: str) -> str:
    """
    Sentry's alias of an aggregate column: C{p95(span.duration)} is C{p95_span_duration}.
    """
    return re.sub(r"[^\w]", "_", name).strip("_")


def iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).isoformat(timespec="seconds")


@attrs.frozen
class Sort:
    column: Column
    descending: bool


class Plan:
    """
    A checked query, ready to answer pages.
    """

    def __init__(self, dataset: Dataset, fields: Iterable[str], query: str | None,
                 sorts: Iterable[str], start: float, end: float,
                 environments: Iterable[str], now: float) -> None:
        self.dataset = dataset
        requested = [name for name in fields if name]
        if len(requested) > MAX_FIELDS:
            raise Invalid("You can view up to 20 fields at a time. Please delete some and try "
                          "again.")
        if not requested:
            raise Invalid("No columns selected")
        self.columns = _unique(parse_column(name) for name in requested)
        for column in self.columns:
            _check_type(column)
        self.aggregated = any(column.is_aggregate for column in self.columns)
        self._check_mixed()
        if not self.aggregated and dataset.auto_fields:
            names = {column.name for column in self.columns}
            if "id" not in names:
                self.columns.append(Column("id"))
            if "project.id" not in names and "project.name" not in names:
                self.columns.append(Column("project.name"))
        self.start, self.end = start, end
        self.environments = frozenset(environments)
        tree, having = aggregate_filters(parse(query, aggregates=True))
        self.having = [(parse_column(f.key), f) for f in having]
        for column, f in self.having:
            if not column.is_aggregate:
                raise Invalid(f"Invalid field: {f.key!r}")
            _check_type(column)
            if not self.aggregated:
                raise Invalid(f"A filter on {f.key} needs an aggregate field: a query that "
                              "groups its rows")
            # Refuse an operand that cannot be read now, not for each group.
            passes(f, 0, result_type(column, dataset.kind))
        self.predicate = Predicate(tree, dataset.read, dataset.kind, dataset.text_columns, now)
        #: Field values every matching row has (what an index may narrow the rows to), and
        #: all the query asks for when it asks for nothing but such values (else C{None}).
        self.required = required_values(tree)
        self.only_required = only_values(tree)
        self.sorts = [self._sort(text) for text in sorts if text]
        if dataset.name == "logs" and [sort.column.name for sort in self.sorts] == ["timestamp"]:
            # Sentry orders logs by their precise time, and shows it.
            self.sorts = [Sort(Column("timestamp_precise"), self.sorts[0].descending)]
            if "timestamp_precise" not in {column.name for column in self.columns}:
                self.columns.append(Column("timestamp_precise"))
        if not self.sorts and not self.aggregated:
            self.sorts = [Sort(Column("timestamp"), True)]

    def _check_mixed(self) -> None:
        inside = {column.argument for column in self.columns if column.is_aggregate}
        for column in self.columns:
            if not column.is_aggregate and column.name in inside and not self.dataset.eap:
                functions = [c.name for c in self.columns if c.argument == column.name]
                raise Invalid(
                    "A single field cannot be used both inside and outside a function in the "
                    f"same query. To use {column.name} you must first remove the function(s): "
                    f"{', '.join(functions)}")

    def _sort(self, text: str) -> Sort:
        descending = text.startswith("-")
        name = text[1:] if descending else text
        for column in self.columns:
            if name in (column.name, function_alias(column.name)):
                return Sort(column, descending)
        if not self.dataset.eap:
            raise Invalid("Cannot sort by a field that is not selected.")
        column = parse_column(name)
        if column.is_aggregate or self.aggregated:
            raise Invalid(f"Cannot sort by {name}: it is not a selected column")
        return Sort(column, descending)

    def matches(self, row: Any) -> bool:
        """
        Whether a row of the dataset is in the period and environments and matches the query.
        """
        dataset = self.dataset
        if not self.start <= dataset.timestamp(row) <= self.end:
            return False
        if self.environments and dataset.read(row, "environment") not in self.environments:
            return False
        return self.predicate.matches(row)

    def _matching(self, rows: Iterable[Any] | None = None) -> Iterator[Any]:
        """
        The rows that match, from C{rows} (in their order), or else newest first by arrival
        from the narrowest index the dataset has for the query, up to the first row before
        which nothing can be in the period.
        """
        matches = self.matches
        if rows is not None:
            return (row for row in rows if matches(row))
        walked = self.dataset.rows_where(self.required) if self.required else None
        return self._in_period(self.dataset.rows() if walked is None else walked)

    def _in_period(self, newest_first: Iterable[Any]) -> Iterator[Any]:
        horizon, start, matches = self.dataset.horizon, self.start, self.matches
        for row in newest_first:
            bound = horizon(row)
            if bound is not None and bound < start:
                return
            if matches(row):
                yield row

    def _latest(self, wanted: int) -> list[Any]:
        """
        The C{wanted} matching rows of the latest times (ties: the one that arrived last
        first), latest first.  Rows arrive about in the order of their times: the walk stops
        once no row that arrived earlier can be later than those found.
        """
        dataset, found = self.dataset, []
        for walked, row in enumerate(self._matching()):
            entry = (dataset.timestamp(row), -walked, row)
            if len(found) < wanted:
                heapq.heappush(found, entry)
                continue
            if entry[:2] > found[0][:2]:
                heapq.heapreplace(found, entry)
            bound = dataset.horizon(row)
            if bound is not None and bound < found[0][0]:
                break
        found.sort(key=lambda entry: entry[:2], reverse=True)
        return [row for _, _, row in found]

    def newest_rows(self) -> Iterator[Any]:
        """
        The dataset's records that match, newest first as its index keeps them, lazily and
        unshaped (for a reader that shows the records themselves).
        """
        return self._matching()

    def page(self, offset: int, limit: int) -> tuple[list[dict[str, Any]], bool]:
        """
        Rows C{offset} to C{offset + limit}, and whether more follow.
        """
        ordered = None
        if not self.aggregated and len(self.sorts) == 1:
            ordered = self.dataset.ordered(self.sorts[0].column.name, self.sorts[0].descending,
                                           self.required)
        if self.aggregated:
            rows = self._grouped()
        elif ordered is not None:
            rows = [self._row(row) for row in
                    itertools.islice(self._matching(ordered), offset + limit + 1)]
        elif [(sort.column.name, sort.descending) for sort in self.sorts] in (
                [("timestamp", True)], [("timestamp_precise", True)]):
            rows = [self._row(row) for row in self._latest(offset + limit + 1)]
        else:
            rows = [self._row(row) for row in self._sorted(
                list(self._matching()), lambda row, name: self.dataset.read(row, name))]
        window = rows[offset:offset + limit + 1]
        return window[:limit], len(window) > limit

    def _sorted(self, rows: list[Any], read: Any) -> list[Any]:
        """
        Rows in the sort order (C{read(row, column)} gives what a row sorts by); rows without
        a value come last.
        """
        for sort in reversed(self.sorts):
            name = sort.column.name
            values = [(read(row, name), row) for row in rows]
            present = [pair for pair in values if pair[0] is not None]
            present.sort(key=lambda pair: _sort_key(pair[0]), reverse=sort.descending)
            rows = [row for _, row in present] + [row for value, row in values if value is None]
        return rows

    def value_of(self, row: Any, name: str) -> Any:
        """
        A plain column of a row as a page shows it.
        """
        value = self._value(row, Column(name))
        return tuple(value) if isinstance(value, list) else value

    def _value(self, row: Any, column: Column) -> Any:
        value = self.dataset.read(row, column.name)
        return self._shown(column.name, value)

    def _shown(self, name: str, value: Any) -> Any:
        if value is None:
            return None
        if name in _DATE_COLUMNS and isinstance(value, (int, float)):
            return iso(value)
        if self.dataset.eap and isinstance(value, int) and not isinstance(value, bool) and \
                self.dataset.kind(name) == "duration":
            return float(value)
        return value

    def _row(self, row: Any) -> dict[str, Any]:
        shown: dict[str, Any] = {}
        for column in self.columns:
            if column.name == "issue" and not self.dataset.eap:
                shown["issue.id"] = self.dataset.read(row, "issue.id")
            shown[column.name] = self._value(row, column)
        return shown

    def _grouped(self) -> list[dict[str, Any]]:
        plain = [column for column in self.columns if not column.is_aggregate]
        groups: dict[tuple[Any, ...], Any] = {}
        indexed = None
        if self.only_required is not None and not self.environments:
            indexed = self.dataset.groups([column.name for column in plain],
                                          self.only_required, self.start, self.end)
        if indexed is not None:
            groups.update(indexed)
        else:
            for row in self._matching():
                key = tuple(_hashable(self.dataset.read(row, column.name)) for column in plain)
                groups.setdefault(key, []).append(row)
        if not plain and not groups:
            groups[()] = []
        seconds = max(self.end - self.start, 1.0)
        answered = []
        for members in groups.values():
            if not all(passes(f, aggregate(column, members, self.dataset.read,
                                           self.dataset.timestamp, self.dataset.failed,
                                           seconds), result_type(column, self.dataset.kind))
                       for column, f in self.having):
                continue
            shown: dict[str, Any] = {}
            for column in self.columns:
                if column.is_aggregate:
                    value = aggregate(column, members, self.dataset.read,
                                      self.dataset.timestamp, self.dataset.failed, seconds)
                    if self.dataset.eap and isinstance(value, int):
                        value = float(value)
                    shown[column.name] = self._shown(column.name, value)
                else:
                    if column.name == "issue" and not self.dataset.eap:
                        shown["issue.id"] = self.dataset.read(members[0], "issue.id")
                    shown[column.name] = self._value(members[0], column)
            answered.append(shown)
        return self._sorted(answered, lambda row, name: row.get(name))

    def meta(self) -> dict[str, Any]:
        fields: dict[str, str] = {}
        units: dict[str, str | None] = {}
        for column in self.columns:
            name = "issue.id" if column.name == "issue" and not self.dataset.eap else column.name
            kind = result_type(Column(name) if name != column.name else column,
                               self.dataset.kind)
            if not self.dataset.eap and name in _DATE_COLUMNS:
                kind = "date"
            fields[name] = kind
            if column.is_aggregate:
                unit = _RATE_UNITS.get(column.function or "") or (
                    self.dataset.unit(column.argument or "") if kind == "duration" else None)
            else:
                unit = self.dataset.unit(column.name)
            units[name] = unit
        meta: dict[str, Any] = {
            "fields": fields, "units": units, "isMetricsData": False,
            "isMetricsExtractedData": False,
            # Sentry's Discover answers its tips as nulls, which its schema does not allow.
            "tips": {},
            "datasetReason": "unchanged", "dataset": self.dataset.name,
        }
        if self.dataset.eap:
            meta["dataScanned"] = "full"
        return meta


def _check_type(column: Column) -> None:
    for name in (column.name, column.argument):
        if name:
            found = tag_column(name) if name.startswith(("tags[", "sentry_tags[")) else None
            if found is not None and found[1] not in TAG_TYPES:
                raise Invalid(f"Unsupported type {found[1]} in {name}")


def _unique(columns: Iterable[Column]) -> list[Column]:
    seen, unique = set(), []
    for column in columns:
        if column.name not in seen:
            seen.add(column.name)
            unique.append(column)
    return unique


def _hashable(value: Any) -> Any:
    """
    A value a group can be keyed by: lists and objects (as attributes may hold) made tuples.
    """
    if isinstance(value, list):
        return tuple(_hashable(item) for item in value)
    if isinstance(value, dict):
        return tuple((key, _hashable(item)) for key, item in value.items())
    return value


def _sort_key(value: Any) -> Any:
    if isinstance(value, bool):
        return (1, int(value))
    if isinstance(value, (int, float)):
        return (1, value)
    if isinstance(value, list):
        return (2, str(value))
    return (2, str(value))
