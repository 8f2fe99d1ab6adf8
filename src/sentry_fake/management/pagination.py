"""
Sentry's cursor pagination: C{cursor=value:offset:is_prev}, C{per_page} (or C{limit}) and a
C{Link} header with a C{previous} and a C{next} entry that say whether they have results.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence, TypeVar
from urllib.parse import urlencode

from ..errors import Invalid
from ..http import base_url


T = TypeVar("T")
#: No list here is longer than this (it bounds what a cursor may skip).
MAX_OFFSET = 10_000_000


def parse_cursor(text: str | None) -> tuple[int, int, bool]:
    """
    @return: C{(value, offset, is_prev)} of a cursor; an empty cursor is the first page.
    @raise Invalid: the cursor is malformed.
    """
    if not text:
        return 0, 0, False
    parts = text.split(":")
    try:
        if len(parts) != 3:
            raise ValueError(text)
        value, offset, is_prev = int(parts[0]), int(parts[1]), int(parts[2])
    except ValueError:
        raise Invalid("Invalid cursor parameter.")
    if not 0 <= offset <= MAX_OFFSET or is_prev not in (0, 1):
        raise Invalid("Invalid cursor parameter.")
    return value, offset, bool(is_prev)


def page_size(request: Any, param: str = "per_page", default: int = 100, maximum: int = 100) -> int:
    raw = request.args.get(param.encode("ascii"))
    if not raw:
        return default
    try:
        size = int(raw[0])
    except ValueError:
        raise Invalid(f"Invalid {param} parameter.")
    if not 1 <= size <= maximum:
        raise Invalid(f"Invalid {param} value. Must be between 1 and {maximum}.")
    return size


def _link_base(request: Any) -> str:
    query = [(name.decode("utf-8", "replace"), value.decode("utf-8", "replace"))
             for name, values in request.args.items() if name != b"cursor" for value in values]
    path = request.path.decode("utf-8", "replace")
    return f"{base_url(request)}{path}?{urlencode(query)}"


def link_header(request: Any, offset: int, size: int, has_next: bool) -> bytes:
    base = _link_base(request)
    previous = f"0:{max(offset - size, 0)}:1"
    following = f"0:{offset + size}:0"
    entries = [
        f'<{base}&cursor={previous}>; rel="previous"; results="{"true" if offset > 0 else "false"}"; cursor="{previous}"',
        f'<{base}&cursor={following}>; rel="next"; results="{"true" if has_next else "false"}"; cursor="{following}"',
    ]
    return ", ".join(entries).encode("utf-8")


def paginate(request: Any, items: Sequence[T] | Callable[[int, int], tuple[list[T], bool]],
             param: str = "per_page", default: int = 100, maximum: int = 100) -> list[T]:
    """
    The requested page of C{items}, with the C{Link} header set on the response.

    C{items} is a sequence, or a function C{(offset, count)} returning a page and whether more
    follow (so indexed stores need not build the whole list).
    """
    size = page_size(request, param, default, maximum)
    cursor = request.args.get(b"cursor")
    _, offset, _ = parse_cursor(cursor[0].decode("ascii", "replace") if cursor else None)
    if callable(items):
        page, has_next = items(offset, size)
    else:
        page = list(items[offset:offset + size])
        has_next = offset + size < len(items)
    request.setHeader(b"link", link_header(request, offset, size, has_next))
    return page
