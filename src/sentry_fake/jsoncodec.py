"""
JSON in and out, fast: orjson for the common case, the standard library where orjson is stricter
than the clients we accept (lone surrogate escapes, say).
"""

from __future__ import annotations

import json
from typing import Any

import orjson

_OPTIONS = orjson.OPT_NON_STR_KEYS


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not a JSON number")


def loads(data: bytes | str) -> Any:
    """
    Parse JSON text (C{NaN} and C{Infinity} are not JSON, as Relay's parser says too).

    @raise ValueError: it is not JSON.
    """
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data, parse_constant=_not_json)


def dumps(obj: Any) -> bytes:
    """
    Compact UTF-8 JSON.
    """
    try:
        return orjson.dumps(obj, option=_OPTIONS)
    except TypeError:
        return json.dumps(obj, separators=(",", ":"), ensure_ascii=False,
                          default=str).encode("utf-8", "surrogatepass")
