"""
The chunk upload and assemble protocol in memory: chunk options, chunk uploads (gzip and raw
parts), artifact bundle and debug file assembly, and the lists and downloads that follow.
"""

import gzip
import hashlib
import io
import json
import zipfile

import pytest_twisted

ORG = "/api/0/organizations/parlel"
CHUNKS = f"{ORG}/chunk-upload/"
BUNDLE_ASSEMBLE = f"{ORG}/artifactbundle/assemble/"
DIF_ASSEMBLE = "/api/0/projects/parlel/parlel/files/difs/assemble/"
DSYMS = "/api/0/projects/parlel/parlel/files/dsyms/"
BUNDLES = "/api/0/projects/parlel/parlel/files/artifact-bundles/"
BOUNDARY = "------------------------sentryfaketestboundary"
BUNDLE_ID = "0f0a7a3c-24d8-4d5c-9a5e-2b0d3e6f7a81"
SCRIPT = b"function add(n,d){return n+d}\n//# sourceMappingURL=app.min.js.map\n"
SOURCE_MAP = b'{"version":3,"file":"app.min.js","sources":["app.js"],"names":[],"mappings":"AAAA"}\n'
BREAKPAD = (b"MODULE Linux x86_64 DFB8E43AF2423D73A453AEB6A777EF750 crash\n"
            b"FILE 0 crash.c\nFUNC 1000 10 0 main\n1000 10 3 0\n")
BREAKPAD_ID = "dfb8e43a-f242-3d73-a453-aeb6a777ef75"


def sha1(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


def make_bundle(files=None, release="1.0", dist=None, debug_id=BUNDLE_ID) -> bytes:
    """
    An artifact bundle as sentry-cli writes one: a zip with a manifest and the files it lists.
    """
    files = files if files is not None else {
        "~/app.min.js": ("minified_source", SCRIPT, {"sourcemap": "app.min.js.map"}),
        "~/app.min.js.map": ("source_map", SOURCE_MAP, {}),
    }
    manifest = {"files": {}, "org": "parlel", "project": "parlel", "release": release}
    if dist:
        manifest["dist"] = dist
    if debug_id:
        manifest["debug_id"] = debug_id
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for url, (kind, data, headers) in files.items():
            path = "files/_/_/" + url[2:]
            manifest["files"][path] = {"url": url, "type": kind, "headers": headers}
            archive.writestr(path, data)
        archive.writestr("manifest.json", json.dumps(manifest))
    return out.getvalue()


def split(data: bytes, size: int) -> list[bytes]:
    return [data[offset:offset + size] for offset in range(0, len(data), size)] or [b""]


def multipart(parts) -> tuple[bytes, str]:
    """
    A chunk upload body: C{parts} are (field name, file name, bytes as sent).
    """
    out = b""
    for name, filename, data in parts:
        out += (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; "
                f"filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                ).encode() + data + b"\r\n"
    return out + f"--{BOUNDARY}--\r\n".encode(), f"multipart/form-data; boundary={BOUNDARY}"


async def upload(api, chunks, compress=True):
    """
    Upload chunks in one request, gzip-compressed (C{file_gzip}) or raw (C{file}).
    """
    parts = [("file_gzip", sha1(chunk), gzip.compress(chunk)) if compress
             else ("file", sha1(chunk), chunk) for chunk in chunks]
    body, content_type = multipart(parts)
    return await api.request("POST", CHUNKS, body=body, headers={"Content-Type": content_type})


async def assemble(api, data: bytes, chunks, projects=("parlel",), **extra):
    body = {"checksum": sha1(data), "chunks": [sha1(chunk) for chunk in chunks],
            "projects": list(projects), **extra}
    return await api.request("POST", BUNDLE_ASSEMBLE, json_body=body)


async def upload_bundle(api, data: bytes, **extra) -> None:
    chunks = split(data, 100)
    first = await assemble(api, data, chunks, **extra)
    assert first.json()["state"] == "not_found"
    assert (await upload(api, chunks)).code == 200
    assert (await assemble(api, data, chunks, **extra)).json()["state"] == "created"


@pytest_twisted.ensureDeferred
async def test_chunk_upload_options(api, store):
    answer = await api.request("GET", CHUNKS)
    assert answer.code == 200 and answer.header("content-type") == "application/json"
    body = answer.json()
    assert body["url"] == "http://localhost/api/0/organizations/parlel/chunk-upload/"
    assert (body["chunkSize"], body["chunksPerRequest"], body["concurrency"]) == (8 << 20, 64, 8)
    assert body["hashAlgorithm"] == "sha1" and body["compression"] == ["gzip"]
    assert {"artifact_bundles", "debug_files", "release_files"} <= set(body["accept"])
    # What sentry-cli packs into one request must fit the server's limit on request bodies.
    assert 2 * body["chunkSize"] <= body["maxRequestSize"] < store.limits.request_body
    assert body["maxFileSize"] > 0
    assert (await api.request("GET", "/api/0/organizations/nope/chunk-upload/")).code == 404
    assert (await api.request("GET", CHUNKS, token=None)).code == 401


@pytest_twisted.ensureDeferred
async def test_bundle_assembly_asks_for_missing_chunks_first(api, store):
    data = make_bundle()
    chunks = split(data, 200)
    assert len(chunks) >= 3
    first = await assemble(api, data, chunks, version="1.0")
    assert first.code == 200
    assert first.json() == {"state": "not_found", "detail": None,
                            "missingChunks": [sha1(chunk) for chunk in chunks]}

    # Half the chunks gzip-compressed, the rest raw: only the rest is still missing.
    assert (await upload(api, chunks[:2])).code == 200
    assert (await upload(api, chunks[2:-1], compress=False)).code == 200
    second = await assemble(api, data, chunks, version="1.0")
    assert second.json()["state"] == "not_found"
    assert second.json()["missingChunks"] == [sha1(chunks[-1])]

    assert (await upload(api, chunks[-1:], compress=False)).code == 200
    third = await assemble(api, data, chunks, version="1.0")
    assert third.json() == {"state": "created", "detail": None, "missingChunks": []}
    assert store.uploads.pending_chunks() == 0
    # Later answers (sentry-cli's --wait polls, an identical upload) say ok, with or without chunks.
    assert (await assemble(api, data, chunks, version="1.0")).json()["state"] == "ok"
    assert (await assemble(api, data, [], version="1.0")).json()["state"] == "ok"

    bundles = (await api.request("GET", BUNDLES)).json()
    assert [(b["bundleId"], b["fileCount"], b["associations"]) for b in bundles] == [
        (BUNDLE_ID, 2, [{"release": "1.0", "dist": None}])]


@pytest_twisted.ensureDeferred
async def test_chunk_upload_refusals(api, store):
    good, bad = b"right bytes", b"wrong bytes"
    body, content_type = multipart([("file_gzip", sha1(good), gzip.compress(bad))])
    answer = await api.request("POST", CHUNKS, body=body, headers={"Content-Type": content_type})
    assert (answer.code, answer.json()) == (400, {"error": "Checksum mismatch"})
    body, content_type = multipart([("file", sha1(good), bad)])
    answer = await api.request("POST", CHUNKS, body=body, headers={"Content-Type": content_type})
    assert (answer.code, answer.json()) == (400, {"error": "Checksum mismatch"})
    assert store.uploads.missing_chunks(1, [sha1(good), sha1(bad)]) == [sha1(good), sha1(bad)]

    too_many = [str(index).encode() for index in range(65)]
    answer = await upload(api, too_many)
    assert (answer.code, answer.json()) == (400, {"error": "Too many chunks"})

    # Sizes count the decompressed chunk: a small gzip part can be a chunk too large.
    huge = b"\0" * (8 * 1024 * 1024 + 1)
    answer = await upload(api, [huge])
    assert (answer.code, answer.json()) == (400, {"error": "Chunk size too large"})
    full = [bytes([index]) * (8 * 1024 * 1024) for index in range(3)]
    answer = await upload(api, full)
    assert (answer.code, answer.json()) == (400, {"error": "Request too large"})

    body, content_type = multipart([("file_gzip", sha1(good), b"not gzip at all")])
    answer = await api.request("POST", CHUNKS, body=body, headers={"Content-Type": content_type})
    assert answer.code == 400 and "error" in answer.json()
    assert store.uploads.pending_chunks() == 0
    # An empty body (nothing to upload) is fine, as in Sentry.
    assert (await api.request("POST", CHUNKS)).code == 200


@pytest_twisted.ensureDeferred
async def test_bundle_assemble_refusals(api):
    data = make_bundle()
    answer = await api.request("POST", BUNDLE_ASSEMBLE, body=b"{not json",
                               headers={"Content-Type": "application/json"})
    assert (answer.code, answer.json()) == (400, {"error": "Invalid json body"})
    answer = await assemble(api, data, [data], projects=())
    assert (answer.code, answer.json()) == (
        400, {"error": "You need to specify at least one project"})
    answer = await assemble(api, data, [data], projects=("parlel", "nope"))
    assert (answer.code, answer.json()) == (400, {"error": "One or more projects are invalid"})
    for body in ({"chunks": [], "projects": ["parlel"]},
                 {"checksum": "XYZ", "chunks": [], "projects": ["parlel"]},
                 {"checksum": sha1(data), "chunks": ["short"], "projects": ["parlel"]},
                 {"checksum": sha1(data), "chunks": [], "projects": ["parlel"], "other": 1},
                 {"checksum": sha1(data), "chunks": [], "projects": ["parlel"], "version": 1}):
        answer = await api.request("POST", BUNDLE_ASSEMBLE, json_body=body)
        assert answer.code == 400 and isinstance(answer.json()["error"], str), body
    other_org = BUNDLE_ASSEMBLE.replace("parlel", "nope")
    answer = await api.request("POST", other_org, json_body={
        "checksum": sha1(data), "chunks": [], "projects": ["parlel"]})
    assert answer.code == 404


@pytest_twisted.ensureDeferred
async def test_broken_bundles_end_in_error(api):
    not_a_zip = b"these bytes are not a zip archive"
    await upload(api, [not_a_zip])
    answer = (await assemble(api, not_a_zip, [not_a_zip])).json()
    assert answer["state"] == "error" and "Invalid artifact bundle" in answer["detail"]
    # The error is remembered for that checksum.
    assert (await assemble(api, not_a_zip, [])).json()["state"] == "error"

    # Chunks that do not add up to the checksum the request names.
    data, stranger = make_bundle(), b"some other chunk"
    await upload(api, [stranger])
    answer = await api.request("POST", BUNDLE_ASSEMBLE, json_body={
        "checksum": sha1(data), "chunks": [sha1(stranger)], "projects": ["parlel"]})
    assert answer.json() == {"state": "error", "detail": "Reported checksum mismatch",
                             "missingChunks": []}


@pytest_twisted.ensureDeferred
async def test_release_files_come_from_bundles(api):
    await upload_bundle(api, make_bundle(), version="1.0")
    files_path = f"{ORG}/releases/1.0/files/"
    # The release itself must exist, as in Sentry.
    assert (await api.request("GET", files_path)).code == 404
    created = await api.request("POST", f"{ORG}/releases/",
                                json_body={"version": "1.0", "projects": ["parlel"]})
    assert created.code == 201

    files = (await api.request("GET", files_path)).json()
    assert [(f["name"], f["dist"], f["size"], f["sha1"]) for f in files] == [
        ("~/app.min.js", None, len(SCRIPT), sha1(SCRIPT)),
        ("~/app.min.js.map", None, len(SOURCE_MAP), sha1(SOURCE_MAP))]
    assert files[0]["headers"] == {"sourcemap": "app.min.js.map"}
    assert all(isinstance(f["id"], str) and f["dateCreated"].endswith("Z") for f in files)
    project_scoped = "/api/0/projects/parlel/parlel/releases/1.0/files/"
    assert (await api.request("GET", project_scoped)).json() == files

    for entry, content in zip(files, (SCRIPT, SOURCE_MAP)):
        detail = await api.request("GET", f"{files_path}{entry['id']}/")
        assert detail.json() == entry
        download = await api.request("GET", f"{files_path}{entry['id']}/?download=1")
        assert download.code == 200 and download.content == content
        assert download.header("content-type") == "application/octet-stream"
        assert entry["name"][2:] in download.header("content-disposition")
        scoped = await api.request("GET", f"{project_scoped}{entry['id']}/?download=1")
        assert scoped.content == content
    assert (await api.request("GET", f"{files_path}999/")).code == 404

    # A newer bundle for the same release replaces a file of the same name.
    newer = SCRIPT.replace(b"add", b"sum")
    await upload_bundle(api, make_bundle(
        {"~/app.min.js": ("minified_source", newer, {})}, debug_id=None), version="1.0")
    files = (await api.request("GET", files_path)).json()
    assert [(f["name"], f["sha1"]) for f in files] == [
        ("~/app.min.js", sha1(newer)), ("~/app.min.js.map", sha1(SOURCE_MAP))]
    bundles = (await api.request("GET", BUNDLES)).json()
    assert [b["fileCount"] for b in bundles] == [1, 2]
    oldest_first = (await api.request("GET", BUNDLES + "?sortBy=date_added")).json()
    assert [b["fileCount"] for b in oldest_first] == [2, 1]
    assert (await api.request("GET", BUNDLES + "?sortBy=size")).code == 400
    assert (await api.request("GET", BUNDLES + "?query=" + BUNDLE_ID[:8])).json() == [
        bundles[1]]

    listed = await api.request(
        "GET", f"/api/0/projects/parlel/parlel/artifact-bundles/{BUNDLE_ID}/files/")
    body = listed.json()
    assert body["bundleId"] == BUNDLE_ID and body["fileCount"] == 2
    assert [(f["filePath"], f["fileType"], f["fileSize"]) for f in body["files"]] == [
        ("~/app.min.js", 2, len(SCRIPT)), ("~/app.min.js.map", 3, len(SOURCE_MAP))]


@pytest_twisted.ensureDeferred
async def test_bundle_dist_and_other_releases(api):
    await upload_bundle(api, make_bundle(dist="web"), version="2.0", dist="web")
    await api.request("POST", f"{ORG}/releases/", json_body={"version": "2.0", "projects": ["parlel"]})
    await api.request("POST", f"{ORG}/releases/", json_body={"version": "3.0", "projects": ["parlel"]})
    files = (await api.request("GET", f"{ORG}/releases/2.0/files/")).json()
    assert {(f["name"], f["dist"]) for f in files} == {("~/app.min.js", "web"),
                                                      ("~/app.min.js.map", "web")}
    assert (await api.request("GET", f"{ORG}/releases/3.0/files/")).json() == []
    other = await api.request("GET", f"{ORG}/releases/3.0/files/{files[0]['id']}/")
    assert other.code == 404


async def assemble_difs(api, files):
    return await api.request("POST", DIF_ASSEMBLE, json_body=files)


@pytest_twisted.ensureDeferred
async def test_debug_file_assembly_answers_per_checksum(api, store):
    chunks = split(BREAKPAD, 40)
    absent = b"a file whose chunks never come"
    request = {
        sha1(BREAKPAD): {"name": "crash.sym", "debug_id": BREAKPAD_ID,
                         "chunks": [sha1(chunk) for chunk in chunks]},
        sha1(absent): {"name": "absent", "chunks": [sha1(absent)]},
    }
    first = (await assemble_difs(api, request)).json()
    assert set(first) == set(request)
    assert first[sha1(BREAKPAD)]["state"] == "not_found"
    assert first[sha1(BREAKPAD)]["missingChunks"] == [sha1(chunk) for chunk in chunks]
    assert first[sha1(absent)]["missingChunks"] == [sha1(absent)]

    assert (await upload(api, chunks)).code == 200
    second = (await assemble_difs(api, request)).json()
    assert second[sha1(BREAKPAD)] == {"state": "created", "missingChunks": [], "detail": None}
    assert second[sha1(absent)]["state"] == "not_found"
    assert store.uploads.pending_chunks() == 0

    third = (await assemble_difs(api, request)).json()
    entry = third[sha1(BREAKPAD)]
    assert (entry["state"], entry["missingChunks"], entry["detail"]) == ("ok", [], None)
    dif = entry["dif"]
    assert dif["uuid"] == dif["debugId"] == BREAKPAD_ID
    assert (dif["objectName"], dif["cpuName"], dif["sha1"]) == (
        "crash.sym", "x86_64", sha1(BREAKPAD))
    assert dif["data"]["type"] == "dbg" and dif["symbolType"] == "breakpad"
    assert isinstance(dif["id"], str)

    # A poll without chunks for an unknown file is not_found with nothing missing.
    poll = (await assemble_difs(api, {sha1(b"x"): {"name": "x", "chunks": []}})).json()
    assert poll == {sha1(b"x"): {"state": "not_found", "missingChunks": [], "detail": None}}


@pytest_twisted.ensureDeferred
async def test_debug_file_refusals_and_errors(api):
    answer = await api.request("POST", DIF_ASSEMBLE, body=b"[",
                               headers={"Content-Type": "application/json"})
    assert (answer.code, answer.json()) == (400, {"error": "Invalid json body"})
    for body in ({"not-a-checksum": {"name": "a", "chunks": []}},
                 {sha1(b"a"): {"chunks": []}},
                 {sha1(b"a"): {"name": "a", "chunks": ["nope"]}}):
        answer = await assemble_difs(api, body)
        assert answer.code == 400 and "error" in answer.json(), body
    missing_project = DIF_ASSEMBLE.replace("/parlel/files", "/nope/files")
    assert (await api.request("POST", missing_project, json_body={})).code == 404

    garbage = b"\x00\x01 not a debug information file"
    await upload(api, [garbage])
    request = {sha1(garbage): {"name": "garbage", "chunks": [sha1(garbage)]}}
    answer = (await assemble_difs(api, request)).json()[sha1(garbage)]
    assert answer["state"] == "error"
    assert answer["detail"] == "Unsupported debug information file"


@pytest_twisted.ensureDeferred
async def test_debug_file_list_download_and_delete(api):
    chunks = [BREAKPAD]
    await upload(api, chunks)
    request = {sha1(BREAKPAD): {"name": "crash.sym", "chunks": [sha1(BREAKPAD)]}}
    assert (await assemble_difs(api, request)).json()[sha1(BREAKPAD)]["state"] == "created"

    listed = await api.request("GET", DSYMS)
    assert listed.code == 200 and listed.header("link")
    (dif,) = listed.json()
    # Without a debug id in the request, the one the file names is used.
    assert dif["debugId"] == BREAKPAD_ID and dif["sha1"] == sha1(BREAKPAD)
    assert dif["size"] == len(BREAKPAD) and dif["headers"] == {"Content-Type": "text/x-breakpad"}
    for query in ("crash", BREAKPAD_ID.upper(), "x86_64"):
        assert (await api.request("GET", DSYMS + "?query=" + query)).json() == [dif], query
    assert (await api.request("GET", DSYMS + "?query=nothing-like-it")).json() == []
    assert (await api.request("GET", DSYMS + "?file_formats=elf")).json() == []
    assert (await api.request("GET", DSYMS + "?debug_id=" + BREAKPAD_ID)).json() == [dif]

    download = await api.request("GET", DSYMS + "?id=" + dif["id"])
    assert download.code == 200 and download.content == BREAKPAD
    assert download.header("content-type") == "application/octet-stream"
    assert (await api.request("GET", DSYMS + "?id=999")).code == 404

    assert (await api.request("DELETE", DSYMS + "?id=" + dif["id"])).code == 204
    assert (await api.request("GET", DSYMS)).json() == []


def test_chunk_limits_fit_the_site_limit():
    from sentry_fake.management.uploads import chunk_limits

    mib = 1024 * 1024
    assert chunk_limits(20 * mib) == (8 * mib, 19 * mib)
    assert chunk_limits(64 * mib) == (8 * mib, 32 * mib)
    # A small site limit gets smaller chunks (a power of two), each request still under it.
    assert chunk_limits(2 * mib) == (1 * mib, 2 * mib - 256 * 1024)
