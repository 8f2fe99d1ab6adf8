"""
Issue detail, update, bulk update and delete, tags and short ids, through the API.
"""

import json
import re

import pytest_twisted

from test_issues_api import error_event, send
from records import ingest


async def one_issue(api, **event):
    await send(api, dict(error_event(), **event))
    (issue,) = (await api.request("GET", "/api/0/projects/parlel/parlel/issues/?query=")).json()
    return issue


@pytest_twisted.ensureDeferred
async def test_detail_on_every_route(api):
    issue = await one_issue(api, release="1.0", environment="prod", tags={"tenant": "a"})
    for path in (f"/api/0/organizations/parlel/issues/{issue['id']}/",
                 f"/api/0/issues/{issue['id']}/", f"/api/0/groups/{issue['id']}/"):
        answer = await api.request("GET", path)
        assert answer.code == 200, (path, answer)
        body = answer.json()
        assert body["id"] == issue["id"] and set(body["stats"]) == {"24h", "30d"}
        assert body["firstRelease"]["version"] == "1.0"
        assert {"key": "tenant", "name": "tenant", "totalValues": 1} in body["tags"]
        assert body["activity"][0]["type"] == "first_seen"
    wrong_org = await api.request("GET", f"/api/0/organizations/other/issues/{issue['id']}/")
    assert wrong_org.code == 404
    assert (await api.request("GET", "/api/0/issues/999/")).code == 404


@pytest_twisted.ensureDeferred
async def test_resolve_unresolve_and_regress(api, store):
    issue = await one_issue(api)
    path = f"/api/0/organizations/parlel/issues/{issue['id']}/"
    resolved = await api.request("PUT", path, json_body={"status": "resolved"})
    assert (resolved.code, resolved.json()["status"], resolved.json()["statusDetails"]) == \
        (200, "resolved", {})
    listed = (await api.request("GET", "/api/0/projects/parlel/parlel/issues/")).json()
    assert listed == []  # no query means is:unresolved
    await send(api, error_event())
    regressed = (await api.request("GET", path)).json()
    assert (regressed["status"], regressed["substatus"]) == ("unresolved", "regressed")
    next_release = await api.request("PUT", path, json_body={"status": "resolvedInNextRelease"})
    assert next_release.json()["statusDetails"] == {"inNextRelease": True}
    back = await api.request("PUT", path, json_body={"status": "unresolved"})
    assert (back.json()["status"], back.json()["substatus"]) == ("unresolved", "ongoing")


@pytest_twisted.ensureDeferred
async def test_ignore_until_a_count_of_events(api):
    issue = await one_issue(api)
    path = f"/api/0/issues/{issue['id']}/"
    ignored = (await api.request("PUT", path, json_body={
        "status": "ignored", "statusDetails": {"ignoreCount": 2}})).json()
    assert (ignored["status"], ignored["substatus"]) == ("ignored", "archived_until_condition_met")
    await send(api, error_event())
    assert (await api.request("GET", path)).json()["status"] == "ignored"
    await send(api, error_event())
    back = (await api.request("GET", path)).json()
    assert (back["status"], back["substatus"]) == ("unresolved", "escalating")
    forever = (await api.request("PUT", path, json_body={
        "status": "ignored", "substatus": "archived_forever"})).json()
    assert (forever["status"], forever["substatus"]) == ("ignored", "archived_forever")
    muted = (await api.request("PUT", path, json_body={"status": "muted",
                                                        "snoozeDuration": 30})).json()
    assert muted["status"] == "ignored" and muted["statusDetails"]["ignoreDuration"] == 30
    assert re.match(r"\d{4}-.*Z$", muted["statusDetails"]["ignoreUntil"])


@pytest_twisted.ensureDeferred
async def test_assign_bookmark_and_flags(api, store):
    issue = await one_issue(api)
    path = f"/api/0/organizations/parlel/issues/{issue['id']}/"
    for value in ("user:1", "1", "parlel@example.com"):
        body = (await api.request("PUT", path, json_body={"assignedTo": value})).json()
        assert body["assignedTo"] == {"type": "user", "id": "1", "name": "parlel",
                                      "email": "parlel@example.com"}
    mine = (await api.request("GET", "/api/0/organizations/parlel/issues/?query=assigned:me")).json()
    assert [i["id"] for i in mine] == [issue["id"]]
    team = (await api.request("PUT", path, json_body={"assignedTo": "team:1"})).json()
    assert team["assignedTo"] == {"type": "team", "id": "1", "name": "parlel"}
    unknown = await api.request("PUT", path, json_body={"assignedTo": "nobody@example.com"})
    assert (unknown.code, unknown.json()) == (400, {"assignedTo": ["Unknown actor input"]})
    cleared = (await api.request("PUT", path, json_body={"assignedTo": ""})).json()
    assert cleared["assignedTo"] is None
    flags = (await api.request("PUT", path, json_body={
        "isBookmarked": True, "hasSeen": True, "isPublic": True, "isSubscribed": True,
        "priority": "low"})).json()
    assert (flags["isBookmarked"], flags["hasSeen"], flags["isPublic"], flags["isSubscribed"],
            flags["priority"]) == (True, True, True, True, "low")
    bad = await api.request("PUT", path, json_body={"status": "sideways", "hasSeen": "yes"})
    assert bad.code == 400 and set(bad.json()) == {"status", "hasSeen"}


@pytest_twisted.ensureDeferred
async def test_bulk_update_and_delete(api, store):
    for n in range(4):
        await send(api, error_event(function=f"f{n}"))
    issues = (await api.request("GET", "/api/0/projects/parlel/parlel/issues/?query=&sort=new")).json()
    ids = [issue["id"] for issue in issues]
    answer = await api.request("PUT", f"/api/0/projects/parlel/parlel/issues/?id={ids[0]}&id={ids[1]}",
                               json_body={"status": "resolved", "snoozeDuration": None})
    assert (answer.code, answer.json()) == (200, {"status": "resolved", "statusDetails": {},
                                                  "inbox": False, "isPublic": False})
    resolved = (await api.request("GET", "/api/0/projects/parlel/parlel/issues/?query=is:resolved")).json()
    assert sorted(i["id"] for i in resolved) == sorted(ids[:2])
    nothing = await api.request("PUT", "/api/0/projects/parlel/parlel/issues/?id=9999",
                                json_body={"status": "resolved"})
    assert nothing.code == 204
    everything = await api.request("PUT", "/api/0/organizations/parlel/issues/?",
                                   json_body={"status": "ignored"})
    assert everything.code == 200
    left = (await api.request("GET", "/api/0/organizations/parlel/issues/?query=is:ignored")).json()
    assert sorted(i["id"] for i in left) == sorted(ids[2:])
    deleted = await api.request("DELETE", f"/api/0/organizations/parlel/issues/?id={ids[0]}")
    assert deleted.code == 204
    single = await api.request("DELETE", f"/api/0/issues/{ids[1]}/")
    assert single.code == 202
    assert (await api.request("GET", f"/api/0/issues/{ids[1]}/")).code == 404
    remaining = (await api.request("GET", "/api/0/projects/parlel/parlel/issues/?query=")).json()
    assert sorted(i["id"] for i in remaining) == sorted(ids[2:])
    assert all(event.issue_id not in (int(ids[0]), int(ids[1])) for event in store.events())


@pytest_twisted.ensureDeferred
async def test_org_list_filters(api, store):
    await send(api, dict(error_event(function="a"), environment="production", release="1.0"))
    await send(api, dict(error_event(function="b"), environment="staging"))
    await send(api, dict(error_event(function="c")), project=7)
    everything = (await api.request("GET", "/api/0/organizations/parlel/issues/?query=")).json()
    assert len(everything) == 3
    only_seven = (await api.request("GET", "/api/0/organizations/parlel/issues/?project=7&query=")).json()
    assert [i["project"]["id"] for i in only_seven] == ["7"]
    production = await api.request("GET", "/api/0/organizations/parlel/issues/?environment=production")
    assert [i["culprit"] for i in production.json()] == ["__main__ in a"]
    release = await api.request("GET", "/api/0/organizations/parlel/issues/?query=release:1.0")
    assert [i["culprit"] for i in release.json()] == ["__main__ in a"]
    stack = await api.request("GET", "/api/0/organizations/parlel/issues/?query=stack.function:b")
    assert [i["culprit"] for i in stack.json()] == ["__main__ in b"]
    no_stats = (await api.request("GET", "/api/0/organizations/parlel/issues/?groupStatsPeriod=")).json()
    assert "stats" not in no_stats[0]
    bad = await api.request("GET", "/api/0/organizations/parlel/issues/?query=is:nonsense")
    assert bad.code == 400 and "could not be parsed" in bad.json()["detail"]
    short = await api.request("GET", "/api/0/organizations/parlel/issues/?shortIdLookup=1&query=parlel-1")
    assert [i["shortId"] for i in short.json()] == ["PARLEL-1"]


@pytest_twisted.ensureDeferred
async def test_short_ids_tags_and_hashes(api):
    issue = await one_issue(api, tags={"tenant": "a"}, release="2.0")
    await send(api, dict(error_event(), tags={"tenant": "b"}))
    found = await api.request("GET", f"/api/0/organizations/parlel/shortids/{issue['shortId']}/")
    assert found.code == 200 and found.json()["groupId"] == issue["id"]
    assert found.json()["projectSlug"] == "parlel"
    assert (await api.request("GET", "/api/0/organizations/parlel/shortids/PARLEL-ZZ/")).code == 404
    tags = (await api.request("GET", f"/api/0/issues/{issue['id']}/tags/")).json()
    tenant = next(tag for tag in tags if tag["key"] == "tenant")
    assert (tenant["uniqueValues"], tenant["totalValues"]) == (2, 2)
    assert {v["value"] for v in tenant["topValues"]} == {"a", "b"}
    one = (await api.request("GET", f"/api/0/organizations/parlel/issues/{issue['id']}/tags/level/")).json()
    assert one["topValues"][0] == {**one["topValues"][0], "value": "error", "count": 2}
    values = await api.request("GET", f"/api/0/issues/{issue['id']}/tags/tenant/values/")
    assert sorted(v["value"] for v in values.json()) == ["a", "b"] and values.header("link")
    hashes = (await api.request("GET", f"/api/0/issues/{issue['id']}/hashes/")).json()
    assert len(hashes) == 1 and len(hashes[0]["id"]) == 32


@pytest_twisted.ensureDeferred
async def test_walking_250_issues_by_the_link_header(api, store):
    project = store.directory.project_by_id(1)
    for n in range(250):
        payload = {"message": f"distinct message {chr(65 + n % 26)}{chr(65 + n // 26)}",
                   "fingerprint": [f"issue-{n}"]}
        ingest(store, payload, project.id, b"{}")
    seen, path, pages = [], "/api/0/projects/parlel/parlel/issues/?query=&limit=100", 0
    while True:
        answer = await api.request("GET", path)
        assert answer.code == 200, answer
        pages += 1
        seen.extend(issue["id"] for issue in answer.json())
        link = answer.header("link")
        match = re.search(r'<([^>]+)>; rel="next"; results="(true|false)"; cursor="([^"]+)"', link)
        if match.group(2) == "false":
            break
        path = match.group(1).removeprefix("http://localhost")
    assert pages == 3 and len(seen) == 250 and len(set(seen)) == 250


@pytest_twisted.ensureDeferred
async def test_a_big_issue_is_gathered_a_slice_at_a_time(api, client, clock, store):
    from twisted.internet.defer import ensureDeferred

    project = store.directory.project_by_id(1)
    for n in range(5000):
        payload = {"message": "busy", "tags": {"n": str(n % 3)}}
        ingest(store, payload, project.id, json.dumps(payload).encode())
    (issue,) = store.issues([project])
    pending = ensureDeferred(api.request("GET", f"/api/0/issues/{issue.id}/tags/"))
    # The first slice is gathered; the server answers others before the rest.
    assert not pending.called
    health = await api.request("GET", "/health", token=None)
    assert health.code == 200
    for _ in range(3):
        clock.advance(0)
    client.flush()
    tags = (await pending).json()
    n_tag = next(tag for tag in tags if tag["key"] == "n")
    assert n_tag["totalValues"] == 5000 and n_tag["uniqueValues"] == 3
    detail = await api.request("GET", f"/api/0/issues/{issue.id}/")
    assert {"key": "n", "name": "n", "totalValues": 5000} in detail.json()["tags"]
