"""
ProGuard mappings and Dart symbol maps through the debug file assemble protocol, and code
mappings through the bulk endpoint and their list, in memory: what each is stored as, and how
bad input is refused.
"""

import hashlib
import uuid

import pytest
import pytest_twisted

from sentry_fake.errors import Invalid
from sentry_fake.store.mapping_files import identify, proguard_uuid

from test_uploads_api import BREAKPAD, BREAKPAD_ID, DIF_ASSEMBLE, DSYMS, upload

ORG = "/api/0/organizations/parlel"
BULK = f"{ORG}/code-mappings/bulk/"
MAPPINGS = f"{ORG}/code-mappings/"
MAPPING = b"com.acme.Shop -> a.a:\n    void checkout() -> a\n    1:2:int total():10:11 -> b\n"
DART_MAP = b'["MaterialApp","ex","Scaffold","ey"]'
DART_ID = "85beb7f2-d06c-b9aa-809f-8ab5af6dfb96"


def sha1(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


def proguard_id(data: bytes) -> str:
    """
    The debug id of a ProGuard mapping: what sentry-cli names its upload by.
    """
    namespace = uuid.uuid5(uuid.NAMESPACE_DNS, "guardsquare.com")
    return str(uuid.UUID(bytes=hashlib.sha1(namespace.bytes + data).digest()[:16], version=5))


async def assemble_one(api, data: bytes, name: str, debug_id: str | None = None) -> dict:
    wanted = {"name": name, "chunks": [sha1(data)]}
    if debug_id is not None:
        wanted["debug_id"] = debug_id
    assert (await upload(api, [data])).code == 200
    answer = await api.request("POST", DIF_ASSEMBLE, json_body={sha1(data): wanted})
    assert answer.code == 200, answer
    return answer.json()[sha1(data)]


def test_proguard_mappings_are_known_by_their_upload_name():
    debug_id = proguard_id(MAPPING)
    for name in (f"/proguard/{debug_id}.txt", f"/proguard/mapping-{debug_id}.txt",
                 f"/tmp/upload/proguard/{debug_id.upper()}.txt"):
        info, object_name, found = identify(MAPPING, name, None)
        assert (info.file_format, info.kind, info.arch, info.features) == (
            "proguard", None, "any", ("mapping",))
        assert (object_name, found) == ("proguard-mapping", debug_id)
    # The name wins over a debug id sent beside it, as in Sentry.
    assert identify(MAPPING, f"/proguard/{debug_id}.txt", BREAKPAD_ID)[2] == debug_id
    for name in ("proguard/" + debug_id + ".txt", "/proguard/not-a-uuid.txt", "mapping.txt"):
        assert proguard_uuid(name) is None
        with pytest.raises(Invalid, match="Unsupported debug information file"):
            identify(MAPPING, name, None)


def test_dart_symbol_maps_need_a_debug_id_and_pairs_of_names():
    info, object_name, found = identify(DART_MAP, "build/dartsymbolmap.json", DART_ID.upper())
    assert (info.file_format, info.kind, info.arch, info.features) == (
        "dartsymbolmap", None, "any", ("mapping",))
    assert (object_name, found) == ("dartsymbolmap.json", DART_ID)
    for data, debug_id, detail in (
            (DART_MAP, None, "Missing debug_id for dartsymbolmap"),
            (DART_MAP, "not an id", "Missing debug_id for dartsymbolmap"),
            (b'["one", "two", "three"]', DART_ID,
             "dartsymbolmap array must have an even number of elements"),
            (b"[invalid json", DART_ID, "Invalid dartsymbolmap: "),
            (b'["one", 2]', DART_ID, "Invalid dartsymbolmap: ")):
        with pytest.raises(Invalid) as raised:
            identify(data, "dartsymbolmap.json", debug_id)
        assert raised.value.detail.startswith(detail), raised.value.detail
    # Other files are read from their bytes, and the client's debug id still wins.
    assert identify(BREAKPAD, "crash.sym", None)[1:] == ("crash.sym", BREAKPAD_ID)


@pytest_twisted.ensureDeferred
async def test_a_proguard_mapping_is_a_debug_file_of_type_proguard(api):
    debug_id = proguard_id(MAPPING)
    name = f"/proguard/{debug_id}.txt"
    assert (await assemble_one(api, MAPPING, name))["state"] == "created"
    answer = await assemble_one(api, MAPPING, name)
    assert answer["state"] == "ok"
    listed = (await api.request("GET", DSYMS)).json()
    assert listed == [answer["dif"]]
    (dif,) = listed
    assert {key: dif[key] for key in ("uuid", "debugId", "codeId", "cpuName", "objectName",
                                      "symbolType", "headers", "size", "sha1", "data")} == {
        "uuid": debug_id, "debugId": debug_id, "codeId": None, "cpuName": "any",
        "objectName": "proguard-mapping", "symbolType": "proguard",
        "headers": {"Content-Type": "text/x-proguard+plain"}, "size": len(MAPPING),
        "sha1": sha1(MAPPING), "data": {"features": ["mapping"]}}
    assert (await api.request("GET", f"{DSYMS}?debug_id={debug_id}")).json() == listed
    assert (await api.request("GET", f"{DSYMS}?file_formats=proguard")).json() == listed
    assert (await api.request("GET", f"{DSYMS}?file_formats=elf")).json() == []
    download = await api.request("GET", f"{DSYMS}?id={dif['id']}")
    assert download.content == MAPPING
    assert download.header("content-disposition") == f'attachment; filename="{debug_id}.txt"'


@pytest_twisted.ensureDeferred
async def test_a_dart_symbol_map_is_a_debug_file_of_type_dartsymbolmap(api):
    assert (await assemble_one(api, DART_MAP, "dartsymbolmap.json", DART_ID))["state"] == "created"
    (dif,) = (await api.request("GET", DSYMS)).json()
    assert (dif["debugId"], dif["objectName"], dif["cpuName"], dif["symbolType"], dif["data"],
            dif["headers"]) == (DART_ID, "dartsymbolmap.json", "any", "dartsymbolmap",
                                {"features": ["mapping"]},
                                {"Content-Type": "application/x-dartsymbolmap+json"})
    download = await api.request("GET", f"{DSYMS}?id={dif['id']}")
    assert download.content == DART_MAP
    assert download.header("content-disposition") == f'attachment; filename="{DART_ID}.json"'

    # Refused maps end in an error with Sentry's reason, and are remembered as such.
    odd = b'["a", "b", "c"]'
    for _ in range(2):
        answer = await assemble_one(api, odd, "dartsymbolmap.json", DART_ID)
        assert (answer["state"], answer["detail"]) == (
            "error", "dartsymbolmap array must have an even number of elements")
    answer = await assemble_one(api, b'["x", "y"]', "dartsymbolmap.json")
    assert (answer["state"], answer["detail"]) == ("error", "Missing debug_id for dartsymbolmap")
    assert len((await api.request("GET", DSYMS)).json()) == 1


def bulk(mappings=None, **fields):
    body = {"project": "parlel", "repository": "acme/shop", "defaultBranch": "main",
            "mappings": mappings if mappings is not None else [
                {"stackRoot": "com/acme/core", "sourceRoot": "core/src/main/java/com/acme/core"},
                {"stackRoot": "com/acme/maps", "sourceRoot": "maps/src/main/java/com/acme/maps"}]}
    body.update(fields)
    return {key: value for key, value in body.items() if value is not ...}


@pytest_twisted.ensureDeferred
async def test_bulk_code_mappings_create_then_update(api):
    answer = await api.request("POST", BULK, json_body=bulk())
    assert answer.code == 200, answer
    assert answer.json() == {"created": 2, "updated": 0, "errors": 0, "mappings": [
        {"stackRoot": "com/acme/core", "sourceRoot": "core/src/main/java/com/acme/core",
         "status": "created"},
        {"stackRoot": "com/acme/maps", "sourceRoot": "maps/src/main/java/com/acme/maps",
         "status": "created"}]}
    # The repository did not exist: the upload made it.
    (repo,) = (await api.request("GET", f"{ORG}/repos/")).json()
    assert repo["name"] == "acme/shop"

    again = await api.request("POST", BULK, json_body=bulk(
        [{"stackRoot": "com/acme/core", "sourceRoot": "lib/core"},
         {"stackRoot": "", "sourceRoot": ""}], defaultBranch="release/2.x"))
    assert again.json() == {"created": 1, "updated": 1, "errors": 0, "mappings": [
        {"stackRoot": "com/acme/core", "sourceRoot": "lib/core", "status": "updated"},
        {"stackRoot": "", "sourceRoot": "", "status": "created"}]}
    listed = await api.request("GET", MAPPINGS)
    assert listed.code == 200 and listed.header("link")
    assert [(m["stackRoot"], m["sourceRoot"], m["defaultBranch"]) for m in listed.json()] == [
        ("com/acme/core", "lib/core", "release/2.x"),
        ("com/acme/maps", "maps/src/main/java/com/acme/maps", "main"),
        ("", "", "release/2.x")]
    first = listed.json()[0]
    assert first == {
        "id": first["id"], "projectId": "1", "projectSlug": "parlel", "repoId": repo["id"],
        "repoName": "acme/shop", "integrationId": None, "provider": None,
        "stackRoot": "com/acme/core", "sourceRoot": "lib/core", "defaultBranch": "release/2.x",
        "automaticallyGenerated": False}
    assert len((await api.request("GET", f"{MAPPINGS}?per_page=2")).json()) == 2


@pytest_twisted.ensureDeferred
async def test_code_mappings_are_listed_per_project(api):
    created = await api.request("POST", "/api/0/teams/parlel/parlel/projects/",
                                json_body={"name": "Web"})
    assert created.code == 201
    web = created.json()
    await api.request("POST", BULK, json_body=bulk())
    await api.request("POST", BULK, json_body=bulk(
        [{"stackRoot": "app", "sourceRoot": "web/app"}], project="web", provider="github"))
    async def roots(query):
        answer = await api.request("GET", f"{MAPPINGS}{query}")
        assert answer.code == 200, answer
        return [(m["projectSlug"], m["stackRoot"]) for m in answer.json()]

    both = [("parlel", "com/acme/core"), ("parlel", "com/acme/maps"), ("web", "app")]
    assert await roots("") == await roots("?project=-1") == both
    assert await roots(f"?project={web['id']}") == await roots("?project=web") == [("web", "app")]
    assert await roots(f"?project=1&project={web['id']}") == both
    refused = await api.request("GET", f"{MAPPINGS}?project=999")
    assert (refused.code, refused.json()) == (
        403, {"detail": "You do not have permission to perform this action."})
    assert (await api.request("GET", f"{MAPPINGS}?integrationId=1")).code == 404
    # A deleted project's mappings are gone with it.
    assert (await api.request("DELETE", "/api/0/projects/parlel/web/")).code == 204
    assert [root for _, root in await roots("")] == ["com/acme/core", "com/acme/maps"]


@pytest_twisted.ensureDeferred
async def test_bulk_code_mappings_refusals(api, store):
    async def refused(body, code=400):
        answer = await api.request("POST", BULK, json_body=body)
        assert answer.code == code, answer
        return answer.json()

    assert await refused([]) == {
        "nonFieldErrors": ["Invalid data. Expected a dictionary, but got list."]}
    assert await refused({}) == {"project": ["This field is required."],
                                 "repository": ["This field is required."],
                                 "mappings": ["This field is required."]}
    assert await refused(bulk(project=" ", repository=None, defaultBranch="/main",
                              mappings=[])) == {
        "project": ["This field may not be blank."],
        "repository": ["This field may not be null."],
        "defaultBranch": ["Branch name may only have letters, numbers, underscores, forward "
                          "slashes, dashes, and periods. Branch name may not start or end "
                          "with a forward slash."],
        "mappings": ["At least one mapping is required."]}
    assert await refused(bulk({"stackRoot": "a"})) == {"mappings": {"nonFieldErrors": [
        'Expected a list of items but got type "dict".']}}
    assert await refused(bulk([{"stackRoot": "a", "sourceRoot": "b"}, "x",
                               {"stackRoot": "has space", "sourceRoot": True}, {}])) == {
        "mappings": [{}, {"nonFieldErrors": ["Invalid data. Expected a dictionary, but got str."]},
                     {"stackRoot": ["Path may not contain spaces or quotations"],
                      "sourceRoot": ["Not a valid string."]},
                     {"stackRoot": ["This field is required."],
                      "sourceRoot": ["This field is required."]}]}
    assert await refused(bulk([{"stackRoot": f"r{n}", "sourceRoot": "s"} for n in range(301)])) \
        == {"mappings": ["A maximum of 300 mappings can be submitted at once."]}
    assert await refused(bulk(project="nope"), 404) == {
        "detail": "Project not found or not active: nope"}
    assert await refused(bulk(defaultBranch=...)) == {
        "detail": "Could not determine the default branch. Please provide defaultBranch "
                  "explicitly."}
    # A repository known under another provider is not the one named.
    created = await api.request("POST", f"{ORG}/repos/", json_body={
        "name": "acme/hosted", "provider": "integrations:gitlab"})
    assert created.code == 201
    assert await refused(bulk(repository="acme/hosted", provider="github"), 404) == {
        "detail": "Repository not found: acme/hosted"}
    bad_json = await api.request("POST", BULK, body=b"{", headers={
        "Content-Type": "application/json"})
    assert bad_json.code == 400 and "JSON parse error" in bad_json.json()["detail"]
    assert (await api.request("POST", BULK, json_body=bulk(), token=None)).code == 401
    assert (await api.request("POST", "/api/0/organizations/nope/code-mappings/bulk/",
                              json_body=bulk())).code == 404
    # Nothing refused was kept.
    assert (await api.request("GET", MAPPINGS)).json() == []
    assert store.releases.code_mappings(1) == []
    ok = await api.request("POST", BULK, json_body=bulk(repository="acme/hosted",
                                                       provider="gitlab"))
    assert ok.json()["created"] == 2
