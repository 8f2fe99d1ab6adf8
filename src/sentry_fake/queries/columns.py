"""
The columns of an events query: plain fields (C{span.op}, C{tags[shop]}) and aggregates
(C{count()}, C{p95(span.duration)}, C{count_unique(user)}), each with the function that computes
it over a group of rows and the type Sentry's C{meta} gives it.
"""

from __future__ import annotations

import math
import re
from typing import Any, Callable, Iterable

import attrs

from ..errors import Invalid
from ..jsoncodec import finite_number

_FUNCTION = re.compile(r"^(?P<name>[a-z_0-9]+)\((?P<args>[^()]*)\)\Z")
_PERCENTILES = {"p50": 0.5, "p75": 0.75, "p90": 0.9, "p95": 0.95, "p99": 0.99, "p100": 1.0}
#: Aggregates whose result has the type of the column they read (a duration stays one).
_SAME_TYPE = {"avg", "sum", "min", "max", "percentile", *_PERCENTILES}
_NUMERIC_RESULT = {"count": "integer", "count_unique": "integer", "epm": "rate",
                   "eps": "rate", "failure_rate": "percentage", "failure_count": "integer",
                   "last_seen": "date", "first_seen": "date"}


def _numbers(values: Iterable[Any]) -> list[float]:
    return [number for number in map(finite_number, values) if number is not None]


def _percentile(values: list[float], fraction: float) -> float | None:
    """
    The percentile as Sentry's ClickHouse computes C{quantile}: linear between the two values
    around it.
    """
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@attrs.frozen
class Column:
    """
    One requested field: C{name} as the request spelt it (the key of each row and of
    C{meta}); for an aggregate, its C{function} and the field it reads (C{argument}).
    """

    name: str
    function: str | None = None
    argument: str | None = None
    fraction: float | None = None

    @property
    def is_aggregate(self) -> bool:
        return self.function is not None


#: The aggregates whose arguments may be left out, and how many they take at most.
_OPTIONAL_ARGUMENTS = {"count": 1, "epm": 1, "eps": 1, "last_seen": 0, "first_seen": 0,
                       "failure_rate": 0, "failure_count": 0}


def _arguments(text: str) -> list[str]:
    """
    An aggregate's arguments: split at the commas outside brackets (C{tags[size,number]} is
    one).
    """
    found, depth, current = [], 0, []
    for char in text:
        if char == "," and depth == 0:
            found.append("".join(current).strip())
            current = []
            continue
        depth += {"[": 1, "]": -1}.get(char, 0)
        current.append(char)
    found.append("".join(current).strip())
    return found


def parse_column(text: str) -> Column:
    """
    @raise Invalid: an aggregate Sentry does not have, or with the wrong arguments.
    """
    text = text.strip()
    match = _FUNCTION.match(text)
    if match is None:
        if not text or "(" in text or ")" in text:
            raise Invalid(f"Invalid field: {text!r}")
        return Column(name=text)
    name = match.group("name")
    args = _arguments(match.group("args")) if match.group("args") else []
    if name in _PERCENTILES:
        if len(args) != 1:
            raise Invalid(f"{name}: expected 1 argument(s) but got {len(args)} argument(s)")
        return Column(name=text, function=name, argument=args[0],
                      fraction=_PERCENTILES[name])
    if name == "percentile":
        if len(args) != 2:
            raise Invalid(f"percentile: expected 2 argument(s) but got {len(args)} argument(s)")
        try:
            fraction = float(args[1])
        except ValueError:
            raise Invalid(f"percentile: {args[1]} is not a number")
        if not 0 <= fraction <= 1:
            raise Invalid("percentile: the percentile must be between 0 and 1")
        return Column(name=text, function=name, argument=args[0], fraction=fraction)
    if name in _OPTIONAL_ARGUMENTS:
        if len(args) > _OPTIONAL_ARGUMENTS[name]:
            raise Invalid(f"{name}: expected at most {_OPTIONAL_ARGUMENTS[name]} argument(s) "
                          f"but got {len(args)} argument(s)")
        return Column(name=text, function=name, argument=args[0] if args else None)
    if name in ("count_unique", "avg", "sum", "min", "max"):
        if len(args) != 1:
            raise Invalid(f"{name}: expected 1 argument(s) but got {len(args)} argument(s)")
        return Column(name=text, function=name, argument=args[0])
    raise Invalid(f"{name} is not a valid function")


def result_type(column: Column, field_type: Callable[[str], str]) -> str:
    """
    The type C{meta.fields} gives a column: a field's own, or what its aggregate yields.
    """
    if column.function is None:
        return field_type(column.name)
    if column.function in _SAME_TYPE:
        kind = field_type(column.argument or "")
        return kind if kind in ("duration", "integer", "number", "size", "percentage") \
            else "number"
    return _NUMERIC_RESULT[column.function]


def aggregate(column: Column, rows: list[Any], value: Callable[[Any, str], Any],
              timestamp: Callable[[Any], float], failed: Callable[[Any], bool],
              seconds: float) -> Any:
    """
    An aggregate over a group of rows (C{value(row, field)} reads a field; C{seconds} is the
    length of the queried period, for the rates).
    """
    function = column.function
    if function == "count":
        return len(rows)
    if function in ("epm", "eps"):
        per = 60.0 if function == "epm" else 1.0
        return len(rows) / (seconds / per) if seconds > 0 else 0.0
    if function in ("last_seen", "first_seen"):
        times = [timestamp(row) for row in rows]
        if not times:
            return None
        return max(times) if function == "last_seen" else min(times)
    if function in ("failure_rate", "failure_count"):
        failures = sum(1 for row in rows if failed(row))
        if function == "failure_count":
            return failures
        return failures / len(rows) if rows else 0.0
    if function == "count_unique":
        return len({_hashable(value(row, column.argument or "")) for row in rows} - {None})
    numbers = _numbers(value(row, column.argument or "") for row in rows)
    if function == "avg":
        return sum(numbers) / len(numbers) if numbers else None
    if function == "sum":
        return sum(numbers) if numbers else None
    if function == "min":
        return min(numbers) if numbers else None
    if function == "max":
        return max(numbers) if numbers else None
    return _percentile(numbers, column.fraction or 0.0)


def _hashable(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(value)
    if isinstance(value, dict):
        return tuple(sorted(value.items()))
    return value
