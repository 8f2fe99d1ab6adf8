"""
What the store derives from an event's exceptions, stack traces and message: its title, culprit,
metadata and location (L{normalize.describe}) and the hashes it is grouped by
(L{grouping.grouping_hashes}), remembered for the events that repeat them.

Both are pure functions of a few of an event's fields (L{INPUTS}, and its request's URL), the
same for every project.  The same error reported again, the usual case, brings the same
values of them, and so the same results: those are kept by the exact JSON of those values and
handed out again (a copy of each: nothing handed out is shared).  An event with a custom
fingerprint, whose variables may name any field, is always derived afresh.
"""

from __future__ import annotations

from typing import Any

import orjson

from .grouping import grouping_hashes
from .normalize import describe

#: The fields of an event the derivation reads (besides C{request.url}).
INPUTS = ("exception", "threads", "stacktrace", "platform", "sdk", "culprit", "transaction",
          "checksum", "csp", "logentry", "message")
#: How many derivations are remembered (all are forgotten at once when that many are).
REMEMBERED = 1024

Description = tuple[str, str, dict[str, Any], "str | None"]

_remembered: dict[bytes, tuple[Description, tuple[str, ...]]] = {}


def derive(payload: dict[str, Any], kind: str, values: list[dict[str, Any]]
           ) -> tuple[Description, list[str]]:
    """
    An event's title, culprit, metadata and location, and its grouping hashes (none for a
    transaction, which is not grouped).  C{values} are its exceptions.
    """
    if kind == "transaction":
        return describe(payload, kind, values), []
    key = _key(payload, kind)
    found = _remembered.get(key) if key is not None else None
    if found is None:
        found = describe(payload, kind, values), tuple(grouping_hashes(payload, values))
        if key is not None:
            if len(_remembered) >= REMEMBERED:
                _remembered.clear()
            _remembered[key] = found
    (title, culprit, metadata, location), hashes = found
    return (title, culprit, dict(metadata), location), list(hashes)


def _key(payload: dict[str, Any], kind: str) -> bytes | None:
    if payload.get("fingerprint") is not None:
        return None
    request = payload.get("request")
    url = request.get("url") if isinstance(request, dict) else None
    try:
        return orjson.dumps([kind, url, *map(payload.get, INPUTS)])
    except TypeError:  # what orjson will not write (a lone surrogate, a huge integer): afresh
        return None
