"""
The records of the upload book: artifact bundles with the files their manifests list, debug
information files, and the answer an assemble request gets.  Plain attrs classes; the JSON
shapes live in C{management/upload_shapes.py}.
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

import attrs

from .object_files import ObjectInfo

#: Sentry's C{ChunkFileState} values.
OK, CREATED, ASSEMBLING, NOT_FOUND, ERROR = "ok", "created", "assembling", "not_found", "error"


@attrs.define(eq=False)
class BundleFile:
    """
    One file of an artifact bundle: where it sits in the zip and what the manifest says of it.

    As a release file (a release's artifact) it is named by its C{url} (C{~/app.min.js}).
    """

    id: int
    path: str
    url: str
    type: str | None
    headers: dict[str, str]
    debug_id: str | None
    size: int
    sha1: str


@attrs.define(eq=False)
class ArtifactBundle:
    """
    An assembled artifact bundle: the zip as uploaded, its checksum (the SHA-1 of the whole zip),
    the projects it belongs to and the (release, dist) pairs it was uploaded for.
    """

    id: int
    bundle_id: str
    checksum: str
    organization_id: int
    project_ids: list[int]
    associations: list[tuple[str | None, str | None]]
    data: bytes
    files: list[BundleFile]
    manifest: dict[str, Any]
    date_uploaded: float

    def releases(self) -> list[str]:
        return [release for release, _ in self.associations if release]

    def read(self, bundle_file: BundleFile) -> bytes:
        """
        The bytes of one of the bundle's files.
        """
        with zipfile.ZipFile(io.BytesIO(self.data)) as archive:
            return archive.read(bundle_file.path)


@attrs.define(eq=False)
class DebugFile:
    """
    An assembled debug information file of a project, with what its bytes say about it.
    """

    id: int
    organization_id: int
    project_id: int
    checksum: str
    name: str
    debug_id: str
    info: ObjectInfo
    data: bytes
    date_created: float

    @property
    def size(self) -> int:
        return len(self.data)


@attrs.frozen
class AssembleAnswer:
    """
    What an assemble request is told: the state, a detail for errors, the chunks still missing,
    and for debug files the assembled file once it is C{ok}.
    """

    state: str
    detail: str | None = None
    missing: tuple[str, ...] = ()
    debug_file: DebugFile | None = None
