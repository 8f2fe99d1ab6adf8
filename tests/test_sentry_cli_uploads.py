"""
The real sentry-cli uploads to a listening server: source maps as artifact bundles and debug
information files, both through the chunk upload and assemble protocol.  What arrived is checked
through the management API, down to the bytes.
"""

import base64
import hashlib
import json
import os

import pytest_twisted
from twisted.internet.utils import getProcessOutputAndValue

from test_object_files import SOURCE, compiler

PROJECT = "/api/0/projects/parlel/parlel"
SCRIPT = b"function add(n,d){return n+d}console.log(add(1,2));\n//# sourceMappingURL=app.min.js.map\n"
SOURCE_MAP = {
    "version": 3, "file": "app.min.js", "sources": ["app.js"],
    "sourcesContent": ["function add(a, b) {\n  return a + b;\n}\nconsole.log(add(1, 2));\n"],
    "names": ["add", "a", "b", "console", "log"],
    "mappings": "AAAA,SAASA,IAAIC,EAAGC,GACd,OAAOD,EAAIC,CACb,CACAC,QAAQC,IAAIH,IAAI,EAAG,CAAC",
}


def sha1(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


def write_build(directory):
    """
    A minified script with its source map, as a bundler leaves them.
    """
    directory.mkdir()
    (directory / "app.min.js").write_bytes(SCRIPT)
    # Pretty-printed on purpose: sentry-cli's rewriting shows as a difference in bytes.
    (directory / "app.min.js.map").write_text(json.dumps(SOURCE_MAP, indent=2) + "\n")
    return directory


async def release_files(live_api, version):
    answer = await live_api.request("GET", f"/api/0/organizations/parlel/releases/{version}/files/")
    assert answer.code == 200, answer
    return {entry["name"]: entry for entry in answer.json()}


async def download(live_api, version, entry):
    answer = await live_api.request(
        "GET", f"/api/0/organizations/parlel/releases/{version}/files/{entry['id']}/?download=1")
    assert answer.code == 200
    assert sha1(answer.content) == entry["sha1"] and len(answer.content) == entry["size"]
    return answer.content


@pytest_twisted.ensureDeferred
async def test_sourcemaps_upload(cli, live_api, tmp_path):
    build = write_build(tmp_path / "dist")
    for version in ("1.0", "1.1"):
        code, out, err = await cli("releases", "new", version)
        assert code == 0, err

    code, out, err = await cli("sourcemaps", "upload", "--release", "1.0", str(build))
    assert code == 0, err
    files = await release_files(live_api, "1.0")
    assert set(files) == {"~/app.min.js", "~/app.min.js.map"}
    assert files["~/app.min.js"]["headers"] == {"sourcemap": "app.min.js.map"}
    assert all(entry["dist"] is None for entry in files.values())
    # The script arrives as it is on disk.  The source map is parsed and written again by
    # sentry-cli when it rewrites source maps (the default), so its bytes change (here the
    # indentation goes) while its content does not.
    assert await download(live_api, "1.0", files["~/app.min.js"]) == SCRIPT
    sent_map = await download(live_api, "1.0", files["~/app.min.js.map"])
    assert sent_map != (build / "app.min.js.map").read_bytes()
    assert json.loads(sent_map) == SOURCE_MAP

    bundles = (await live_api.request("GET", f"{PROJECT}/files/artifact-bundles/")).json()
    assert [(b["fileCount"], b["associations"]) for b in bundles] == [
        (2, [{"release": "1.0", "dist": None}])]

    # The same upload again is the same bundle: the server says it has it.
    code, out, err = await cli("sourcemaps", "upload", "--release", "1.0", str(build))
    assert code == 0, err
    assert "Nothing to upload" in out + err
    assert len((await live_api.request("GET", f"{PROJECT}/files/artifact-bundles/")).json()) == 1

    # Without rewriting, both files arrive byte for byte.
    code, out, err = await cli("sourcemaps", "upload", "--no-rewrite", "--release", "1.1",
                               str(build))
    assert code == 0, err
    files = await release_files(live_api, "1.1")
    for name in ("app.min.js", "app.min.js.map"):
        assert await download(live_api, "1.1", files[f"~/{name}"]) == (build / name).read_bytes()


@pytest_twisted.ensureDeferred
async def test_a_bundle_of_several_chunks_fits_the_request_limit(cli, live_api, tmp_path):
    """
    A bundle over two chunks long: sentry-cli packs chunks into requests up to the advertised
    C{maxRequestSize}, and every such request must get through the server's body limit.
    """
    build = tmp_path / "big"
    build.mkdir()
    # Random base64 text deflates to about three quarters: the zip is some 22 MiB, more than
    # the site takes in one request, so it must be split over two.
    noise = base64.b64encode(os.urandom(22 * 1024 * 1024))
    script = b"var blob='" + noise + b"';\n"
    (build / "big.min.js").write_bytes(script)
    code, out, err = await cli("releases", "new", "3.0")
    assert code == 0, err
    code, out, err = await cli("sourcemaps", "upload", "--release", "3.0", str(build))
    assert code == 0, err
    files = await release_files(live_api, "3.0")
    assert files["~/big.min.js"]["sha1"] == sha1(script)
    assert await download(live_api, "3.0", files["~/big.min.js"]) == script


@pytest_twisted.ensureDeferred
async def test_injected_debug_ids_reach_the_bundle(cli, live_api, tmp_path):
    build = write_build(tmp_path / "dist")
    code, out, err = await cli("sourcemaps", "inject", str(build))
    assert code == 0, err
    script = (build / "app.min.js").read_bytes()
    debug_id = script.rsplit(b"//# debugId=", 1)[1].strip().decode()
    assert json.loads((build / "app.min.js.map").read_bytes())["debugId"] == debug_id

    code, out, err = await cli("sourcemaps", "upload", "--release", "2.0", "--dist", "web",
                               "--wait", str(build))
    assert code == 0, err
    (bundle,) = (await live_api.request("GET", f"{PROJECT}/files/artifact-bundles/")).json()
    assert bundle["associations"] == [{"release": "2.0", "dist": "web"}]
    listed = await live_api.request(
        "GET", f"{PROJECT}/artifact-bundles/{bundle['bundleId']}/files/")
    assert {(f["filePath"], f["debugId"]) for f in listed.json()["files"]} == {
        ("~/app.min.js", debug_id), ("~/app.min.js.map", debug_id)}

    code, out, err = await cli("releases", "new", "2.0")
    assert code == 0, err
    files = await release_files(live_api, "2.0")
    assert {entry["dist"] for entry in files.values()} == {"web"}
    # The injected script is uploaded as injection left it on disk.
    assert await download(live_api, "2.0", files["~/app.min.js"]) == script


@pytest_twisted.ensureDeferred
async def test_debug_files_upload(cli, live_api, tmp_path):
    cc = compiler()
    source = tmp_path / "tiny.c"
    source.write_text(SOURCE)
    env = dict(os.environ)
    for args in (["-g", "-c", str(source), "-o", str(tmp_path / "tiny.o")],
                 ["-g", str(source), "-o", str(tmp_path / "tiny")]):
        out, err, code = await getProcessOutputAndValue(cc, args, env=env)
        assert code == 0, err

    async def debug_id_of(path):
        code, out, err = await cli("debug-files", "check", "--json", str(path))
        assert code == 0, err
        return json.loads(out)["variants"][0]["debug_id"]

    async def listed():
        answer = await live_api.request("GET", f"{PROJECT}/files/dsyms/")
        assert answer.code == 200
        return {entry["objectName"]: entry for entry in answer.json()}

    obj = tmp_path / "tiny.o"
    code, out, err = await cli("debug-files", "upload", str(obj))
    assert code == 0, err
    entry = (await listed())["tiny.o"]
    assert entry["debugId"] == entry["uuid"] == await debug_id_of(obj)
    assert entry["sha1"] == sha1(obj.read_bytes()) and entry["size"] == obj.stat().st_size
    assert (entry["cpuName"], entry["symbolType"], entry["data"]["type"]) == ("x86_64", "elf", "rel")
    fetched = await live_api.request("GET", f"{PROJECT}/files/dsyms/?id={entry['id']}")
    assert fetched.content == obj.read_bytes()

    # With --wait sentry-cli polls until the server says ok, and prints what it got back.
    executable = tmp_path / "tiny"
    code, out, err = await cli("debug-files", "upload", "--wait", str(executable))
    assert code == 0, err
    debug_id = await debug_id_of(executable)
    assert "OK" in out and debug_id in out
    entry = (await listed())["tiny"]
    assert entry["debugId"] == debug_id and entry["sha1"] == sha1(executable.read_bytes())
    assert entry["codeId"] and entry["data"]["features"]
    assert set(await listed()) == {"tiny.o", "tiny"}

