"""
The releases family of the management API: releases, their commits and deploys, repositories.

The main flows run against the in-memory client and a real listening port; the details run in
memory.
"""

import json
import re
from urllib.parse import quote

import pytest
import pytest_twisted
from records import ingest, reset

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
RELEASES = "/api/0/organizations/parlel/releases/"
REPOS = "/api/0/organizations/parlel/repos/"
SHA_A, SHA_B = "a" * 40, "b" * 40


@pytest.fixture(params=["memory", "tcp"])
def http(request):
    return request.getfixturevalue("api" if request.param == "memory" else "live_api")


async def create(http, version, projects=("parlel",), **fields):
    return await http.request("POST", RELEASES,
                              json_body={"version": version, "projects": list(projects), **fields})


async def add_project(api, slug):
    answer = await api.request("POST", "/api/0/organizations/parlel/projects/",
                               json_body={"name": slug, "slug": slug, "platform": "python"})
    assert answer.code == 201, answer
    return answer.json()


@pytest_twisted.ensureDeferred
async def test_create_is_idempotent_and_reports_what_it_did(http):
    answer = await create(http, "1.0.0", dateStarted="2026-01-02T03:04:05Z")
    assert answer.code == 201, answer
    assert answer.header("content-type") == "application/json"
    body = answer.json()
    assert body["version"] == body["shortVersion"] == "1.0.0"
    assert isinstance(body["id"], int) and body["status"] == "open"
    assert ISO.match(body["dateCreated"]) and body["dateReleased"] is None
    assert body["dateStarted"] == "2026-01-02T03:04:05.000000Z"
    assert body["projects"] == [{"id": 1, "slug": "parlel", "name": "parlel", "newGroups": 0,
                                 "platform": None, "platforms": [], "hasHealthData": False}]
    assert (body["commitCount"], body["deployCount"], body["newGroups"]) == (0, 0, 0)
    assert body["lastCommit"] is None and body["lastDeploy"] is None
    assert body["versionInfo"] == {"package": None, "version": {"raw": "1.0.0"},
                                   "description": "1.0.0", "buildHash": None}

    again = await create(http, "1.0.0")
    assert again.code == 208 and again.json()["id"] == body["id"]
    await add_project(http, "web")
    widened = await create(http, "1.0.0", projects=["parlel", "web"])
    assert widened.code == 201
    assert [p["slug"] for p in widened.json()["projects"]] == ["parlel", "web"]


@pytest_twisted.ensureDeferred
async def test_get_list_finalize_and_delete(http):
    await create(http, "app@1.0")
    await create(http, "app@2.0")
    await create(http, "other")
    listed = await http.request("GET", RELEASES)
    assert listed.code == 200 and 'rel="next"; results="false"' in listed.header("link")
    assert [r["version"] for r in listed.json()] == ["other", "app@2.0", "app@1.0"]
    queried = await http.request("GET", RELEASES + "?query=APP@")
    assert [r["version"] for r in queried.json()] == ["app@2.0", "app@1.0"]

    detail = await http.request("GET", RELEASES + "app@2.0/")
    assert detail.code == 200 and detail.json()["versionInfo"]["package"] == "app"
    finalized = await http.request("PUT", RELEASES + "app@2.0/", json_body={
        "projects": ["parlel"], "dateReleased": "2026-02-03T04:05:06Z",
        "ref": "v2.0", "url": "https://example.com/v2"})
    assert finalized.code == 200, finalized
    body = finalized.json()
    assert (body["dateReleased"], body["ref"], body["url"]) == (
        "2026-02-03T04:05:06.000000Z", "v2.0", "https://example.com/v2")

    deleted = await http.request("DELETE", RELEASES + "app@2.0/")
    assert (deleted.code, deleted.content) == (204, b"")
    for method in ("GET", "PUT", "DELETE"):
        gone = await http.request(method, RELEASES + "app@2.0/", json_body={})
        assert gone.code == 404
        assert gone.json() == {"detail": "The requested resource does not exist"}


@pytest_twisted.ensureDeferred
async def test_archive_and_restore_post_an_empty_project_list(http):
    await create(http, "1.0")
    archived = await create(http, "1.0", projects=[], status="archived")
    assert archived.code == 208 and archived.json()["status"] == "archived"
    assert (await http.request("GET", RELEASES)).json() == []
    only_archived = await http.request("GET", RELEASES + "?status=archived")
    assert [r["version"] for r in only_archived.json()] == ["1.0"]
    every = await http.request("GET", RELEASES + "?status=")
    assert [r["version"] for r in every.json()] == ["1.0"]
    restored = await create(http, "1.0", projects=[], status="open")
    assert restored.json()["status"] == "open"
    assert [r["version"] for r in (await http.request("GET", RELEASES)).json()] == ["1.0"]


@pytest_twisted.ensureDeferred
async def test_set_commits_with_refs_and_previous_release(http):
    registered = await http.request("POST", REPOS, json_body={"name": "acme/app"})
    assert registered.code == 201, registered
    repo = registered.json()
    assert repo["provider"] == {"id": "integrations:github", "name": "GitHub"}
    assert repo["url"] == "https://github.com/acme/app" and repo["status"] == "active"
    duplicate = await http.request("POST", REPOS, json_body={"name": "acme/app"})
    assert duplicate.code == 409
    listed = await http.request("GET", REPOS + "?cursor=")
    assert [r["name"] for r in listed.json()] == ["acme/app"]

    await create(http, "1.0")
    none_yet = await http.request("GET", RELEASES + "1.0/previous-with-commits/")
    assert (none_yet.code, none_yet.content) == (200, b"{}")
    updated = await http.request("PUT", RELEASES + "1.0/", json_body={
        "refs": [{"repository": "acme/app", "commit": SHA_A, "previousCommit": None}]})
    assert updated.code == 200, updated
    assert updated.json()["commitCount"] == 1
    assert updated.json()["lastCommit"]["id"] == SHA_A

    await create(http, "2.0")
    previous = await http.request("GET", RELEASES + "2.0/previous-with-commits/")
    assert previous.json()["version"] == "1.0"
    await http.request("PUT", RELEASES + "2.0/", json_body={
        "refs": [{"repository": "acme/app", "commit": f"{SHA_A}..{SHA_B}"}]})
    commits = await http.request("GET", RELEASES + "2.0/commits/")
    assert [c["id"] for c in commits.json()] == [SHA_B]
    assert commits.json()[0]["repository"]["name"] == "acme/app"
    assert commits.json()[0]["releases"][0]["version"] == "2.0"

    cleared = await http.request("PUT", RELEASES + "2.0/", json_body={"refs": []})
    assert cleared.json()["commitCount"] == 0 and cleared.json()["lastCommit"] is None


@pytest_twisted.ensureDeferred
async def test_deploys(http):
    await create(http, "1.0")
    made = await http.request("POST", RELEASES + "1.0/deploys/", json_body={
        "environment": "production", "name": "d1", "url": None,
        "dateStarted": "2026-03-01T00:00:00Z", "dateFinished": "2026-03-01T00:00:30Z"})
    assert made.code == 201, made
    deploy = made.json()
    assert deploy == {"id": deploy["id"], "environment": "production", "name": "d1", "url": None,
                      "dateStarted": "2026-03-01T00:00:00.000000Z",
                      "dateFinished": "2026-03-01T00:00:30.000000Z"}
    assert isinstance(deploy["id"], str)
    later = await http.request("POST", RELEASES + "1.0/deploys/",
                               json_body={"environment": "staging"})
    assert later.code == 201 and ISO.match(later.json()["dateFinished"])
    listed = await http.request("GET", RELEASES + "1.0/deploys/")
    assert [d["environment"] for d in listed.json()] == ["staging", "production"]
    release = (await http.request("GET", RELEASES + "1.0/")).json()
    assert release["deployCount"] == 2 and release["lastDeploy"]["environment"] == "staging"
    project = (await http.request("GET", "/api/0/projects/parlel/parlel/")).json()
    assert {"production", "staging"} <= set(project["environments"])
    missing = await http.request("POST", RELEASES + "nope/deploys/",
                                 json_body={"environment": "production"})
    assert missing.code == 404


@pytest_twisted.ensureDeferred
async def test_create_validation(api):
    cases = [
        ({}, {"version": ["This field is required."], "projects": ["This field is required."]}),
        ({"version": "1.0"}, {"projects": ["This field is required."]}),
        ({"version": "1.0", "projects": ["nope"]}, {"projects": ["Invalid project ids or slugs"]}),
        ({"version": "1.0", "projects": "parlel"},
         {"projects": ['Expected a list of items but got type "str".']}),
        ({"version": "a/b", "projects": []}, {"version": ["Release with name a/b is not allowed"]}),
        ({"version": "latest", "projects": []},
         {"version": ["Release with name latest is not allowed"]}),
        ({"version": "x" * 201, "projects": []},
         {"version": ["Ensure this field has no more than 200 characters."]}),
        ({"version": "1.0", "projects": [], "status": "gone"}, {"status": ["Invalid status gone"]}),
        ({"version": "1.0", "projects": [], "url": "not a url"}, {"url": ["Enter a valid URL."]}),
        ({"version": "1.0", "projects": [], "dateReleased": "yesterday"},
         {"dateReleased": ["Datetime has wrong format. Use one of these formats instead: "
                           "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."]}),
        ({"version": "1.0", "projects": [], "commits": [{"message": "m"}]},
         {"commits": {"0": {"id": ["This field is required."]}}}),
        ({"version": "1.0", "projects": [], "refs": [{"repository": "r", "commit": "..a"}]},
         {"refs": {"0": {"commit": ["Commit cannot begin or end with .."]}}}),
        ({"version": "1.0", "projects": [], "owner": "nobody"},
         {"owner": ["Could not resolve owner to a member of the organization."]}),
    ]
    for body, errors in cases:
        answer = await api.request("POST", RELEASES, json_body=body)
        assert (answer.code, answer.json()) == (400, errors), body
    assert (await api.request("GET", RELEASES)).json() == []
    owned = await create(api, "1.0", owner="parlel@example.com")
    assert owned.code == 201 and owned.json()["owner"]["email"] == "parlel@example.com"


@pytest_twisted.ensureDeferred
async def test_list_parameters(api):
    await add_project(api, "web")
    await create(api, "only-web", projects=["web"])
    await create(api, "both", projects=["parlel", "web"])
    await create(api, "no-project", projects=[])
    listed = await api.request("GET", RELEASES)
    assert [r["version"] for r in listed.json()] == ["both", "only-web"]
    web_id = (await api.request("GET", "/api/0/projects/parlel/web/")).json()["id"]
    by_id = await api.request("GET", RELEASES + f"?project={web_id}")
    assert [r["version"] for r in by_id.json()] == ["both", "only-web"]
    parlel = await api.request("GET", RELEASES + "?project=1")
    assert [r["version"] for r in parlel.json()] == ["both"]
    all_projects = await api.request("GET", RELEASES + "?project=-1")
    assert len(all_projects.json()) == 2
    paged = await api.request("GET", RELEASES + "?per_page=1")
    assert [r["version"] for r in paged.json()] == ["both"]
    assert 'rel="next"; results="true"; cursor="0:1:0"' in paged.header("link")
    second = await api.request("GET", RELEASES + "?per_page=1&cursor=0:1:0")
    assert [r["version"] for r in second.json()] == ["only-web"]
    bad = [("?project=999", 403, "You do not have permission to perform this action."),
           ("?status=weird", 400, "invalid value for status"),
           ("?sort=sessions", 400, "invalid sort")]
    for query, status, detail in bad:
        answer = await api.request("GET", RELEASES + query)
        assert (answer.code, answer.json()) == (status, {"detail": detail}), query
    detail = await api.request("GET", RELEASES + "no-project/")
    assert detail.code == 200 and detail.json()["projects"] == []


@pytest_twisted.ensureDeferred
async def test_project_scoped_routes(api):
    await add_project(api, "web")
    base = "/api/0/projects/parlel/web/releases/"
    made = await api.request("POST", base, json_body={"version": "2.0", "dateReleased": None})
    assert made.code == 201, made
    assert [p["slug"] for p in made.json()["projects"]] == ["web"]
    assert (await api.request("POST", base, json_body={"version": "2.0"})).code == 208
    await create(api, "1.0", dateReleased="2020-01-01T00:00:00Z")
    assert (await create(api, "1.0", projects=["web"])).code == 201
    listed = await api.request("GET", base)
    # Project lists order by the release date, or the creation date when unreleased.
    assert [r["version"] for r in listed.json()] == ["2.0", "1.0"]
    assert (await api.request("GET", base + "2.0/")).code == 200
    assert (await api.request("GET", "/api/0/projects/parlel/parlel/releases/2.0/")).code == 404
    commits = await api.request("GET", base + "2.0/commits/")
    assert (commits.code, commits.json()) == (200, [])
    updated = await api.request("PUT", base + "2.0/", json_body={"ref": "main"})
    assert updated.json()["ref"] == "main"
    assert (await api.request("DELETE", base + "2.0/")).code == 204
    assert (await api.request("GET", base + "nope/")).code == 404
    assert (await api.request("GET", "/api/0/projects/parlel/nope/releases/")).code == 404


@pytest_twisted.ensureDeferred
async def test_full_commits_make_authors_and_repositories(api):
    commits = [
        {"id": SHA_B, "repository": "origin", "message": "second\n", "author_name": "A",
         "author_email": "a@example.com", "timestamp": "2026-01-02T00:00:00Z",
         "patch_set": [{"path": "f.txt", "type": "M"}]},
        {"id": SHA_A, "repository": "origin", "message": "first\n", "author_name": "A",
         "author_email": "a@example.com", "timestamp": "2026-01-01T00:00:00Z"},
        {"id": "c" * 40, "message": "anonymous"},
    ]
    await create(api, "1.0")
    answer = await api.request("PUT", RELEASES + "1.0/", json_body={"commits": commits})
    assert answer.code == 200, answer
    body = answer.json()
    assert body["commitCount"] == 3 and body["lastCommit"]["id"] == SHA_B
    assert body["lastCommit"]["author"] == {"name": "A", "email": "a@example.com"}
    assert body["lastCommit"]["dateCreated"] == "2026-01-02T00:00:00.000000Z"
    assert body["authors"] == [{"name": "A", "email": "a@example.com"}]
    repos = (await api.request("GET", REPOS)).json()
    assert [(r["name"], r["provider"]["id"]) for r in repos] == [
        ("origin", "unknown"), ("organization-1", "unknown")]
    listed = (await api.request("GET", RELEASES + "1.0/commits/")).json()
    assert [(c["id"], c["message"]) for c in listed] == [
        (SHA_B, "second\n"), (SHA_A, "first\n"), ("c" * 40, "anonymous")]
    assert listed[2]["author"] == {}


@pytest_twisted.ensureDeferred
async def test_refs_name_unknown_repositories_into_being(api):
    answer = await create(api, "1.0", refs=[{"repository": "acme/new", "commit": SHA_A}])
    assert answer.code == 201 and answer.json()["lastCommit"]["id"] == SHA_A
    (repo,) = (await api.request("GET", REPOS + "?query=NEW")).json()
    assert (repo["name"], repo["url"]) == ("acme/new", "https://github.com/acme/new")
    custom = await api.request("POST", REPOS, json_body={
        "name": "team/lib", "provider": "integrations:gitlab", "url": "https://gitlab.example/t/l"})
    assert custom.json()["provider"] == {"id": "integrations:gitlab", "name": "GitLab"}
    nameless = await api.request("POST", REPOS, json_body={"provider": "integrations:github"})
    assert (nameless.code, nameless.json()) == (400, {"name": ["This field is required."]})


@pytest_twisted.ensureDeferred
async def test_events_feed_releases(api, store):
    project = store.directory.project(store.directory.organization("parlel"), "parlel")
    for message in ("boom", "boom", "other"):
        payload = {"message": message, "release": "9.9.9"}
        ingest(store, payload, project.id, json.dumps(payload).encode())
    release = (await api.request("GET", RELEASES + "9.9.9/")).json()
    assert release["newGroups"] == 2 and release["projects"][0]["newGroups"] == 2
    assert ISO.match(release["firstEvent"]) and ISO.match(release["lastEvent"])
    listed = await api.request("GET", "/api/0/projects/parlel/parlel/releases/")
    assert [r["version"] for r in listed.json()] == ["9.9.9"]
    refused = await api.request("DELETE", RELEASES + "9.9.9/")
    assert (refused.code, refused.json()) == (
        400, {"detail": "This release is referenced by active issues and cannot be removed."})
    reset(store)
    assert (await api.request("GET", RELEASES + "9.9.9/")).code == 404


@pytest_twisted.ensureDeferred
async def test_versions_are_percent_decoded(api):
    for version in ("1.0 beta+2", "weird%name", "ü-1"):
        assert (await create(api, version)).code == 201
    for version in ("1.0 beta+2", "weird%name", "ü-1"):
        answer = await api.request("GET", RELEASES + quote(version, safe="") + "/")
        assert answer.code == 200 and answer.json()["version"] == version
    # sentry-cli sends a slash as U+FFFD; such versions cannot exist, so these are 404s.
    for path in ("a%2Fb/", "a%EF%BF%BDb/"):
        assert (await api.request("GET", RELEASES + path)).code == 404


@pytest_twisted.ensureDeferred
async def test_deploy_and_update_validation(api):
    await create(api, "1.0")
    cases = [
        ({}, {"environment": ["This field is required."]}),
        ({"environment": "a/b"}, {"environment": ["Invalid value for environment"]}),
        ({"environment": "prod", "url": "nope"}, {"url": ["Enter a valid URL."]}),
        ({"environment": "prod", "projects": ["nope"]},
         {"projects": ["Invalid project ids or slugs"]}),
    ]
    for body, errors in cases:
        answer = await api.request("POST", RELEASES + "1.0/deploys/", json_body=body)
        assert (answer.code, answer.json()) == (400, errors), body
    bad_update = await api.request("PUT", RELEASES + "1.0/", json_body={"status": "x"})
    assert (bad_update.code, bad_update.json()) == (400, {"status": ["Invalid status x"]})
    archived = await api.request("PUT", RELEASES + "1.0/", json_body={"status": "archived"})
    assert archived.json()["status"] == "archived"
