"""
What every dataset of an events query shares: how a column is typed and read, typed tag
columns (C{tags[name]}, C{tags[name,number]}), the project columns, and where its rows come from
(newest first, from the store's indexes).
"""

from __future__ import annotations

import heapq
import re
from typing import Any, Callable, Iterable, Iterator

from ..errors import Invalid

TYPED_TAG = re.compile(r"^(?:sentry_tags|tags)\[(?P<tag>.{0,200}?)(?:,\s{0,200}(?P<type>.{0,200}))?\]\Z")
#: The types a C{tags[name,type]} column may name, and the meta type each gives.
TAG_TYPES = {"string": "string", "number": "number", "integer": "integer",
             "boolean": "boolean", "percentage": "percentage", "duration": "duration",
             "millisecond": "duration", "second": "duration", "byte": "size"}
DURATION_UNITS = {"duration": "millisecond", "millisecond": "millisecond",
                  "second": "second"}
PROJECT_COLUMNS = ("project", "project.slug", "project.name")


def tag_column(name: str) -> tuple[str, str] | None:
    """
    C{(attribute, type)} of a C{tags[...]} column, or C{None} for another column.

    @raise Invalid: the column names a type Sentry does not have.
    """
    match = TYPED_TAG.match(name)
    if match is None:
        return None
    kind = (match.group("type") or "string").strip()
    if kind not in TAG_TYPES:
        raise Invalid(f"Unsupported type {kind} in {name}")
    return match.group("tag").strip(), kind


def merged_newest(facets: Iterable[Any], key: Callable[[Any], Any]) -> Iterator[Any]:
    """
    The entries of several facets (each oldest first), newest first.
    """
    facets = list(facets)
    if len(facets) == 1:
        return reversed(facets[0])
    return heapq.merge(*(reversed(facet) for facet in facets), key=key, reverse=True)


class Dataset:
    """
    One dataset: C{name} (as C{meta.dataset} says it), the columns it knows with their type
    and unit, how a row's column is read, and where its rows come from.
    """

    name = ""
    #: EAP datasets (spans, logs, metrics) and Discover ones (errors, transactions) differ in
    #: how timestamps are typed, how sorts are checked and how counts come back.
    eap = True
    #: Columns added to a query with no aggregate (C{id}, then C{project.name}).
    auto_fields = True
    #: The columns free text is looked for in.
    text_columns: tuple[str, ...] = ()
    #: Column -> (meta type, unit).
    columns: dict[str, tuple[str, str | None]] = {}
    max_per_page = 100

    def __init__(self, store: Any, project_ids: list[int]) -> None:
        self.store = store
        self.project_ids = project_ids
        self._slugs = {project.id: project.slug for project in store.directory.projects_of()}

    def slug(self, project_id: int) -> str | None:
        return self._slugs.get(project_id)

    def kind(self, column: str) -> str:
        """
        The meta type of a plain column.
        """
        known = self.columns.get(column)
        if known is not None:
            return known[0]
        tag = tag_column(column)
        if tag is not None:
            return TAG_TYPES[tag[1]]
        if column.startswith("measurements."):
            return "duration"
        return "string"

    def unit(self, column: str) -> str | None:
        known = self.columns.get(column)
        if known is not None:
            return known[1]
        tag = tag_column(column)
        if tag is not None:
            return DURATION_UNITS.get(tag[1]) or ("byte" if tag[1] == "byte" else None)
        if column.startswith("measurements."):
            return "millisecond"
        return None

    def rows(self) -> Iterator[Any]:
        """
        The dataset's rows in the queried projects, newest first.
        """
        raise NotImplementedError()

    def rows_where(self, required: dict[str, str]) -> Iterator[Any] | None:
        """
        The rows in the queried projects that may have the C{required} field values (see
        L{sentry_fake.queries.conditions.required_values}), newest first, from an index; or
        C{None} when no index narrows them (the caller reads L{rows}).
        """
        return None

    def ordered(self, column: str, descending: bool,
                required: dict[str, str]) -> Iterator[Any] | None:
        """
        The rows that may have the C{required} field values, in the order of C{column} (ties
        newest first), from an index; or C{None} when no index keeps that order.
        """
        return None

    def groups(self, columns: list[str], required: dict[str, str], start: float,
               end: float) -> list[tuple[tuple[Any, ...], Any]] | None:
        """
        Every row of the queried projects that has the C{required} field values, grouped by
        the values of C{columns}, from an index: (values, rows) pairs, the group of the newest
        row first; C{rows} is a sequence.  C{None} when no index groups them so, or when some
        rows may fall outside the period from C{start} to C{end}.
        """
        return None

    def horizon(self, row: Any) -> float | None:
        """
        The latest L{timestamp} any row that arrived no later than C{row} can have, or C{None}
        when there is no such bound: a walk newest first by arrival stops there.
        """
        return None

    def read(self, row: Any, column: str) -> Any:
        raise NotImplementedError()

    def timestamp(self, row: Any) -> float:
        raise NotImplementedError()

    def failed(self, row: Any) -> bool:
        return False

    def project_of(self, row: Any, column: str) -> Any:
        if column in PROJECT_COLUMNS:
            return self.slug(row.project_id)
        if column in ("project.id", "project_id"):
            return row.project_id
        return None

    def typed_attribute(self, attributes: dict[str, Any], column: str) -> Any:
        """
        An attribute of a row by a C{tags[...]} column or by its bare name, when it has the
        column's type (a string attribute is not a number).
        """
        tag = tag_column(column)
        name, kind = tag if tag is not None else (column, "string")
        value = attributes.get(name)
        if value is None:
            return None
        if kind == "string":
            return value if isinstance(value, str) else None
        if kind == "boolean":
            return value if isinstance(value, bool) else None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None
        try:
            return float(value)
        except OverflowError:
            return None
