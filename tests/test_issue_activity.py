"""
An issue's activity, notes and user reports, by number and by short id, as Sentry's MCP server
and UI read them.
"""

import json

import pytest_twisted

AUTH = {"X-Sentry-Auth": "Sentry sentry_key=parlel, sentry_version=7"}
EVENT_ID = "b" * 32


async def an_issue(api):
    answer = await api.request("POST", "/api/1/store/", token=None, headers=AUTH,
                               body=json.dumps({"event_id": EVENT_ID, "message": "boom",
                                                "release": "1.0"}).encode())
    assert answer.code == 200
    (issue,) = (await api.request("GET", "/api/0/projects/parlel/parlel/issues/")).json()
    return issue


@pytest_twisted.ensureDeferred
async def test_notes_and_changes_are_the_issues_activity(api):
    issue = await an_issue(api)
    base = f"/api/0/organizations/parlel/issues/{issue['shortId']}"
    added = await api.request("POST", base + "/notes/", json_body={"text": "on it"})
    assert added.code == 201
    note = added.json()
    assert (note["type"], note["data"], note["user"]["email"]) == (
        "note", {"text": "on it"}, "parlel@example.com")
    await api.request("PUT", base + "/", json_body={"status": "resolved",
                                                    "assignedTo": "parlel@example.com"})
    changed = await api.request("PUT", f"{base}/notes/{note['id']}/", json_body={"text": "done"})
    assert changed.json()["data"] == {"text": "done"}
    activity = (await api.request("GET", base + "/activities/")).json()["activity"]
    assert [entry["type"] for entry in activity] == ["assigned", "set_resolved", "note",
                                                    "first_seen"]
    assert activity[0]["data"] == {"assignee": "1", "assigneeType": "user"}
    detail = (await api.request("GET", f"/api/0/issues/{issue['id']}/")).json()
    assert [entry["type"] for entry in detail["activity"]] == [entry["type"] for entry in activity]
    notes = (await api.request("GET", f"/api/0/issues/{issue['id']}/notes/")).json()
    assert [entry["data"]["text"] for entry in notes] == ["done"]
    assert (await api.request("DELETE", f"{base}/notes/{note['id']}/")).code == 204
    assert (await api.request("GET", base + "/notes/")).json() == []
    assert (await api.request("DELETE", f"{base}/notes/{note['id']}/")).code == 404
    empty = await api.request("POST", base + "/notes/", json_body={"text": " "})
    assert empty.code == 400 and "text" in empty.json()
    # A regression is activity too.
    await api.request("POST", "/api/1/store/", token=None, headers=AUTH,
                      body=json.dumps({"message": "boom", "release": "1.1"}).encode())
    activity = (await api.request("GET", base + "/activities/")).json()["activity"]
    assert (activity[0]["type"], activity[0]["data"]) == ("set_regression", {"version": "1.1"})


@pytest_twisted.ensureDeferred
async def test_user_reports_of_an_issue_and_a_project(api):
    issue = await an_issue(api)
    submitted = await api.request("POST", "/api/0/projects/parlel/parlel/user-feedback/",
                                  json_body={"event_id": EVENT_ID, "name": "Jane",
                                             "email": "jane@example.com",
                                             "comments": "It broke when I paid"})
    assert submitted.code == 200, submitted
    envelope = (b'{}\n{"type":"user_report"}\n'
                + json.dumps({"event_id": "c" * 32, "name": "Other", "email": "o@example.com",
                              "comments": "unrelated"}).encode())
    await api.request("POST", "/api/1/envelope/", body=envelope, headers=AUTH, token=None)
    reports = (await api.request("GET", f"/api/0/organizations/parlel/issues/{issue['shortId']}"
                                        "/user-reports/")).json()
    assert [(r["name"], r["comments"], r["eventID"], r["issue"]["id"]) for r in reports] == [
        ("Jane", "It broke when I paid", EVENT_ID, issue["id"])]
    project = (await api.request("GET", "/api/0/projects/parlel/parlel/user-feedback/")).json()
    assert [r["name"] for r in project] == ["Other", "Jane"]
    detail = (await api.request("GET", f"/api/0/issues/{issue['id']}/")).json()
    assert detail["userReportCount"] == 1
    bad = await api.request("POST", "/api/0/projects/parlel/parlel/user-feedback/",
                            json_body={"event_id": "nope"})
    assert bad.code == 400 and set(bad.json()) == {"event_id", "name", "email", "comments"}


@pytest_twisted.ensureDeferred
async def test_what_a_fake_has_no_integration_for_is_empty(api):
    issue = await an_issue(api)
    base = f"/api/0/organizations/parlel/issues/{issue['shortId']}"
    assert (await api.request("GET", base + "/external-issues/")).json() == []
    assert (await api.request("GET", base + "/autofix/")).json() == {"autofix": None}
    assert (await api.request("GET", "/api/0/organizations/parlel/replay-count/")).json() == {}
    me = (await api.request("GET", "/api/0/auth/")).json()
    assert (me["id"], me["email"]) == ("1", "parlel@example.com")


@pytest_twisted.ensureDeferred
async def test_short_ids_open_every_issue_route(api):
    issue = await an_issue(api)
    for suffix in ("/", "/events/", "/events/latest/", "/tags/", "/tags/release/", "/hashes/",
                   "/activities/", "/notes/", "/user-reports/"):
        for path in (f"/api/0/organizations/parlel/issues/{issue['shortId']}{suffix}",
                     f"/api/0/issues/{issue['shortId'].lower()}{suffix}"):
            answer = await api.request("GET", path)
            assert answer.code == 200, (path, answer)
    assert (await api.request("GET", "/api/0/organizations/parlel/issues/PARLEL-ZZ/")).code == 404
    assert (await api.request("GET", "/api/0/organizations/parlel/issues/NOPE-1/")).code == 404


@pytest_twisted.ensureDeferred
async def test_a_query_that_is_an_event_id_finds_its_issue_directly(api):
    issue = await an_issue(api)
    await api.request("POST", "/api/1/store/", token=None, headers=AUTH,
                      body=json.dumps({"message": "another one"}).encode())
    for query in (EVENT_ID, "bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb"):
        for path in ("/api/0/organizations/parlel/issues/", "/api/0/projects/parlel/parlel/issues/"):
            answer = await api.request("GET", f"{path}?query={query}")
            assert [found["id"] for found in answer.json()] == [issue["id"]]
            assert answer.header("x-sentry-direct-hit") == "1"
    missing = await api.request("GET", f"/api/0/organizations/parlel/issues/?query={'f' * 32}")
    assert missing.json() == [] and missing.header("x-sentry-direct-hit") is None
    short = await api.request("GET", f"/api/0/organizations/parlel/issues/?shortIdLookup=1"
                                     f"&query={issue['shortId']}")
    assert short.header("x-sentry-direct-hit") == "1" and len(short.json()) == 1
