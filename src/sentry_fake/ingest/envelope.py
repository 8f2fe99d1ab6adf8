"""
Sentry's envelope framing: a header line, then items of a header line and a payload.

Items may carry a C{length} or run to the next newline; the final newline is optional.
"""

from __future__ import annotations

from typing import Any

import attrs

from ..errors import Invalid
from ..jsoncodec import loads


@attrs.define(slots=True)
class Item:
    headers: dict[str, Any]
    payload: bytes

    @property
    def type(self) -> str:
        return self.headers["type"]


@attrs.define(slots=True)
class Envelope:
    headers: dict[str, Any]
    items: list[Item]


def _json_object(line: bytes, what: str) -> dict[str, Any]:
    try:
        value = loads(line)
    except ValueError as error:
        raise Invalid("invalid event envelope", causes=[f"invalid {what}: {error}"])
    if not isinstance(value, dict):
        raise Invalid("invalid event envelope", causes=[f"invalid {what}: not a JSON object"])
    return value


def parse_envelope(data: bytes) -> Envelope:
    """
    Split an envelope into its header and items.

    @raise Invalid: the framing is broken (bad header JSON, missing item type, short payload).
    """
    if not data.strip():
        raise Invalid("empty request body")
    size = len(data)
    end = data.find(b"\n")
    if end < 0:
        end = size
    headers = _json_object(data[:end], "envelope header")
    items: list[Item] = []
    pos = end + 1
    while pos < size:
        end = data.find(b"\n", pos)
        if end < 0:
            end = size
        line = data[pos:end]
        if not line.strip():
            pos = end + 1
            continue
        item_headers = _json_object(line, "item header")
        item_type = item_headers.get("type")
        if not isinstance(item_type, str) or not item_type:
            raise Invalid("invalid event envelope", causes=["item header without a type"])
        pos = end + 1
        length = item_headers.get("length")
        if length is not None:
            if not isinstance(length, int) or isinstance(length, bool) or length < 0:
                raise Invalid("invalid event envelope", causes=[f"invalid item length {length!r}"])
            stop = pos + length
            if stop > size:
                raise Invalid("invalid event envelope",
                              causes=[f"{item_type} item is shorter than its length {length}"])
            payload = data[pos:stop]
            if stop < size and data[stop] != 0x0A:
                raise Invalid("invalid event envelope",
                              causes=[f"missing newline after {item_type} item payload"])
            pos = stop + 1
        else:
            stop = data.find(b"\n", pos)
            if stop < 0:
                stop = size
            payload = data[pos:stop] if pos < size else b""
            pos = stop + 1
        items.append(Item(item_headers, payload))
    return Envelope(headers, items)
