"""
JSON in and out, fast: orjson for the common case, the standard library where orjson is stricter
than the clients we accept (lone surrogate escapes, say).
"""

from __future__ import annotations

import json
import math
from typing import Any

import orjson

_OPTIONS = orjson.OPT_NON_STR_KEYS
#: How deep JSON from a client may nest: Relay's parser refuses more, and whatever is accepted
#: must stay readable (orjson writes at most 254 levels, and answers wrap what they show).
MAX_DEPTH = 128
#: orjson's own limit when it writes.
_ORJSON_DEPTH = 254


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not a JSON number")


def _too_deep(max_depth: int) -> ValueError:
    return ValueError(f"the JSON is nested more than {max_depth} levels deep")


def _depth_within(value: Any, max_depth: int) -> bool:
    """
    Whether C{value} nests at most C{max_depth} containers deep (walked without recursion).
    """
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node
        for child in children:
            if isinstance(child, (dict, list)):
                if depth + 1 > max_depth:
                    return False
                stack.append((child, depth + 1))
    return True


def _check_depth(data: bytes | str, value: Any, max_depth: int) -> None:
    opening = data.count(b"{" if isinstance(data, bytes) else "{") + \
        data.count(b"[" if isinstance(data, bytes) else "[")
    if opening <= max_depth or not isinstance(value, (dict, list)):
        return  # cannot nest deeper than it has brackets
    # orjson, in C, refuses what nests beyond its limit: wrapped in as many lists as the limit
    # leaves above max_depth, the value is written only if it nests no deeper than max_depth.
    wrapped = value
    for _ in range(_ORJSON_DEPTH - max_depth):
        wrapped = [wrapped]
    try:
        orjson.dumps(wrapped, option=_OPTIONS)
        return
    except TypeError:
        pass  # too deep, or something else orjson will not write (a lone surrogate)
    if not _depth_within(value, max_depth):
        raise _too_deep(max_depth)


def loads(data: bytes | str, max_depth: int | None = MAX_DEPTH) -> Any:
    """
    Parse JSON text (C{NaN} and C{Infinity} are not JSON, as Relay's parser says too).

    @param max_depth: how deep it may nest; C{None} for JSON this server wrote itself.
    @raise ValueError: it is not JSON, or nests deeper than C{max_depth}.
    """
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError:
        try:
            value = json.loads(data, parse_constant=_not_json)
        except RecursionError:
            raise _too_deep(max_depth or MAX_DEPTH)
    if max_depth is not None:
        _check_depth(data, value, max_depth)
    return value


def finite_number(value: Any) -> float | None:
    """
    A JSON number as a float: C{None} for what is not a number (C{true} is not one) and for a
    number outside a float's range (an integer too big for one, or C{1e400}, which the
    standard library's parser reads as infinity), an invalid value as Relay's parser says.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def dumps(obj: Any) -> bytes:
    """
    Compact UTF-8 JSON.
    """
    try:
        return orjson.dumps(obj, option=_OPTIONS)
    except TypeError:
        return json.dumps(obj, separators=(",", ":"), ensure_ascii=False,
                          default=str).encode("utf-8", "surrogatepass")
