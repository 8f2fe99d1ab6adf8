"""
Uploads as sentry-cli makes them: the chunk upload options and endpoint, artifact bundle and
debug file assembly, and the lists (and downloads) of debug files, release files and artifact
bundles.

The chunk upload options advertise a C{maxRequestSize} that fits the server's limit on request
bodies (C{Limits.request_body}, 20 MiB by default, less a margin for the multipart framing and
gzip's worst case: 19 MiB), not Sentry's 32 MiB: sentry-cli packs chunks into requests up to
that size, and a body over the site's limit is refused (413) before it reaches this route.

Errors of these endpoints are Sentry's C{{"error": "..."}} 400s, not the usual C{{"detail"}}.
"""

from __future__ import annotations

import posixpath
import re
import zlib
from typing import Any

from twisted.logger import Logger

from ..errors import Invalid, NotFound
from ..http import APIError, arg, arg_list, base_url, json_response, request_body
from ..interfaces import IDirectory, IReleases, IUploads, IWrites
from ..jsoncodec import loads
from ..multipart import parse_multipart
from ..store.models import Organization, Project
from ..store.records import (BundleAssembled, ChunksUploaded, DebugFileDeleted,
                             DebugFilesAssembled)
from ..store.upload_models import CREATED, ERROR, DebugFile
from ..store.uploads import verify_chunk
from . import upload_shapes
from .app import app, authenticated
from .pagination import paginate

MiB = 1024 * 1024
#: Sentry's chunk (blob) size, a power of two.
CHUNK_SIZE = 8 * MiB
CHUNKS_PER_REQUEST = 64
CONCURRENCY = 8
#: Sentry's own limit on the (decompressed) chunks of one request.
SENTRY_MAX_REQUEST_SIZE = 32 * MiB
#: Room left under the site's body limit for the multipart framing of up to 64 parts and
#: gzip's worst case on incompressible data (some 0.03 %): at most 1 MiB, less for small limits.
REQUEST_HEADROOM = 1 * MiB
_CHECKSUM = re.compile(r"^[0-9a-f]{40}\Z")
log = Logger()
_EXTENSIONS = {"breakpad": ".sym", "pdb": ".pdb", "portablepdb": ".pdb",
               "sourcebundle": ".src.zip", "wasm": ".wasm", "proguard": ".txt",
               "dartsymbolmap": ".json"}


def refuse(message: str) -> APIError:
    return APIError(400, {"error": message})


def chunk_limits(request_body_limit: int) -> tuple[int, int]:
    """
    The C{chunkSize} and C{maxRequestSize} to advertise: Sentry's, or less when the site takes
    smaller request bodies (sentry-cli sends up to C{maxRequestSize} of chunks in one request).
    """
    usable = request_body_limit - min(REQUEST_HEADROOM, request_body_limit // 8)
    chunk_size = CHUNK_SIZE
    while chunk_size > usable and chunk_size > 1024:
        chunk_size //= 2
    return chunk_size, max(chunk_size, min(SENTRY_MAX_REQUEST_SIZE, usable))


def gunzip(data: bytes, limit: int) -> bytes:
    """
    Decompress one gzip chunk, reading at most C{limit} + 1 bytes of output.

    @raise APIError: the chunk is over C{limit} or not gzip.
    """
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error:
        raise refuse("Invalid gzip chunk")
    if len(out) > limit:
        raise refuse("Chunk size too large")
    if not inflater.eof:
        raise refuse("Invalid gzip chunk")
    return out


def _json_body(request: Any, limit: int) -> Any:
    data = request_body(request)
    if len(data) > limit:
        raise refuse("Request too large")
    try:
        return loads(data)
    except ValueError:
        raise refuse("Invalid json body")


def _checksums(value: Any) -> bool:
    return isinstance(value, list) and all(
        isinstance(item, str) and _CHECKSUM.match(item) for item in value)


class UploadRoutes:
    #: The roles of the store these routes use (checked by tests/test_interfaces.py).
    roles = (IDirectory, IReleases, IUploads, IWrites)

    # Chunks

    @app.route("/api/0/organizations/<org>/chunk-upload/", methods=["GET"])
    @authenticated
    def chunk_upload_options(self, request: Any, org: str) -> bytes:
        organization = self.store.directory.organization(org)
        url = f"{base_url(request)}/api/0/organizations/{organization.slug}/chunk-upload/"
        chunk_size, max_request = chunk_limits(self.store.limits.request_body)
        body = upload_shapes.chunk_options(url, chunk_size, CHUNKS_PER_REQUEST,
                                           self.store.uploads.max_pending, max_request,
                                           CONCURRENCY)
        return json_response(request, body)

    @app.route("/api/0/organizations/<org>/chunk-upload/", methods=["POST"])
    @authenticated
    def chunk_upload(self, request: Any, org: str) -> bytes:
        organization = self.store.directory.organization(org)
        content_type = request.getHeader(b"content-type")
        data = request_body(request)
        if not data:
            return json_response(request, {})
        try:
            parts = parse_multipart(data, content_type.decode("latin-1") if content_type else None)
        except Invalid as error:
            raise refuse(error.detail)
        chunk_size, max_request = chunk_limits(self.store.limits.request_body)
        chunks = []
        size = 0
        for part in parts:
            if part.name == "file_gzip":
                chunk = gunzip(part.data, chunk_size)
            elif part.name == "file":
                chunk = part.data
            else:
                continue
            if len(chunk) > chunk_size:
                raise refuse("Chunk size too large")
            size += len(chunk)
            chunks.append((part.filename or "", chunk))
        if size > max_request:
            raise refuse("Request too large")
        if len(chunks) > CHUNKS_PER_REQUEST:
            raise refuse("Too many chunks")
        checked = []
        for checksum, chunk in chunks:
            try:
                checked.append((verify_chunk(checksum, chunk), chunk))
            except Invalid as error:
                raise refuse(error.detail)
        if checked:
            self.store.upload_chunks(ChunksUploaded(time=self.store.now(),
                                                    organization_id=organization.id,
                                                    chunks=tuple(checked)))
        return json_response(request, {})

    # Assembly

    @app.route("/api/0/organizations/<org>/artifactbundle/assemble/", methods=["POST"])
    @authenticated
    def artifact_bundle_assemble(self, request: Any, org: str) -> bytes:
        organization = self.store.directory.organization(org)
        body = _json_body(request, self.store.limits.api_body)
        if not isinstance(body, dict):
            raise refuse("Invalid json body")
        for name in ("checksum", "chunks", "projects"):
            if name not in body:
                raise refuse(f"'{name}' is a required property")
        extra = set(body) - {"checksum", "chunks", "projects", "version", "dist"}
        if extra:
            raise refuse(f"Additional properties are not allowed ({', '.join(sorted(extra))})")
        checksum, chunks, names = body["checksum"], body["chunks"], body["projects"]
        if not isinstance(checksum, str) or not _CHECKSUM.match(checksum):
            raise refuse(f"{checksum!r} does not match '^[0-9a-f]{{40}}$'")
        if not _checksums(chunks):
            raise refuse("'chunks' must be a list of SHA-1 checksums")
        if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
            raise refuse("'projects' must be a list of strings")
        for name in ("version", "dist"):
            if body.get(name) is not None and not isinstance(body[name], str):
                raise refuse(f"'{name}' must be a string")
        projects = self._named_projects(organization, names)
        answer = self.store.assemble_bundle(BundleAssembled(
            time=self.store.now(), organization_id=organization.id,
            project_ids=tuple(project.id for project in projects), checksum=checksum,
            chunks=tuple(chunks), version=body.get("version") or None,
            dist=body.get("dist") or None))
        if answer.state in (CREATED, ERROR):
            log.info("artifact bundle {checksum} for release {release!r}: {state} {detail}",
                     checksum=checksum, release=body.get("version"), state=answer.state,
                     detail=answer.detail or "")
        return json_response(request, upload_shapes.bundle_assemble(answer))

    def _named_projects(self, organization: Organization, names: list[str]) -> list[Project]:
        wanted = list(dict.fromkeys(names))
        if not wanted:
            raise refuse("You need to specify at least one project")
        by_slug = {project.slug: project for project in self.store.directory.projects_of(organization)}
        if any(name not in by_slug for name in wanted):
            raise refuse("One or more projects are invalid")
        return [by_slug[name] for name in wanted]

    @app.route("/api/0/projects/<org>/<project>/files/difs/assemble/", methods=["POST"])
    @authenticated
    def debug_file_assemble(self, request: Any, org: str, project: str) -> bytes:
        organization = self.store.directory.organization(org)
        found = self.store.directory.project(organization, project)
        body = _json_body(request, self.store.limits.api_body)
        if not isinstance(body, dict):
            raise refuse("Invalid json body")
        for checksum, wanted in body.items():
            if not _CHECKSUM.match(checksum):
                raise refuse(f"Additional properties are not allowed ({checksum!r} was unexpected)")
            if not isinstance(wanted, dict) or "name" not in wanted or "chunks" not in wanted:
                raise refuse(f"'name' and 'chunks' are required properties of {checksum}")
            if not isinstance(wanted["name"], str) or not _checksums(wanted["chunks"]):
                raise refuse(f"Invalid file description for {checksum}")
            if wanted.get("debug_id") is not None and not isinstance(wanted["debug_id"], str):
                raise refuse(f"'debug_id' of {checksum} must be a string")
        answers = self.store.assemble_debug_files(DebugFilesAssembled(
            time=self.store.now(), organization_id=organization.id, project_id=found.id,
            files=body))
        for checksum, answer in answers.items():
            if answer.state in (CREATED, ERROR):
                log.info("debug file {name!r} ({checksum}): {state} {detail}",
                         name=body[checksum]["name"], checksum=checksum, state=answer.state,
                         detail=answer.detail or "")
        return json_response(request, {checksum: upload_shapes.dif_assemble(answer)
                                       for checksum, answer in answers.items()})

    # Debug files

    @app.route("/api/0/projects/<org>/<project>/files/dsyms/", methods=["GET"])
    @authenticated
    def debug_file_list(self, request: Any, org: str, project: str) -> bytes:
        found = self.store.directory.project(self.store.directory.organization(org), project)
        book = self.store.uploads
        wanted = arg(request, "id")
        if wanted is not None:
            return self._download_debug_file(request, book.debug_file(found.id, wanted))
        files = book.debug_files(found.id, query=arg(request, "query"),
                                 debug_id=arg(request, "debug_id"), code_id=arg(request, "code_id"),
                                 file_formats=arg_list(request, "file_formats"))
        page = paginate(request, files, default=20)
        return json_response(request, [upload_shapes.debug_file(dif) for dif in page])

    def _download_debug_file(self, request: Any, dif: DebugFile) -> bytes:
        extension = _EXTENSIONS.get(dif.info.file_format, ".debug" if dif.info.kind == "dbg" else "")
        return _attachment(request, dif.data, f"{dif.debug_id}{extension}")

    @app.route("/api/0/projects/<org>/<project>/files/dsyms/", methods=["DELETE"])
    @authenticated
    def debug_file_delete(self, request: Any, org: str, project: str) -> bytes:
        found = self.store.directory.project(self.store.directory.organization(org), project)
        wanted = arg(request, "id")
        if wanted is None:
            raise NotFound()
        debug_file = self.store.uploads.debug_file(found.id, wanted)
        self.store.delete_debug_file(DebugFileDeleted(time=self.store.now(), project_id=found.id,
                                                      debug_file_id=debug_file.id))
        request.setResponseCode(204)
        return b""

    # Release files

    def _release_scope(self, org: str, version: str,
                       project: str | None) -> tuple[Organization, list[int] | None]:
        organization = self.store.directory.organization(org)
        release = self.store.releases.get(organization.id, version)
        if project is None:
            return organization, None
        found = self.store.directory.project(organization, project)
        if found.id not in release.project_ids:
            raise NotFound()
        return organization, [found.id]

    @app.route("/api/0/organizations/<org>/releases/<version>/files/", methods=["GET"])
    @app.route("/api/0/projects/<org>/<project>/releases/<version>/files/", methods=["GET"])
    @authenticated
    def release_file_list(self, request: Any, org: str, version: str,
                          project: str | None = None) -> bytes:
        organization, project_ids = self._release_scope(org, version, project)
        files = self.store.uploads.release_files(organization.id, version, project_ids)
        query = (arg(request, "query") or "").lower()
        if query:
            files = [found for found in files if query in found[1].url.lower()]
        page = paginate(request, files)
        return json_response(request, [upload_shapes.release_file(*found) for found in page])

    @app.route("/api/0/organizations/<org>/releases/<version>/files/<file_id>/", methods=["GET"])
    @app.route("/api/0/projects/<org>/<project>/releases/<version>/files/<file_id>/",
               methods=["GET"])
    @authenticated
    def release_file_detail(self, request: Any, org: str, version: str, file_id: str,
                            project: str | None = None) -> bytes:
        organization, project_ids = self._release_scope(org, version, project)
        bundle, bundle_file, dist = self.store.uploads.release_file(
            organization.id, version, file_id, project_ids)
        if arg(request, "download") not in (None, "", "0", "false"):
            return _attachment(request, bundle.read(bundle_file),
                               posixpath.basename(bundle_file.url) or "file")
        return json_response(request, upload_shapes.release_file(bundle, bundle_file, dist))

    # Artifact bundles

    @app.route("/api/0/projects/<org>/<project>/files/artifact-bundles/", methods=["GET"])
    @authenticated
    def artifact_bundle_list(self, request: Any, org: str, project: str) -> bytes:
        organization = self.store.directory.organization(org)
        found = self.store.directory.project(organization, project)
        sort_by = arg(request, "sortBy", "-date_added")
        if sort_by not in ("date_added", "-date_added"):
            raise refuse("You can either sort via 'date_added' or '-date_added'")
        bundles = self.store.uploads.bundles(organization.id, found.id, arg(request, "query"))
        if sort_by == "date_added":
            bundles.reverse()
        page = paginate(request, bundles, default=10)
        return json_response(request, [upload_shapes.artifact_bundle(bundle) for bundle in page])

    @app.route("/api/0/projects/<org>/<project>/artifact-bundles/<bundle_id>/files/",
               methods=["GET"])
    @authenticated
    def artifact_bundle_files(self, request: Any, org: str, project: str,
                              bundle_id: str) -> bytes:
        organization = self.store.directory.organization(org)
        found = self.store.directory.project(organization, project)
        bundle = self.store.uploads.bundle(organization.id, bundle_id, found.id)
        query = (arg(request, "query") or "").lower()
        files = [item for item in bundle.files if not query or query in item.url.lower()]
        page = paginate(request, files, default=10)
        body = upload_shapes.artifact_bundle(bundle)
        body["files"] = [upload_shapes.bundle_file(item) for item in page]
        return json_response(request, body)


def _attachment(request: Any, data: bytes, filename: str) -> bytes:
    safe = filename.replace('"', "").replace("\r", "").replace("\n", "")
    request.setResponseCode(200)
    request.setHeader(b"content-type", b"application/octet-stream")
    request.setHeader(b"content-disposition",
                      f'attachment; filename="{safe}"'.encode("utf-8"))
    return data
