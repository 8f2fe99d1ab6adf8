"""
What the store derives from an event's exceptions, stack traces and message: its title, culprit,
metadata and location (L{normalize.describe}) and the hashes it is grouped by
(L{grouping.grouping_hashes}), remembered for the events that repeat them.

Both are pure functions of a few of an event's fields (L{INPUTS}, and its request's URL), the
same for every project.  The same error reported again, the usual case, brings the same
values of them, and so the same results: those are found again by the JSON of those values,
and handed out (a copy of each: nothing handed out is shared) only if the values they were
made of equal the event's own.  JSON alone would not tell some apart (it writes an infinite
number as C{null}), and a derivation from values it does not write exactly is not kept.  An
event with a custom fingerprint, whose variables may name any field, is always derived afresh.
"""

from __future__ import annotations

from typing import Any

import orjson

from .grouping import grouping_hashes
from .normalize import describe

#: The fields of an event the derivation reads (besides C{request.url}).
INPUTS = ("exception", "threads", "stacktrace", "platform", "sdk", "culprit", "transaction",
          "checksum", "csp", "logentry", "message")
#: How many derivations are remembered, and how many bytes of JSON their values may take
#: (all are forgotten at once past either); the values of one event may take at most
#: C{LARGEST} (a native crash with every thread's stack is derived afresh).
REMEMBERED = 1024
BUDGET = 4 << 20
LARGEST = 64 << 10

Description = tuple[str, str, dict[str, Any], "str | None"]


class _Memo:
    """
    The derivations remembered: by the JSON of the values, those values (as that JSON reads
    back) and the derivation; and how many bytes of JSON they take.
    """

    def __init__(self) -> None:
        self.entries: dict[bytes, tuple[list[Any], Description, tuple[str, ...]]] = {}
        self.size = 0

    def clear(self) -> None:
        self.entries.clear()
        self.size = 0

    def remember(self, key: bytes, inputs: list[Any], described: Description,
                 hashes: tuple[str, ...]) -> None:
        if len(key) > LARGEST or key in self.entries:
            return
        kept = orjson.loads(key)  # the values' own copy, which nothing else holds
        if kept != inputs:
            return  # not written exactly (an infinite number, say): another event could match
        if len(self.entries) >= REMEMBERED or self.size + len(key) > BUDGET:
            self.clear()
        self.entries[key] = (kept, described, hashes)
        self.size += len(key)


_memo = _Memo()


def derive(payload: dict[str, Any], kind: str, values: list[dict[str, Any]]
           ) -> tuple[Description, list[str]]:
    """
    An event's title, culprit, metadata and location, and its grouping hashes (none for a
    transaction, which is not grouped).  C{values} are its exceptions.
    """
    if kind == "transaction":
        return describe(payload, kind, values), []
    inputs = key = None
    if payload.get("fingerprint") is None:
        request = payload.get("request")
        inputs = [kind, request.get("url") if isinstance(request, dict) else None,
                  *map(payload.get, INPUTS)]
        key = _json(inputs)
    found = _memo.entries.get(key) if key is not None else None
    if found is not None and found[0] == inputs:
        _, described, hashes = found
    else:
        described, hashes = describe(payload, kind, values), tuple(grouping_hashes(payload, values))
        if key is not None:
            _memo.remember(key, inputs, described, hashes)
    title, culprit, metadata, location = described
    return (title, culprit, dict(metadata), location), list(hashes)


def _json(inputs: list[Any]) -> bytes | None:
    try:
        return orjson.dumps(inputs)
    except TypeError:  # what orjson will not write (a lone surrogate, a huge integer)
        return None
