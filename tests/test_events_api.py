"""
The events API: events sent to the ingest surface, read back in Sentry's list and full shapes.
"""

import hashlib
import json
import os
import re
import shutil
import sys
import uuid

import pytest_twisted
from twisted.internet.utils import getProcessOutputAndValue

from conftest import NOW, TOKEN

AUTH = {"X-Sentry-Auth": "Sentry sentry_key=parlel, sentry_version=7"}
LINK = re.compile(r'<(?P<url>[^>]*)>; rel="(?P<rel>\w+)"; results="(?P<results>\w+)"; '
                  r'cursor="(?P<cursor>[^"]*)"')
CAMEL_FRAME_KEYS = {"filename", "absPath", "function", "module", "lineNo", "colNo", "inApp",
                    "context", "vars", "package", "platform", "instructionAddr", "symbol",
                    "symbolAddr", "trust", "errors"}


async def send(api, payload, item_type="event", project=1):
    body = json.dumps(payload).encode()
    header = json.dumps({"type": item_type, "length": len(body)}).encode()
    envelope = b"{}\n" + header + b"\n" + body
    answer = await api.request("POST", f"/api/{project}/envelope/", body=envelope, headers=AUTH,
                               token=None)
    assert answer.code == 200, answer
    return answer.json()["id"]


def crash(function="divide", value="division by zero", **extra):
    frames = [
        {"filename": "app.py", "abs_path": "/srv/app.py", "function": "main",
         "module": "__main__", "lineno": 18, "in_app": True, "context_line": "    divide()"},
        {"filename": "app.py", "abs_path": "/srv/app.py", "function": function,
         "module": "__main__", "lineno": 16, "colno": 5, "in_app": True,
         "pre_context": ["def divide():", "    x = 1"], "context_line": "    return x / 0",
         "post_context": ["", "main()"], "vars": {"x": "1"}},
    ]
    return {
        "platform": "python", "level": "error", "environment": "production",
        "release": "myapp@1.0.0", "server_name": "web-1",
        "exception": {"values": [{
            "type": "ZeroDivisionError", "value": value, "module": "builtins",
            "mechanism": {"type": "generic", "handled": False},
            "stacktrace": {"frames": frames}}]},
        "user": {"id": 42, "email": "jane@example.com", "plan": "gold"},
        "tags": {"customer": "acme"},
        "contexts": {"runtime": {"name": "CPython", "version": "3.11.7"},
                     "trace": {"trace_id": "a" * 32, "span_id": "b" * 16}},
        "sdk": {"name": "sentry.python", "version": "2.75.0"},
        "extra": {"sys.argv": ["app.py"]},
        "modules": {"attrs": "24.2.0"},
        "breadcrumbs": {"values": [
            {"timestamp": NOW - 5, "category": "http", "type": "http", "level": "info",
             "data": {"url": "/a", "status_code": 200}},
            {"timestamp": "2026-11-18T22:13:15Z", "message": "clicked", "category": "ui.click"},
        ]},
        "request": {"url": "https://example.com/books/new/?page=2#top", "method": "post",
                    "headers": {"content-type": "application/json", "cookie": "sid=abc; lang=en",
                                "user-agent": "curl/8"},
                    "data": '{"title": "Dune"}', "env": {"REMOTE_ADDR": "10.0.0.1"}},
        **extra,
    }


def message_event(**extra):
    return {"platform": "python", "level": "warning",
            "logentry": {"message": "user %s failed %d times", "params": ["bob", 3]}, **extra}


def transaction():
    return {
        "type": "transaction", "platform": "python", "transaction": "/books/<id>",
        "start_timestamp": NOW - 2, "timestamp": NOW - 1,
        "contexts": {"trace": {"trace_id": "c" * 32, "span_id": "d" * 16, "op": "http.server"}},
        "spans": [{"trace_id": "c" * 32, "span_id": "e" * 16, "parent_span_id": "d" * 16,
                   "op": "db", "description": "SELECT 1", "start_timestamp": NOW - 1.9,
                   "timestamp": "2026-11-18T22:13:18.500000Z", "data": None}],
    }


def links(answer):
    return {match["rel"]: match.groupdict() for match in LINK.finditer(answer.header("link"))}


@pytest_twisted.ensureDeferred
async def test_project_event_list_entries(api, clock):
    first = await send(api, crash())
    clock.advance(10)
    second = await send(api, message_event())
    clock.advance(10)
    await send(api, transaction(), item_type="transaction")
    answer = await api.request("GET", "/api/0/projects/parlel/parlel/events/")
    assert answer.code == 200, answer
    listed = answer.json()
    # Newest first, and transactions are not listed with a project's events.
    assert [e["eventID"] for e in listed] == [second, first]
    entry = listed[1]
    assert set(entry) == {"id", "event.type", "groupID", "eventID", "projectID", "message",
                          "title", "location", "culprit", "user", "tags", "platform",
                          "dateCreated", "crashFile", "metadata"}
    assert entry["id"] == first and entry["projectID"] == "1" and "project" not in entry
    assert entry["event.type"] == "error"
    assert entry["title"] == "ZeroDivisionError: division by zero"
    assert entry["groupID"] is not None and entry["culprit"] == "__main__ in divide"
    assert entry["location"] == "app.py" and entry["platform"] == "python"
    assert entry["dateCreated"].endswith("Z") and entry["crashFile"] is None
    assert entry["user"] == {"id": "42", "email": "jane@example.com", "username": None,
                             "ip_address": None, "name": None, "geo": None,
                             "data": {"plan": "gold"}}
    keys = [tag["key"] for tag in entry["tags"]]
    assert keys == sorted(keys)
    tags = {tag["key"]: tag["value"] for tag in entry["tags"]}
    assert tags["customer"] == "acme" and tags["environment"] == "production"
    assert tags["level"] == "error" and tags["release"] == "myapp@1.0.0"
    assert all(isinstance(tag["value"], str) for tag in entry["tags"])
    user_tag = next(tag for tag in entry["tags"] if tag["key"] == "user")
    assert user_tag == {"key": "user", "value": "id:42", "query": 'user.id:"42"'}
    assert listed[0]["message"] == "user bob failed 3 times"
    assert listed[0]["event.type"] == "default" and listed[0]["user"] is None


@pytest_twisted.ensureDeferred
async def test_full_error_event(api, clock):
    event_id = await send(api, crash())
    answer = await api.request("GET", f"/api/0/projects/parlel/parlel/events/{event_id}/")
    assert answer.code == 200, answer
    event = answer.json()
    for key in ("type", "dateCreated", "dateReceived", "size", "errors", "entries", "contexts",
                "context", "sdk", "packages", "fingerprints", "groupingConfig", "release", "dist",
                "user", "tags", "nextEventID", "previousEventID", "occurrence", "_meta", "title",
                "message", "culprit", "location", "metadata", "platform", "projectID", "groupID",
                "eventID", "id", "crashFile", "userReport", "sdkUpdates", "resolvedWith"):
        assert key in event, key
    assert event["type"] == "error" and event["size"] > 100 and event["errors"] == []
    assert event["context"] == {"sys.argv": ["app.py"]}
    assert event["packages"] == {"attrs": "24.2.0"}
    assert event["sdk"] == {"name": "sentry.python", "version": "2.75.0"}
    # Relay adds the combined name and version, as Sentry's runtime context shows it.
    assert event["contexts"]["runtime"] == {"name": "CPython", "version": "3.11.7",
                                            "type": "runtime", "runtime": "CPython 3.11.7"}
    assert event["release"] == {"version": "myapp@1.0.0"} and event["dist"] is None
    assert len(event["fingerprints"]) == 1 and len(event["fingerprints"][0]) == 32
    assert set(event["groupingConfig"]) == {"id", "enhancements"}
    assert event["nextEventID"] is None and event["previousEventID"] is None
    assert event["user"]["id"] == "42"
    assert [entry["type"] for entry in event["entries"]] == ["exception", "breadcrumbs", "request"]

    exception = event["entries"][0]["data"]
    assert exception["hasSystemFrames"] is True
    (value,) = exception["values"]
    assert {k: value[k] for k in ("type", "value", "module", "threadId", "rawStacktrace")} == {
        "type": "ZeroDivisionError", "value": "division by zero", "module": "builtins",
        "threadId": None, "rawStacktrace": None}
    assert value["mechanism"] == {"type": "generic", "handled": False}
    trace = value["stacktrace"]
    assert set(trace) == {"frames", "framesOmitted", "registers", "hasSystemFrames"}
    top = trace["frames"][-1]
    assert set(top) == CAMEL_FRAME_KEYS | {"rawFunction"}
    assert top["context"] == [[14, "def divide():"], [15, "    x = 1"], [16, "    return x / 0"],
                              [17, ""], [18, "main()"]]
    assert (top["filename"], top["absPath"], top["function"], top["lineNo"], top["colNo"]) == \
        ("app.py", "/srv/app.py", "divide", 16, 5)
    assert top["inApp"] is True and top["vars"] == {"x": "1"}
    assert trace["frames"][0]["context"] == [[18, "    divide()"]]

    crumbs = event["entries"][1]["data"]["values"]
    assert crumbs[0]["type"] == "http" and crumbs[0]["data"] == {"url": "/a", "status_code": 200}
    assert crumbs[1] == {"type": "default", "timestamp": "2026-11-18T22:13:15.000000Z",
                         "level": "info", "message": "clicked", "category": "ui.click",
                         "data": None, "event_id": None}
    assert crumbs[0]["timestamp"].endswith("Z")

    request = event["entries"][2]["data"]
    assert request == {
        "url": "https://example.com/books/new/", "method": "POST", "query": [["page", "2"]],
        "fragment": "top", "data": {"title": "Dune"},
        "headers": [["Content-Type", "application/json"], ["User-Agent", "curl/8"]],
        "cookies": [["sid", "abc"], ["lang", "en"]], "env": {"REMOTE_ADDR": "10.0.0.1"},
        "inferredContentType": "application/json"}


@pytest_twisted.ensureDeferred
async def test_message_and_transaction_events(api):
    message_id = await send(api, message_event(breadcrumbs=[{"timestamp": NOW, "message": "x"}]))
    transaction_id = await send(api, transaction(), item_type="transaction")
    path = "/api/0/projects/parlel/parlel/events/"
    message = (await api.request("GET", f"{path}{message_id}/")).json()
    assert [entry["type"] for entry in message["entries"]] == ["message", "breadcrumbs"]
    assert message["entries"][0]["data"] == {"formatted": "user bob failed 3 times",
                                             "message": "user %s failed %d times",
                                             "params": ["bob", 3]}
    assert message["message"] == "user bob failed 3 times"

    answer = await api.request("GET", f"{path}{transaction_id}/")
    assert answer.code == 200, answer
    trans = answer.json()
    assert trans["type"] == "transaction" and trans["groupID"] is None
    assert trans["title"] == "/books/<id>"
    assert trans["startTimestamp"] == NOW - 2 and trans["endTimestamp"] == NOW - 1
    assert trans["contexts"]["trace"]["type"] == "trace"
    (spans,) = [entry for entry in trans["entries"] if entry["type"] == "spans"]
    (span,) = spans["data"]
    assert span["op"] == "db" and span["start_timestamp"] == NOW - 1.9
    assert isinstance(span["timestamp"], float) and "data" not in span
    lookup = await api.request("GET", f"/api/0/organizations/parlel/eventids/{transaction_id}/")
    assert lookup.json()["groupId"] is None and lookup.json()["event"]["groupID"] is None


@pytest_twisted.ensureDeferred
async def test_issue_events_latest_oldest_and_neighbours(api, store, clock):
    ids = []
    for n in range(3):
        ids.append(await send(api, crash(value=f"value {n}")))
        clock.advance(60)
    other = await send(api, crash(function="elsewhere"))
    issue_id = store.event(ids[0]).issue_id
    assert store.event(other).issue_id != issue_id

    for path in (f"/api/0/organizations/parlel/issues/{issue_id}/events/",
                 f"/api/0/issues/{issue_id}/events/"):
        answer = await api.request("GET", path)
        assert answer.code == 200, answer
        assert [e["eventID"] for e in answer.json()] == ids[::-1]
        assert all(e["groupID"] == str(issue_id) for e in answer.json())
    full = (await api.request("GET", f"/api/0/issues/{issue_id}/events/?full=true")).json()
    assert [e["entries"][0]["type"] for e in full] == ["exception"] * 3

    base = f"/api/0/organizations/parlel/issues/{issue_id}/events"
    latest = (await api.request("GET", f"{base}/latest/")).json()
    oldest = (await api.request("GET", f"/api/0/issues/{issue_id}/events/oldest/")).json()
    recommended = (await api.request("GET", f"/api/0/issues/{issue_id}/events/recommended/")).json()
    assert (latest["eventID"], oldest["eventID"]) == (ids[2], ids[0])
    assert recommended["eventID"] == ids[2]
    middle = (await api.request("GET", f"{base}/{ids[1]}/")).json()
    assert (middle["previousEventID"], middle["nextEventID"]) == (ids[0], ids[2])
    assert (oldest["previousEventID"], oldest["nextEventID"]) == (None, ids[1])
    assert latest["nextEventID"] is None
    hyphenated = str(uuid.UUID(ids[1]))
    assert (await api.request("GET", f"{base}/{hyphenated}/")).json()["eventID"] == ids[1]

    lookup = await api.request("GET", f"/api/0/organizations/parlel/eventids/{ids[1]}/")
    assert lookup.code == 200, lookup
    body = lookup.json()
    assert {k: body[k] for k in ("organizationSlug", "projectSlug", "groupId", "eventId")} == {
        "organizationSlug": "parlel", "projectSlug": "parlel", "groupId": str(issue_id),
        "eventId": ids[1]}
    assert body["event"]["eventID"] == ids[1]


@pytest_twisted.ensureDeferred
async def test_event_filters(api, store, clock):
    old = await send(api, crash(timestamp=NOW - 3 * 86400, environment="staging"))
    new = await send(api, crash(value="other", tags={"customer": "globex"}))
    issue_id = store.event(old).issue_id

    async def listed(path):
        answer = await api.request("GET", path)
        assert answer.code == 200, answer
        return [e["eventID"] for e in answer.json()]

    project = "/api/0/projects/parlel/parlel/events/"
    assert await listed(project + "?statsPeriod=24h") == [new]
    assert await listed(project + "?statsPeriod=14d") == [new, old]
    assert await listed(project + "?start=2026-01-01T00:00:00&end=2026-11-17T00:00:00") == [old]
    issue = f"/api/0/issues/{issue_id}/events/"
    assert await listed(issue + "?environment=staging") == [old]
    assert await listed(issue + "?query=customer:globex") == [new]
    assert await listed(issue + "?query=!customer:globex") == [old]
    assert await listed(issue + "?query=other") == [new]
    assert await listed(issue + '?query=user.email:"jane@example.com"') == [new, old]
    latest = await api.request("GET", f"/api/0/issues/{issue_id}/events/latest/?environment=qa")
    assert latest.code == 404 and "No matching event" in latest.json()["detail"]
    bad = await api.request("GET", project + "?statsPeriod=soon")
    assert bad.code == 400 and bad.json() == {"detail": "Invalid date range"}


@pytest_twisted.ensureDeferred
async def test_pagination_follows_link_header(api, store):
    sent = {await send(api, message_event(extra={"n": n})) for n in range(250)}
    seen = []
    path = "/api/0/projects/parlel/parlel/events/?cursor="
    pages = 0
    while True:
        answer = await api.request("GET", path)
        assert answer.code == 200, answer
        pages += 1
        seen.extend(event["eventID"] for event in answer.json())
        following = links(answer)["next"]
        if following["results"] != "true":
            break
        path = following["url"].removeprefix("http://localhost")
    assert pages == 3 and len(seen) == 250 and set(seen) == sent
    small = await api.request("GET", "/api/0/projects/parlel/parlel/events/?per_page=7")
    assert len(small.json()) == 7 and links(small)["previous"]["results"] == "false"
    (issue,) = store.issues(store.directory.projects_of())
    issue_page = await api.request("GET", f"/api/0/issues/{issue.id}/events/?cursor=0:200:0")
    assert len(issue_page.json()) == 50 and links(issue_page)["next"]["results"] == "false"
    too_small = await api.request("GET", "/api/0/projects/parlel/parlel/events/?per_page=0")
    assert too_small.code == 400


@pytest_twisted.ensureDeferred
async def test_unknown_things_are_404(api, store):
    event_id = await send(api, crash())
    issue_id = store.event(event_id).issue_id
    missing = "0" * 32
    for path in ("/api/0/projects/nope/parlel/events/",
                 "/api/0/projects/parlel/nope/events/",
                 f"/api/0/projects/parlel/parlel/events/{missing}/",
                 "/api/0/projects/parlel/parlel/events/not-an-id/",
                 "/api/0/issues/9999/events/",
                 "/api/0/issues/9999/events/latest/",
                 f"/api/0/organizations/nope/issues/{issue_id}/events/",
                 f"/api/0/organizations/parlel/issues/{issue_id}/events/{missing}/",
                 f"/api/0/organizations/parlel/eventids/{missing}/",
                 f"/api/0/organizations/nope/eventids/{event_id}/"):
        answer = await api.request("GET", path)
        assert answer.code == 404, (path, answer)
        assert answer.header("content-type").startswith("application/json")
        assert "detail" in answer.json()
    other = await send(api, message_event())
    wrong_issue = await api.request("GET", f"/api/0/issues/{issue_id}/events/{other}/")
    assert wrong_issue.code == 404
    assert (await api.request("GET", "/api/0/issues/1/events/", token=None)).code == 401


@pytest_twisted.ensureDeferred
async def test_events_over_a_real_socket(live_api):
    event_id = await send(live_api, crash())
    answer = await live_api.request("GET", "/api/0/projects/parlel/parlel/events/?full=1")
    assert answer.code == 200, answer
    (event,) = answer.json()
    assert event["eventID"] == event_id and event["entries"][0]["type"] == "exception"
    assert 'rel="next"; results="false"' in answer.header("link")
    link = answer.header("link")
    assert link.startswith(f"<{live_api.base}/api/0/projects/parlel/parlel/events/?")


def _sentry_cli() -> str | None:
    beside = os.path.join(os.path.dirname(sys.executable), "sentry-cli")
    return beside if os.path.exists(beside) else shutil.which("sentry-cli")


@pytest_twisted.ensureDeferred
async def test_sentry_cli_events_list(server, live_api, tmp_path):
    cli = _sentry_cli()
    assert cli is not None, "sentry-cli is a test dependency"
    sent = [await send(live_api, crash(value=f"boom {n}")) for n in range(3)]
    env = {"SENTRY_URL": server.url + "/", "SENTRY_AUTH_TOKEN": TOKEN, "SENTRY_ORG": "parlel",
           "SENTRY_PROJECT": "parlel", "SENTRY_DISABLE_UPDATE_CHECK": "1", "HOME": str(tmp_path),
           "PATH": os.environ.get("PATH", "")}
    out, err, code = await getProcessOutputAndValue(
        cli, ["events", "list", "--show-user", "--show-tags"], env=env, path=str(tmp_path))
    assert code == 0, (out, err)
    printed = out.decode().replace("-", "")
    for event_id in sent:
        assert event_id in printed, (event_id, out)
    assert "ZeroDivisionError: boom 2" in out.decode()


@pytest_twisted.ensureDeferred
async def test_an_events_attachments_are_listed_and_downloaded(api):
    event_id = "d" * 32
    body = (b'{"event_id":"%s"}\n{"type":"event"}\n{"message":"with a file"}\n'
            b'{"type":"attachment","filename":"log.txt","content_type":"text/plain",'
            b'"attachment_type":"event.attachment","length":11}\nhello\x00world\n' % event_id.encode())
    assert (await api.request("POST", "/api/1/envelope/", body=body, token=None, headers={
        "X-Sentry-Auth": "Sentry sentry_key=parlel"})).code == 200
    base = f"/api/0/projects/parlel/parlel/events/{event_id}/attachments/"
    (attachment,) = (await api.request("GET", base)).json()
    assert (attachment["name"], attachment["mimetype"], attachment["size"],
            attachment["type"], attachment["event_id"]) == (
        "log.txt", "text/plain", 11, "event.attachment", event_id)
    assert attachment["sha1"] == hashlib.sha1(b"hello\x00world").hexdigest()
    one = await api.request("GET", f"{base}{attachment['id']}/")
    assert one.json() == attachment
    download = await api.request("GET", f"{base}{attachment['id']}/?download=1")
    assert (download.content, download.header("content-type")) == (b"hello\x00world",
                                                                   "text/plain")
    assert 'filename="log.txt"' in download.header("content-disposition")
    assert (await api.request("GET", f"{base}999/")).code == 404
    assert (await api.request("GET", f"/api/0/projects/parlel/parlel/events/{'e' * 32}"
                                     "/attachments/")).json() == []


@pytest_twisted.ensureDeferred
async def test_latest_and_oldest_are_by_the_events_own_times(api, clock):
    """
    Events that arrive out of the order they happened in (an SDK sending what it cached, a
    test sending events with their times): the latest is the one that happened last.
    """
    sent, now = {}, clock.seconds()
    for name, ago, environment in (("middle", 600, "prod"), ("first", 3600, "prod"),
                                   ("last", 60, "staging"), ("again", 3600, "prod")):
        clock.advance(1)
        sent[name] = await send(api, {"message": "out of order", "timestamp": now - ago,
                                      "environment": environment})
    [issue] = (await api.request("GET", "/api/0/projects/parlel/parlel/issues/")).json()
    base = f"/api/0/organizations/parlel/issues/{issue['id']}/events/"

    async def event_id(which, **params):
        answer = await api.request("GET", base + which + "/" + (
            "?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else ""))
        assert answer.code == 200, answer
        return answer.json()["eventID"]

    assert await event_id("latest") == sent["last"] == await event_id("recommended")
    # Of the two that happened first, at one time, the first to arrive.
    assert await event_id("oldest") == sent["first"]
    assert await event_id("latest", environment="prod") == sent["middle"]
    hashes = (await api.request("GET", base.replace("/events/", "/hashes/"))).json()
    assert hashes[0]["latestEvent"]["eventID"] == sent["last"]
    order = [sent[name] for name in ("last", "middle", "again", "first")]
    # An event's previous and next are its neighbours in that order too.
    for older, newer in zip(reversed(order), list(reversed(order))[1:]):
        event = (await api.request("GET", base + newer + "/")).json()
        assert event["previousEventID"] == older
        assert (await api.request("GET", base + older + "/")).json()["nextEventID"] == newer
    # Lists too, a page at a time: the latest first, as sentry-cli and the MCP server read them.
    for path in (base, "/api/0/projects/parlel/parlel/events/"):
        listed = (await api.request("GET", path)).json()
        assert [event["eventID"] for event in listed] == order, path
        first = await api.request("GET", path + "?per_page=3")
        second = await api.request("GET", path + "?per_page=3&cursor=0:3:0")
        assert [event["eventID"] for event in first.json() + second.json()] == order
