"""
Reading what sentry-cli uploads as an artifact bundle: a zip holding C{manifest.json} and the
files it lists (each with its C{url}, C{type} and C{headers}), and the debug ids those name.
"""

from __future__ import annotations

import io
import uuid
import zipfile
from typing import Any

from ..jsoncodec import loads


class BundleError(ValueError):
    """
    An artifact bundle that cannot be read; the message is the assemble answer's detail.
    """


def normalize_debug_id(value: Any) -> str | None:
    """
    A debug id in its canonical lower-case hyphenated form, or C{None} when it is not one.
    """
    if not isinstance(value, str) or not value.strip():
        return None
    compact = value.strip().lower().replace("-", "")
    head, appendix = compact[:32], compact[32:].lstrip("0")
    try:
        canonical = str(uuid.UUID(head))
        if appendix:
            int(appendix, 16)
    except ValueError:
        return None
    return f"{canonical}-{appendix}" if appendix else canonical


def read_bundle(data: bytes) -> tuple[dict[str, Any], list[tuple[str, dict[str, Any], bytes]]]:
    """
    The manifest of an artifact bundle and, for each file it lists, (path, entry, bytes).

    @raise BundleError: not a zip, no readable manifest, or a listed file missing.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as error:
        raise BundleError(f"Invalid artifact bundle: {error}")
    with archive:
        try:
            manifest = loads(archive.read("manifest.json"))
        except KeyError:
            raise BundleError("Invalid artifact bundle: manifest.json is missing")
        except ValueError as error:
            raise BundleError(f"Invalid artifact bundle manifest: {error}")
        files = manifest.get("files") if isinstance(manifest, dict) else None
        if not isinstance(files, dict):
            raise BundleError("Invalid artifact bundle manifest: no files")
        entries = []
        for path, entry in files.items():
            if not isinstance(entry, dict) or not isinstance(entry.get("url"), str):
                raise BundleError(f"Invalid artifact bundle manifest: {path} has no url")
            try:
                entries.append((path, entry, archive.read(path)))
            except KeyError:
                raise BundleError(f"Invalid artifact bundle: {path} is not in the archive")
    return manifest, entries
