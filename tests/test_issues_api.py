"""
A project's issues, as events sent to the ingest surface make them.
"""

import json

import pytest_twisted

from sentry_fake.timefmt import isoformat

AUTH = {"X-Sentry-Auth": "Sentry sentry_key=parlel, sentry_version=7"}


def error_event(function="divide", value="division by zero", user=None):
    event = {"platform": "python", "level": "error", "exception": {"values": [{
        "type": "ZeroDivisionError", "value": value, "mechanism": {"type": "generic", "handled": False},
        "stacktrace": {"frames": [{"module": "__main__", "function": function, "in_app": True,
                                   "filename": "app.py"}]}}]}}
    if user:
        event["user"] = {"id": user}
    return event


async def send(api, payload, project=1):
    body = json.dumps(payload).encode()
    envelope = b"{}\n" + json.dumps({"type": "event", "length": len(body)}).encode() + b"\n" + body
    answer = await api.request("POST", f"/api/{project}/envelope/", body=envelope, headers=AUTH,
                               token=None)
    assert answer.code == 200, answer
    return answer.json()["id"]


@pytest_twisted.ensureDeferred
async def test_events_group_into_issues(api, store, clock):
    await send(api, error_event(user="a"))
    clock.advance(60)
    await send(api, error_event(value="other value", user="b"))
    await send(api, error_event(function="elsewhere"))
    await send(api, {"message": "hello world", "level": "warning"})
    answer = await api.request("GET", "/api/0/projects/parlel/parlel/issues/")
    assert answer.code == 200, answer
    issues = answer.json()
    assert len(issues) == 3
    divide = next(i for i in issues if i["culprit"] == "__main__ in divide")
    assert divide["count"] == "2" and divide["userCount"] == 2
    assert divide["title"] == "ZeroDivisionError: other value"
    assert divide["shortId"] == "PARLEL-1" and divide["isUnhandled"] is True
    assert divide["firstSeen"] < divide["lastSeen"]
    assert divide["status"] == "unresolved" and divide["substatus"] == "new"
    assert divide["project"]["slug"] == "parlel"
    assert sum(count for _, count in divide["stats"]["24h"]) == 2
    assert divide["permalink"] == f"http://localhost/organizations/parlel/issues/{divide['id']}/"
    message = next(i for i in issues if i["type"] == "default")
    assert (message["title"], message["level"], message["metadata"]) == \
        ("hello world", "warning", {"title": "hello world"})
    for issue in issues:
        for field in ("id", "shortId", "title", "lastSeen", "status", "level"):
            assert isinstance(issue[field], str)


@pytest_twisted.ensureDeferred
async def test_issue_list_query_sort_and_paging(api, store):
    for n in range(5):
        await send(api, error_event(function=f"f{n}"))
    await send(api, {"message": "just info", "level": "info"})
    everything = (await api.request("GET", "/api/0/projects/parlel/parlel/issues/?query=")).json()
    assert len(everything) == 6
    info = (await api.request("GET", "/api/0/projects/parlel/parlel/issues/?query=level:info")).json()
    assert [i["title"] for i in info] == ["just info"]
    not_info = await api.request("GET", "/api/0/projects/parlel/parlel/issues/?query=!level:info")
    assert len(not_info.json()) == 5
    text = await api.request("GET", "/api/0/projects/parlel/parlel/issues/?query=f3")
    assert [i["culprit"] for i in text.json()] == ["__main__ in f3"]
    page = await api.request("GET", "/api/0/projects/parlel/parlel/issues/?limit=4&sort=new")
    assert len(page.json()) == 4 and 'rel="next"; results="true"; cursor="0:4:0"' in page.header("link")
    rest = await api.request("GET", "/api/0/projects/parlel/parlel/issues/?limit=4&sort=new&cursor=0:4:0")
    assert len(rest.json()) == 2
    assert not {i["id"] for i in rest.json()} & {i["id"] for i in page.json()}
    bad = await api.request("GET", "/api/0/projects/parlel/parlel/issues/?sort=nonsense")
    assert bad.code == 400


@pytest_twisted.ensureDeferred
async def test_resolved_issue_regresses(api, store):
    await send(api, error_event())
    (issue,) = store.issues(store.directory.projects_of())
    issue.status = "resolved"
    await send(api, error_event())
    assert (issue.status, issue.substatus, issue.times_seen) == ("unresolved", "regressed", 2)


@pytest_twisted.ensureDeferred
async def test_duplicate_event_ids_are_stored_once(api, store):
    payload = dict(error_event(), event_id="9ec79c33ec9942ab8353589fcb2e04dc")
    await send(api, payload)
    await send(api, payload)
    assert len(store.events()) == 1
    (issue,) = store.issues(store.directory.projects_of())
    assert issue.times_seen == 1


@pytest_twisted.ensureDeferred
async def test_first_and_last_seen_are_the_events_times(api, clock):
    happened = clock.seconds() - 600
    await send(api, {"message": "reported late", "timestamp": happened})
    await send(api, {"message": "reported late", "timestamp": happened + 120})
    [issue] = (await api.request("GET", "/api/0/projects/parlel/parlel/issues/")).json()
    assert issue["firstSeen"] == isoformat(happened)
    assert issue["lastSeen"] == isoformat(happened + 120)
