"""
The pages' static files (style sheet, script, icon): package data, read once, served from
memory under a name that carries their digest, so a browser may keep them for good.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from importlib.resources import files

import attrs

#: The URL prefix the static files are served under.
PREFIX = "/__parlel/static/"
_TYPES = {
    "css": b"text/css; charset=utf-8",
    "js": b"text/javascript; charset=utf-8",
    "svg": b"image/svg+xml",
}


@attrs.frozen
class Asset:
    name: str
    content: bytes
    content_type: bytes
    digest: str

    @property
    def url(self) -> str:
        """
        Where the pages link to it (its digest in the query, so a new version is a new URL).
        """
        return f"{PREFIX}{self.name}?v={self.digest}"


@lru_cache(maxsize=None)
def asset(name: str) -> Asset | None:
    """
    A static file by name (C{pages.css}), or C{None} when there is no such file.
    """
    extension = name.rpartition(".")[2]
    if "/" in name or name.startswith(".") or extension not in _TYPES:
        return None
    path = files("sentry_fake.pages").joinpath("static", name)
    if not path.is_file():
        return None
    content = path.read_bytes()
    return Asset(name=name, content=content, content_type=_TYPES[extension],
                 digest=hashlib.sha256(content).hexdigest()[:12])


def url(name: str) -> str:
    found = asset(name)
    if found is None:
        raise LookupError(name)
    return found.url
