"""
A search query (Sentry's syntax, parsed by L{sentry_fake.store.search.parse}) as a predicate
over the rows of an events query: C{span.op:db}, C{!severity:[debug, info]},
C{span.duration:>100ms}, C{timestamp:-1h}, C{is_transaction:true}, C{has:trace},
C{tags[shop]:eu}, free text, C{AND}, C{OR} and parentheses; and the filters on aggregates
(C{count():>5}, C{p95(span.duration):>100ms}) a grouped query applies to its groups.
"""

from __future__ import annotations

import re
from fnmatch import fnmatchcase
from typing import Any, Callable

from ..store.search import And, Filter, Or, SearchError, Text, _time_bound

_DURATION = re.compile(r"^(-?\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|min|h|hr|d|w)?\Z")
_TO_MS = {"ns": 1e-6, "us": 1e-3, "µs": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60_000.0,
          "min": 60_000.0, "h": 3_600_000.0, "hr": 3_600_000.0, "d": 86_400_000.0,
          "w": 604_800_000.0}
_SIZES = {"b": 1, "kb": 1000, "mb": 1000 ** 2, "gb": 1000 ** 3, "kib": 1024, "mib": 1024 ** 2,
          "gib": 1024 ** 3}
_OPS = {"=": lambda a, b: a == b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
        "<": lambda a, b: a < b, "<=": lambda a, b: a <= b}

#: Reads a field of a row; C{None} when the row has no such field.
Reader = Callable[[Any, str], Any]


def _number(text: str, kind: str) -> float:
    text = text.strip().lower()
    if kind == "duration":
        match = _DURATION.match(text)
        if match is None:
            raise SearchError(f"{text!r} is not a valid duration value")
        return float(match.group(1)) * _TO_MS[match.group(2) or "ms"]
    if kind == "size":
        match = re.match(r"^(-?\d+(?:\.\d+)?)([a-z]*)$", text)
        if match is None or match.group(2) not in ("", *_SIZES):
            raise SearchError(f"{text!r} is not a valid size value")
        return float(match.group(1)) * _SIZES.get(match.group(2), 1)
    if kind == "percentage" and text.endswith("%"):
        return float(text[:-1]) / 100
    multiplier = {"k": 1e3, "m": 1e6, "b": 1e9}.get(text[-1:], 1.0)
    try:
        return float(text[:-1] if multiplier != 1.0 else text) * multiplier
    except ValueError:
        raise SearchError(f"{text!r} is not a number")


def _matches_text(pattern: str, value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, list):
        return any(_matches_text(pattern, item) for item in value)
    if isinstance(value, bool):
        value = "true" if value else "false"
    candidate, pattern = str(value).lower(), pattern.lower()
    if "*" in pattern:
        return fnmatchcase(candidate, pattern)
    return candidate == pattern


def _boolean(text: str) -> bool:
    lowered = text.lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise SearchError(f"{text!r} is not a valid boolean field value")


class Predicate:
    """
    A compiled query: C{matches(row)}.
    """

    def __init__(self, tree: Any, read: Reader, kind: Callable[[str], str],
                 text_fields: tuple[str, ...], now: float) -> None:
        self._tree, self._read, self._kind = tree, read, kind
        self._text_fields, self._now = text_fields, now
        self._check(tree)

    def _check(self, tree: Any) -> None:
        # Values that cannot be read are an error of the query, not of each row.
        if isinstance(tree, (And, Or)):
            for part in tree.parts:
                self._check(part)
        elif isinstance(tree, Filter) and tree.key != "has":
            kind = self._kind(tree.key)
            for value in tree.values:
                self._operand(tree.key, kind, tree.op, value)

    def _operand(self, key: str, kind: str, op: str, value: str) -> Any:
        if kind == "date":
            return _time_bound(op, value, self._now)
        if kind in ("duration", "integer", "number", "size", "percentage"):
            return op, _number(value, kind)
        if kind == "boolean":
            return op, _boolean(value)
        if op != "=":
            raise SearchError(f"{key} does not take {op}: it is not a number or a date")
        return op, value

    def matches(self, row: Any) -> bool:
        return self._evaluate(self._tree, row)

    def _evaluate(self, tree: Any, row: Any) -> bool:
        if isinstance(tree, And):
            return all(self._evaluate(part, row) for part in tree.parts)
        if isinstance(tree, Or):
            return any(self._evaluate(part, row) for part in tree.parts)
        if isinstance(tree, Text):
            found = any(tree.text.lower() in str(self._read(row, name) or "").lower()
                        for name in self._text_fields)
            return found != tree.negated
        return self._filter(tree, row) != tree.negated

    def _filter(self, f: Filter, row: Any) -> bool:
        if f.key == "has":
            return any(self._read(row, name) not in (None, "", []) for name in f.values)
        value = self._read(row, f.key)
        kind = self._kind(f.key)
        for text in f.values:
            op, operand = self._operand(f.key, kind, f.op, text)
            if kind in ("date", "duration", "integer", "number", "size", "percentage"):
                if isinstance(value, (int, float)) and not isinstance(value, bool) and \
                        _OPS[op](value, operand):
                    return True
            elif kind == "boolean":
                if value is not None and bool(value) == operand:
                    return True
            elif _matches_text(operand, value):
                return True
        return False


def _equality(tree: Any) -> tuple[str, str] | None:
    if isinstance(tree, Filter) and not tree.negated and tree.op == "=" and \
            tree.key != "has" and len(tree.values) == 1 and "*" not in tree.values[0]:
        return tree.key, tree.values[0]
    return None


def required_values(tree: Any) -> dict[str, str]:
    """
    The fields a row must have one value of to match C{tree} (C{span.op:db}, C{trace:ID}
    among the parts of a conjunction), by field: what an index can narrow the rows to.
    Values compare case-insensitively, as L{Predicate} compares them.
    """
    parts = tree.parts if isinstance(tree, And) else (tree,)
    found: dict[str, str] = {}
    for part in parts:
        equality = _equality(part)
        if equality is not None:
            found.setdefault(*equality)
    return found


def only_values(tree: Any) -> dict[str, str] | None:
    """
    The fields and values of a query made of nothing but such equalities (C{{}} for an empty
    query), or C{None} when it asks for anything else.
    """
    parts = tree.parts if isinstance(tree, And) else (tree,)
    found: dict[str, str] = {}
    for part in parts:
        equality = _equality(part)
        if equality is None or found.get(equality[0], equality[1]) != equality[1]:
            return None
        found[equality[0]] = equality[1]
    return found


def _is_aggregate(tree: Any) -> bool:
    return isinstance(tree, Filter) and tree.key.endswith(")")


def _has_aggregate(tree: Any) -> bool:
    if isinstance(tree, (And, Or)):
        return any(_has_aggregate(part) for part in tree.parts)
    return _is_aggregate(tree)


def aggregate_filters(tree: Any) -> tuple[Any, list[Filter]]:
    """
    A query split into what rows must match and the filters on aggregates its groups must
    pass (among the parts of its top conjunction, as Sentry's C{HAVING}).

    @raise SearchError: a filter on an aggregate is part of an C{OR}.
    """
    parts = tree.parts if isinstance(tree, And) else (tree,)
    having = [part for part in parts if _is_aggregate(part)]
    rest = tuple(part for part in parts if not _is_aggregate(part))
    if any(_has_aggregate(part) for part in rest):
        raise SearchError("Having an OR between aggregate filters and normal filters is "
                          "invalid.")
    if not having:
        return tree, []
    return (rest[0] if len(rest) == 1 else And(rest)), having


def passes(f: Filter, value: Any, kind: str) -> bool:
    """
    Whether an aggregate's value (of meta type C{kind}) passes a filter on it.
    """
    if kind not in ("duration", "integer", "number", "size", "percentage", "rate"):
        raise SearchError(f"{f.key} cannot be filtered on: it is not a number")
    found = False
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        found = any(_OPS[f.op](value, _number(text, "number" if kind == "rate" else kind))
                    for text in f.values)
    return found != f.negated
