"""
The real sentry-cli uploading mappings to a listening server: ProGuard mappings
(C{proguard upload} and the older C{upload-proguard}) and Dart symbol maps as debug files, and
code mappings in bulk; each read back through the management API, and again after a restart
of a server with a data directory.
"""

import json
import os

import pytest_twisted
import treq
from twisted.internet.utils import getProcessOutputAndValue

from sentry_fake.application import Settings
from sentry_fake.testing import start_server

from conftest import Client
from test_mapping_uploads_api import proguard_id, sha1
from test_object_files import SOURCE, compiler
from sentry_cli_runner import TOKEN, sentry_cli_path

PROJECT = "/api/0/projects/parlel/parlel"
CODE_MAPPINGS = "/api/0/organizations/parlel/code-mappings/"
MAPPING = """\
com.acme.shop.MainActivity -> a.a:
    android.os.Bundle state -> a
    1:1:void onCreate(android.os.Bundle):12:12 -> onCreate
com.acme.shop.Cart -> a.b:
    2:4:int total(java.util.List):30:32 -> a
"""
OTHER_MAPPING = """\
com.acme.shop.Checkout -> b.a:
    1:3:void pay():40:42 -> a
"""
DART_MAP = ["MaterialApp", "ex", "Scaffold", "ey", "CheckoutError", "ez"]
CODE_MAPPING_FILE = [
    {"stackRoot": "com/acme/shop", "sourceRoot": "app/src/main/java/com/acme/shop"},
    {"stackRoot": "com/acme/core", "sourceRoot": "core/src/main/java/com/acme/core"},
]


def runner(url: str, home):
    """
    Run sentry-cli against C{url}; returns (exit code, stdout, stderr).
    """
    env = dict(os.environ, SENTRY_URL=url + "/", SENTRY_AUTH_TOKEN=TOKEN, SENTRY_ORG="parlel",
               SENTRY_PROJECT="parlel", SENTRY_DISABLE_UPDATE_CHECK="1", HOME=str(home))
    env.pop("GIT_DIR", None)
    path = sentry_cli_path()

    async def run(*args, cwd=None):
        out, err, code = await getProcessOutputAndValue(path, list(args), env=env,
                                                        path=str(cwd or home))
        return code, out.decode(), err.decode()

    return run


async def debug_files(api) -> dict:
    answer = await api.request("GET", f"{PROJECT}/files/dsyms/")
    assert answer.code == 200, answer
    return {entry["debugId"]: entry for entry in answer.json()}


async def download(api, entry) -> bytes:
    answer = await api.request("GET", f"{PROJECT}/files/dsyms/?id={entry['id']}")
    assert answer.code == 200
    return answer.content


async def elf_with_debug_id(cli, directory):
    """
    A small executable built here, and the one debug id sentry-cli reads from it.
    """
    source = directory / "app.c"
    source.write_text(SOURCE)
    executable = directory / "app"
    out, err, code = await getProcessOutputAndValue(
        compiler(), ["-g", str(source), "-o", str(executable)], env=dict(os.environ))
    assert code == 0, err
    code, out, err = await cli("debug-files", "check", "--json", str(executable))
    assert code == 0, err
    return executable, json.loads(out)["variants"][0]["debug_id"]


@pytest_twisted.ensureDeferred
async def test_proguard_upload_and_upload_proguard(server, live_api, tmp_path):
    cli = runner(server.url, tmp_path)
    first, second = tmp_path / "mapping.txt", tmp_path / "other-mapping.txt"
    first.write_text(MAPPING)
    second.write_text(OTHER_MAPPING)
    code, out, err = await cli("proguard", "uuid", str(first))
    assert code == 0, err
    first_id = out.strip()
    # sentry-cli names the upload by the UUIDv5 of the whole mapping; the server keys on it.
    assert first_id == proguard_id(first.read_bytes())
    second_id = proguard_id(second.read_bytes())

    code, out, err = await cli("proguard", "upload", str(first))
    assert code == 0, err
    assert f"UPLOADED {first_id} (Proguard mapping)" in out
    code, out, err = await cli("upload-proguard", str(second))
    assert code == 0, err
    assert f"UPLOADED {second_id} (Proguard mapping)" in out

    listed = await debug_files(live_api)
    assert set(listed) == {first_id, second_id}
    for debug_id, path in ((first_id, first), (second_id, second)):
        entry = listed[debug_id]
        assert (entry["uuid"], entry["objectName"], entry["cpuName"], entry["symbolType"],
                entry["codeId"], entry["data"]) == (
            debug_id, "proguard-mapping", "any", "proguard", None, {"features": ["mapping"]})
        assert entry["headers"] == {"Content-Type": "text/x-proguard+plain"}
        assert (entry["sha1"], entry["size"]) == (sha1(path.read_bytes()), path.stat().st_size)
        assert await download(live_api, entry) == path.read_bytes()

    # The server has it: sentry-cli sends nothing more, under either command.
    for command in (("proguard", "upload"), ("upload-proguard",)):
        code, out, err = await cli(*command, str(first))
        assert code == 0, err
        assert "Nothing to upload" in out
    assert set(await debug_files(live_api)) == {first_id, second_id}


@pytest_twisted.ensureDeferred
async def test_dart_symbol_map_upload(server, live_api, tmp_path):
    cli = runner(server.url, tmp_path)
    executable, debug_id = await elf_with_debug_id(cli, tmp_path)
    symbol_map = tmp_path / "dartsymbolmap.json"
    symbol_map.write_text(json.dumps(DART_MAP))

    code, out, err = await cli("dart-symbol-map", "upload", str(symbol_map), str(executable))
    assert code == 0, err
    # It waits for the server to process the map, and prints what the server made of it.
    assert f"OK {debug_id} (dartsymbolmap.json; any)" in out
    entry = (await debug_files(live_api))[debug_id]
    assert (entry["objectName"], entry["cpuName"], entry["symbolType"], entry["data"]) == (
        "dartsymbolmap.json", "any", "dartsymbolmap", {"features": ["mapping"]})
    assert entry["headers"] == {"Content-Type": "application/x-dartsymbolmap+json"}
    assert await download(live_api, entry) == symbol_map.read_bytes()


async def listed_mappings(api, query=""):
    answer = await api.request("GET", CODE_MAPPINGS + query)
    assert answer.code == 200, answer
    return {(m["projectSlug"], m["stackRoot"]): m for m in answer.json()}


@pytest_twisted.ensureDeferred
async def test_code_mappings_upload(server, live_api, tmp_path):
    cli = runner(server.url, tmp_path)
    mappings = tmp_path / "mappings.json"
    mappings.write_text(json.dumps(CODE_MAPPING_FILE))
    code, out, err = await cli("code-mappings", "upload", "--repo", "acme/shop",
                               "--default-branch", "develop", str(mappings))
    assert code == 0, err
    assert "Uploading 2 code mapping(s)..." in out and "Created: 2, Updated: 0, Errors: 0" in out
    found = await listed_mappings(live_api, "?project=1")
    assert {key: (m["sourceRoot"], m["repoName"], m["defaultBranch"]) for key, m in found.items()} \
        == {("parlel", entry["stackRoot"]): (entry["sourceRoot"], "acme/shop", "develop")
            for entry in CODE_MAPPING_FILE}

    # From a git checkout, sentry-cli names the repository after its remote, and the default
    # branch falls back to main when the remote's HEAD is unknown.
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    for args in (["init", "--quiet"],
                 ["remote", "add", "origin", "https://github.com/acme/shop.git"]):
        out, err, code = await getProcessOutputAndValue("git", args, env=dict(os.environ),
                                                        path=str(checkout))
        assert code == 0, err
    changed = [{"stackRoot": "com/acme/shop", "sourceRoot": "shop/src/com/acme/shop"},
               {"stackRoot": "com/acme/core", "sourceRoot": "core/src/main/java/com/acme/core"},
               {"stackRoot": "com/acme/pay", "sourceRoot": "pay/src/com/acme/pay"}]
    mappings.write_text(json.dumps(changed))
    code, out, err = await cli("code-mappings", "upload", str(mappings), cwd=checkout)
    assert code == 0, err
    assert "Created: 1, Updated: 2, Errors: 0" in out
    found = await listed_mappings(live_api)
    assert {key: (m["sourceRoot"], m["repoName"], m["defaultBranch"]) for key, m in found.items()} \
        == {("parlel", entry["stackRoot"]): (entry["sourceRoot"], "acme/shop", "main")
            for entry in changed}
    repos = (await live_api.request("GET", "/api/0/organizations/parlel/repos/")).json()
    assert [repo["name"] for repo in repos] == ["acme/shop"]

    # An unknown project is refused (sentry-cli reports the 404 as the batch's error).
    code, out, err = await cli("code-mappings", "upload", "--project", "nope", "--repo",
                               "acme/shop", str(mappings))
    assert code != 0
    assert "Batch 1/1 failed" in out and "Errors: 1" in out
    assert len(await listed_mappings(live_api)) == 3


@pytest_twisted.ensureDeferred
async def test_mappings_survive_a_restart(tmp_path):
    from twisted.internet import reactor

    settings = Settings(data_dir=str(tmp_path / "data"))
    mapping = tmp_path / "mapping.txt"
    mapping.write_text(MAPPING)
    symbol_map = tmp_path / "dartsymbolmap.json"
    symbol_map.write_text(json.dumps(DART_MAP))
    code_mappings = tmp_path / "mappings.json"
    code_mappings.write_text(json.dumps(CODE_MAPPING_FILE))

    first = await start_server(reactor, settings)
    try:
        cli, api = runner(first.url, tmp_path), Client(treq, first.url, persistent=False)
        executable, dart_id = await elf_with_debug_id(cli, tmp_path)
        for args in (("proguard", "upload", str(mapping)),
                     ("dart-symbol-map", "upload", str(symbol_map), str(executable)),
                     ("code-mappings", "upload", "--repo", "acme/shop", "--default-branch",
                      "main", str(code_mappings))):
            code, out, err = await cli(*args)
            assert code == 0, (args, err)
        files, mappings = await debug_files(api), await listed_mappings(api)
        assert set(files) == {proguard_id(mapping.read_bytes()), dart_id} and len(mappings) == 2
    finally:
        await first.stop()

    second = await start_server(reactor, settings)
    try:
        cli, api = runner(second.url, tmp_path), Client(treq, second.url, persistent=False)
        assert await debug_files(api) == files
        assert await listed_mappings(api) == mappings
        for entry, path in ((files[proguard_id(mapping.read_bytes())], mapping),
                            (files[dart_id], symbol_map)):
            assert await download(api, entry) == path.read_bytes()
        code, out, err = await cli("proguard", "upload", str(mapping))
        assert code == 0 and "Nothing to upload" in out, err
        code, out, err = await cli("code-mappings", "upload", "--repo", "acme/shop",
                                   "--default-branch", "main", str(code_mappings))
        assert code == 0 and "Created: 0, Updated: 2, Errors: 0" in out, err
    finally:
        await second.stop()
