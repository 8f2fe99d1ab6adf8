"""
Turning templates into bytes: every page and fragment is flattened by C{twisted.web.template},
which escapes every text and attribute value it is given.
"""

from __future__ import annotations

from typing import Any

from twisted.web.template import flattenString

DOCTYPE = b"<!DOCTYPE html>\n"


def flatten(root: Any) -> bytes:
    """
    Flatten a tag, an element or a list of them to UTF-8 HTML.

    Everything the pages render is already at hand, so flattening finishes at once; a
    renderer that returned a Deferred would be a bug, and raises here.
    """
    result: list[bytes] = []
    failures: list[Any] = []
    flattenString(None, root).addCallbacks(result.append, failures.append)
    if failures:
        failures[0].raiseException()
    if not result:
        raise RuntimeError("a page renderer waited on something")
    return result[0]


def document(root: Any) -> bytes:
    """
    A whole HTML document: the doctype and the flattened root.
    """
    return DOCTYPE + flatten(root)
