"""
The upload book: the chunks sentry-cli uploads (by SHA-1, per organization), the artifact bundles
and debug information files assembled from them, and the release files a bundle gives its
releases.

Assembly follows Sentry's protocol: an assemble request names a file by its checksum and its
chunks; while chunks are missing the answer is C{not_found} with the missing ones; once all are
there the file is assembled at once (the answer that does it says C{created}, later ones C{ok}).
Chunks are dropped once the request that used them is done, and the pending chunks and the
assembled files are each held to a byte budget, oldest evicted first.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import OrderedDict
from typing import Any, Callable, Iterable, Mapping, Sequence

import attrs
from zope.interface import implementer

from ..errors import Invalid, NotFound
from ..interfaces import IUploads
from .bundle_archive import BundleError, normalize_debug_id, read_bundle
from .codec import converter
from .mapping_files import identify
from .upload_models import (CREATED, ERROR, NOT_FOUND, OK, ArtifactBundle, AssembleAnswer,
                            BundleFile, DebugFile)

MiB = 1024 * 1024
#: Pending (not yet assembled) chunks kept at most, in bytes.
DEFAULT_MAX_PENDING = 512 * MiB
#: Assembled bundles and debug files kept at most, in bytes.
DEFAULT_MAX_STORED = 1024 * MiB
#: Failed assemblies remembered (their checksums answer C{error} with the reason).
MAX_ERRORS = 1000
CHECKSUM_MISMATCH = "Reported checksum mismatch"


def verify_chunk(checksum: str, data: bytes) -> str:
    """
    The checksum a chunk is kept under (lower case), once its bytes are checked against it.

    @raise Invalid: the chunk's SHA-1 is not C{checksum}.
    """
    checksum = checksum.strip().lower()
    if hashlib.sha1(data).hexdigest() != checksum:
        raise Invalid("Checksum mismatch")
    return checksum


@implementer(IUploads)
class UploadBook:
    """
    Chunks, artifact bundles, debug files, and the release files bundles give their releases.
    """

    def __init__(self, max_pending: int = DEFAULT_MAX_PENDING,
                 max_stored: int = DEFAULT_MAX_STORED) -> None:
        self.max_pending = max_pending
        self.max_stored = max_stored
        self._chunks: OrderedDict[tuple[int, str], bytes] = OrderedDict()
        self._pending = 0
        self._stored: OrderedDict[tuple[str, int], ArtifactBundle | DebugFile] = OrderedDict()
        self._stored_bytes = 0
        self._bundles: dict[tuple[int, str], ArtifactBundle] = {}
        self._debug_files: dict[tuple[int, str], DebugFile] = {}
        self._errors: OrderedDict[tuple[str, int, str], str] = OrderedDict()
        self._next = {"bundle": 1, "file": 1, "dif": 1}

    def _take_id(self, kind: str) -> int:
        value = self._next[kind]
        self._next[kind] = value + 1
        return value

    # Chunks

    def add_chunk(self, organization_id: int, checksum: str, data: bytes) -> None:
        """
        Keep one uploaded chunk (already decompressed, and checked by L{verify_chunk}) under
        its SHA-1.
        """
        key = (organization_id, checksum)
        if key in self._chunks:
            self._chunks.move_to_end(key)
            return
        self._chunks[key] = data
        self._pending += len(data)
        while self._pending > self.max_pending and len(self._chunks) > 1:
            _, dropped = self._chunks.popitem(last=False)
            self._pending -= len(dropped)

    def missing_chunks(self, organization_id: int, checksums: Iterable[str]) -> list[str]:
        missing = []
        for checksum in checksums:
            if (organization_id, checksum) not in self._chunks and checksum not in missing:
                missing.append(checksum)
        return missing

    def pending_chunks(self) -> int:
        return len(self._chunks)

    def _join(self, organization_id: int, chunks: Sequence[str]) -> bytes:
        return b"".join(self._chunks[(organization_id, checksum)] for checksum in chunks)

    def _drop_chunks(self, organization_id: int, chunks: Iterable[str]) -> None:
        for checksum in set(chunks):
            data = self._chunks.pop((organization_id, checksum), None)
            if data is not None:
                self._pending -= len(data)

    def _failed(self, kind: str, owner: int, checksum: str, detail: str) -> AssembleAnswer:
        self._errors[(kind, owner, checksum)] = detail
        while len(self._errors) > MAX_ERRORS:
            self._errors.popitem(last=False)
        return AssembleAnswer(ERROR, detail)

    def _keep(self, kind: str, record: ArtifactBundle | DebugFile) -> None:
        self._stored[(kind, record.id)] = record
        self._stored_bytes += len(record.data)
        while self._stored_bytes > self.max_stored and len(self._stored) > 1:
            (old_kind, _), old = next(iter(self._stored.items()))
            self._forget(old_kind, old)

    def _forget(self, kind: str, record: ArtifactBundle | DebugFile) -> None:
        if self._stored.pop((kind, record.id), None) is None:
            return
        self._stored_bytes -= len(record.data)
        if isinstance(record, ArtifactBundle):
            self._bundles.pop((record.organization_id, record.checksum), None)
        else:
            self._debug_files.pop((record.project_id, record.checksum), None)

    def _collect(self, kind: str, scope: int, organization_id: int, checksum: str,
                 chunks: Sequence[str], joined: Callable[[Sequence[str]], object]
                 ) -> AssembleAnswer | bytes:
        """
        A file's bytes joined from its chunks, or the answer that stops its assembly: an error
        remembered for it, chunks still missing, or bytes whose SHA-1 is not C{checksum}.
        C{joined(chunks)} is called once the chunks are used.
        """
        error = self._errors.get((kind, scope, checksum))
        if error is not None:
            return AssembleAnswer(ERROR, error)
        if not chunks:
            return AssembleAnswer(NOT_FOUND)
        missing = self.missing_chunks(organization_id, chunks)
        if missing:
            return AssembleAnswer(NOT_FOUND, missing=tuple(missing))
        data = self._join(organization_id, chunks)
        joined(chunks)
        if hashlib.sha1(data).hexdigest() != checksum:
            return self._failed(kind, scope, checksum, CHECKSUM_MISMATCH)
        return data

    # Artifact bundles

    def assemble_bundle(self, organization_id: int, project_ids: Sequence[int], checksum: str,
                        chunks: Sequence[str], now: float, version: str | None = None,
                        dist: str | None = None) -> AssembleAnswer:
        """
        Answer an artifact bundle assemble request, assembling the bundle once all its chunks
        are here.  A bundle already assembled is C{ok}, and takes on the request's projects and
        release (Sentry does the same when it assembles a known bundle again).
        """
        bundle = self._bundles.get((organization_id, checksum))
        if bundle is not None:
            self._associate(bundle, project_ids, version, dist)
            return AssembleAnswer(OK)
        data = self._collect("bundle", organization_id, organization_id, checksum, chunks,
                             lambda joined: self._drop_chunks(organization_id, joined))
        if isinstance(data, AssembleAnswer):
            return data
        try:
            manifest, entries = read_bundle(data)
        except BundleError as error:
            return self._failed("bundle", organization_id, checksum, str(error))
        files = []
        for path, entry, content in entries:
            raw_headers = entry.get("headers")
            headers = ({str(name): str(value) for name, value in raw_headers.items()}
                       if isinstance(raw_headers, dict) else {})
            debug_id = next((value for name, value in headers.items()
                             if name.lower() == "debug-id"), None)
            files.append(BundleFile(
                id=self._take_id("file"), path=path, url=entry["url"],
                type=entry.get("type") if isinstance(entry.get("type"), str) else None,
                headers=headers, debug_id=normalize_debug_id(debug_id), size=len(content),
                sha1=hashlib.sha1(content).hexdigest()))
        bundle_id = normalize_debug_id(manifest.get("debug_id")) or str(uuid.UUID(checksum[:32]))
        bundle = ArtifactBundle(
            id=self._take_id("bundle"), bundle_id=bundle_id, checksum=checksum,
            organization_id=organization_id, project_ids=[], associations=[], data=data,
            files=files, manifest=manifest, date_uploaded=now)
        release = version if version is not None else _text(manifest.get("release"))
        if dist is None and version is None:
            dist = _text(manifest.get("dist"))
        self._associate(bundle, project_ids, release, dist)
        self._bundles[(organization_id, checksum)] = bundle
        self._keep("bundle", bundle)
        return AssembleAnswer(CREATED)

    def _associate(self, bundle: ArtifactBundle, project_ids: Sequence[int],
                   release: str | None, dist: str | None) -> None:
        for project_id in project_ids:
            if project_id not in bundle.project_ids:
                bundle.project_ids.append(project_id)
        pair = (release or None, dist or None)
        if (release or not bundle.associations) and pair not in bundle.associations:
            bundle.associations = [existing for existing in bundle.associations
                                   if existing != (None, None)]
            bundle.associations.append(pair)

    def bundles(self, organization_id: int, project_id: int | None = None,
                query: str | None = None) -> list[ArtifactBundle]:
        """
        An organization's (or a project's) bundles, newest first; C{query} matches the bundle
        id, a release or a dist.
        """
        found = [bundle for (org_id, _), bundle in self._bundles.items()
                 if org_id == organization_id
                 and (project_id is None or project_id in bundle.project_ids)]
        if query:
            needle = query.lower()
            found = [bundle for bundle in found if needle in bundle.bundle_id
                     or any(needle in (value or "").lower()
                            for pair in bundle.associations for value in pair)]
        found.sort(key=lambda bundle: bundle.id, reverse=True)
        return found

    def bundle(self, organization_id: int, bundle_id: str,
               project_id: int | None = None) -> ArtifactBundle:
        for bundle in self.bundles(organization_id, project_id):
            if bundle.bundle_id == bundle_id:
                return bundle
        raise NotFound()

    # Release files

    def release_files(self, organization_id: int, version: str,
                      project_ids: Iterable[int] | None = None
                      ) -> list[tuple[ArtifactBundle, BundleFile, str | None]]:
        """
        The artifacts of a release: (bundle, file, dist) for each file of the bundles uploaded
        for it, one per name and dist (the newest bundle wins), sorted by name.
        """
        wanted = set(project_ids) if project_ids is not None else None
        chosen: dict[tuple[str, str | None], tuple[ArtifactBundle, BundleFile, str | None]] = {}
        for bundle in self.bundles(organization_id):
            if wanted is not None and not wanted.intersection(bundle.project_ids):
                continue
            for release, dist in bundle.associations:
                if release != version:
                    continue
                for bundle_file in bundle.files:
                    chosen.setdefault((bundle_file.url, dist), (bundle, bundle_file, dist))
        return sorted(chosen.values(), key=lambda found: (found[1].url, found[2] or ""))

    def release_file(self, organization_id: int, version: str, file_id: str,
                     project_ids: Iterable[int] | None = None
                     ) -> tuple[ArtifactBundle, BundleFile, str | None]:
        for found in self.release_files(organization_id, version, project_ids):
            if str(found[1].id) == file_id:
                return found
        raise NotFound()

    # Debug information files

    def assemble_debug_files(self, organization_id: int, project_id: int,
                             files: Mapping[str, Mapping[str, Any]],
                             now: float) -> dict[str, AssembleAnswer]:
        """
        Answer a debug file assemble request: C{files} maps each file's SHA-1 to its C{name},
        C{debug_id} (optional) and C{chunks}.  The chunks are dropped after the whole request,
        so files that share a chunk all get it.
        """
        answers = {}
        used: list[str] = []
        for checksum, wanted in files.items():
            answers[checksum] = self._assemble_debug_file(
                organization_id, project_id, checksum, wanted.get("name") or "",
                wanted.get("debug_id"), list(wanted.get("chunks") or []), now, used)
        self._drop_chunks(organization_id, used)
        return answers

    def _assemble_debug_file(self, organization_id: int, project_id: int, checksum: str,
                             name: str, debug_id: str | None, chunks: list[str], now: float,
                             used: list[str]) -> AssembleAnswer:
        existing = self._debug_files.get((project_id, checksum))
        if existing is not None:
            return AssembleAnswer(OK, debug_file=existing)
        data = self._collect("dif", project_id, organization_id, checksum, chunks, used.extend)
        if isinstance(data, AssembleAnswer):
            return data
        try:
            info, object_name, found_id = identify(data, name, debug_id)
        except Invalid as error:
            return self._failed("dif", project_id, checksum, error.detail)
        debug_file = DebugFile(
            id=self._take_id("dif"), organization_id=organization_id, project_id=project_id,
            checksum=checksum, name=object_name, debug_id=found_id, info=info, data=data,
            date_created=now)
        self._replace_older(debug_file)
        self._debug_files[(project_id, checksum)] = debug_file
        self._keep("dif", debug_file)
        return AssembleAnswer(CREATED)

    def _replace_older(self, new: DebugFile) -> None:
        """
        Drop the project's files with the same debug id and format that the new file makes
        redundant (their features are a subset of its features), as Sentry does.
        """
        for old in list(self._debug_files.values()):
            if (old.project_id == new.project_id and old.debug_id == new.debug_id
                    and old.info.file_format == new.info.file_format
                    and set(old.info.features) <= set(new.info.features)):
                self._forget("dif", old)

    def debug_files(self, project_id: int, query: str | None = None,
                    debug_id: str | None = None, code_id: str | None = None,
                    file_formats: Sequence[str] = ()) -> list[DebugFile]:
        """
        A project's debug files, newest first, filtered as Sentry's list filters them.
        """
        found = [dif for dif in self._debug_files.values() if dif.project_id == project_id]
        wanted_id = normalize_debug_id(debug_id) if debug_id else None
        if debug_id:
            found = [dif for dif in found if dif.debug_id == wanted_id]
        elif code_id:
            found = [dif for dif in found if dif.info.code_id == code_id.lower()]
        elif query:
            needle = query.strip().lower()
            as_id = normalize_debug_id(needle) if len(needle) <= 45 else None
            found = [dif for dif in found if (as_id and dif.debug_id == as_id) or any(
                needle in (value or "").lower() for value in (
                    dif.name, dif.debug_id, dif.info.code_id, dif.info.arch,
                    dif.info.file_format))]
        if file_formats:
            found = [dif for dif in found if dif.info.file_format in file_formats]
        found.sort(key=lambda dif: dif.id, reverse=True)
        return found

    def debug_file(self, project_id: int, dif_id: str) -> DebugFile:
        for dif in self._debug_files.values():
            if dif.project_id == project_id and str(dif.id) == dif_id:
                return dif
        raise NotFound()

    # The checkpoint of a journal: the bytes go beside the rest, under their SHA-1

    def dump(self) -> tuple[dict[str, Any], dict[str, bytes]]:
        blobs: dict[str, bytes] = {}
        stored = []
        for (kind, _), record in self._stored.items():
            blobs[record.checksum] = record.data
            stored.append([kind, converter.unstructure(attrs.evolve(record, data=b""))])
        chunks = []
        for (organization_id, checksum), data in self._chunks.items():
            blobs[checksum] = data
            chunks.append([organization_id, checksum])
        errors = [[*key, detail] for key, detail in self._errors.items()]
        return {"chunks": chunks, "stored": stored, "errors": errors,
                "next": dict(self._next)}, blobs

    def load(self, state: dict[str, Any], blobs: Mapping[str, bytes]) -> None:
        for organization_id, checksum in state["chunks"]:
            self._chunks[(organization_id, checksum)] = blobs[checksum]
            self._pending += len(blobs[checksum])
        for kind, unstructured in state["stored"]:
            cls = ArtifactBundle if kind == "bundle" else DebugFile
            record = attrs.evolve(converter.structure(unstructured, cls),
                                  data=blobs[unstructured["checksum"]])
            self._stored[(kind, record.id)] = record
            self._stored_bytes += len(record.data)
            if isinstance(record, ArtifactBundle):
                self._bundles[(record.organization_id, record.checksum)] = record
            else:
                self._debug_files[(record.project_id, record.checksum)] = record
        for kind, owner, checksum, detail in state["errors"]:
            self._errors[(kind, owner, checksum)] = detail
        self._next = dict(state["next"])

    def delete_debug_file(self, debug_file: DebugFile) -> None:
        self._forget("dif", debug_file)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
