"""
Sentry's JSON shapes for uploads: chunk upload options, assemble answers, debug files, release
files and artifact bundles.  Pure functions of the upload book's records.
"""

from __future__ import annotations

from typing import Any

from ..store.upload_models import OK, ArtifactBundle, AssembleAnswer, BundleFile, DebugFile
from ..timefmt import isoformat

#: The upload kinds the chunk upload options accept (sentry-cli 2.x chose features by them:
#: C{proguard} for chunked ProGuard mappings, C{dartsymbolmap} for Dart symbol maps).
ACCEPT = ["debug_files", "release_files", "pdbs", "sources", "bcsymbolmaps", "il2cpp",
          "portablepdbs", "artifact_bundles", "proguard", "dartsymbolmap"]
#: The object kinds sentry-cli can read in C{data.type}; anything else is sent as C{other}.
OBJECT_KINDS = {"none", "rel", "exe", "lib", "dbg", "src", "other"}
#: SourceFileType values of Sentry's artifact bundle file list.
SOURCE_FILE_TYPES = {"source": 1, "minified_source": 2, "source_map": 3,
                     "indexed_ram_bundle": 4}


def chunk_options(url: str, chunk_size: int, chunks_per_request: int, max_file_size: int,
                  max_request_size: int, concurrency: int) -> dict[str, Any]:
    return {
        "url": url,
        "chunkSize": chunk_size,
        "chunksPerRequest": chunks_per_request,
        "maxFileSize": max_file_size,
        "maxRequestSize": max_request_size,
        "concurrency": concurrency,
        "hashAlgorithm": "sha1",
        "compression": ["gzip"],
        "accept": list(ACCEPT),
    }


def bundle_assemble(answer: AssembleAnswer) -> dict[str, Any]:
    return {"state": answer.state, "missingChunks": list(answer.missing),
            "detail": answer.detail}


def debug_file(dif: DebugFile) -> dict[str, Any]:
    info = dif.info
    data: dict[str, Any] = {"features": list(info.features)}
    if info.kind is not None:
        data = {"type": info.kind if info.kind in OBJECT_KINDS else "other", **data}
    return {
        "id": str(dif.id),
        "uuid": dif.debug_id[:36],
        "debugId": dif.debug_id,
        "codeId": info.code_id,
        "cpuName": info.arch,
        "objectName": dif.name,
        "symbolType": info.file_format,
        "headers": {"Content-Type": info.content_type},
        "size": dif.size,
        "sha1": dif.checksum,
        "dateCreated": isoformat(dif.date_created),
        "data": data,
    }


def dif_assemble(answer: AssembleAnswer) -> dict[str, Any]:
    body: dict[str, Any] = {"state": answer.state, "missingChunks": list(answer.missing),
                            "detail": answer.detail}
    if answer.state == OK and answer.debug_file is not None:
        body["dif"] = debug_file(answer.debug_file)
    return body


def release_file(bundle: ArtifactBundle, bundle_file: BundleFile,
                 dist: str | None) -> dict[str, Any]:
    return {
        "id": str(bundle_file.id),
        "name": bundle_file.url,
        "dist": dist,
        "headers": dict(bundle_file.headers),
        "size": bundle_file.size,
        "sha1": bundle_file.sha1,
        "dateCreated": isoformat(bundle.date_uploaded),
    }


def artifact_bundle(bundle: ArtifactBundle) -> dict[str, Any]:
    return {
        "bundleId": bundle.bundle_id,
        "associations": [{"release": release, "dist": dist}
                         for release, dist in sorted(bundle.associations,
                                                     key=lambda pair: (pair[0] or "",
                                                                       pair[1] or ""))],
        "fileCount": len(bundle.files),
        "date": isoformat(bundle.date_uploaded),
        "dateModified": isoformat(bundle.date_uploaded),
    }


def bundle_file(bundle_file_: BundleFile) -> dict[str, Any]:
    return {
        "id": str(bundle_file_.id),
        "fileType": SOURCE_FILE_TYPES.get(bundle_file_.type or "", 0),
        "filePath": bundle_file_.url,
        "fileSize": bundle_file_.size,
        "debugId": bundle_file_.debug_id,
    }
