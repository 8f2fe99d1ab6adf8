"""
End to end: the real @sentry/node SDK, in a Node child process, reports to a listening server.

The client (C{tests/clients/node}) pins the SDK version in its C{package-lock.json}; its
dependencies are installed with C{npm ci} the first time they are missing, so a fresh machine
needs nothing by hand but Node.js and npm.

What this SDK version sends: errors and messages as C{event} items (a message carries a
synthetic exception with the call site's stack trace, the SDK's default C{attachStacktrace}),
traces as one C{span} item in the v2 span format (no C{transaction} event), cron check-ins as
C{check_in} items and release health as C{session} items.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import pytest_twisted
from twisted.internet.utils import getProcessOutputAndValue

from npm_clients import child_environment, installed

CLIENT = Path(__file__).parent / "clients" / "node"
APP = CLIENT / "app.mjs"
APP_PATH = str(APP)
APP_TIMEOUT = 120
ISSUES = "/api/0/projects/parlel/parlel/issues/"
EXCEPTION_TITLE = "PaymentDeclined: card declined by issuer"


@pytest.fixture(scope="session")
def node() -> str:
    """
    The C{node} binary, with the client's dependencies installed.
    """
    node_path, _ = installed("node", "@sentry/node")
    return node_path


async def run_app(node: str, dsn: str) -> dict:
    from twisted.internet import reactor

    running = getProcessOutputAndValue(node, [APP_PATH, dsn], env=child_environment(),
                                       path=str(CLIENT))
    out, err, code = await running.addTimeout(APP_TIMEOUT, reactor)
    assert code == 0, err.decode()
    sent = json.loads(out)
    assert sent["flushed"] is True
    return sent


async def get_json(live_api, path: str, token: object = ...):
    answer = await (live_api.request("GET", path) if token is ... else
                    live_api.request("GET", path, token=token))
    assert answer.code == 200, answer
    return answer.json()


@pytest_twisted.ensureDeferred
async def test_errors_and_messages_are_stored_as_sentry_would(server, live_api, node):
    sent = await run_app(node, server.dsn)
    events = (await get_json(live_api, "/__parlel/events", token=None))["events"]
    by_id = {event["event_id"]: event for event in events}

    first = by_id[sent["exception"][0]]
    assert (first["type"], first["platform"], first["level"]) == ("error", "node", "error")
    assert first["title"] == EXCEPTION_TITLE
    # Sentry's culprit for JavaScript and Node: "function(module)" of the last in-app frame.
    assert first["culprit"] == "chargeCard(app)"
    assert (first["release"], first["environment"]) == ("node-app@2.0.0", "staging")
    assert first["user"]["id"] == "n1" and first["user"]["email"] == "n1@example.com"
    assert first["sdk"]["name"] == "sentry.javascript.node"
    [exception] = first["exception"]["values"]
    assert exception["type"] == "PaymentDeclined"
    assert exception["mechanism"] == {"type": "generic", "handled": True}
    frames = exception["stacktrace"]["frames"]
    # Relay drops a frame's "?" function (an anonymous one), as it drops any "?".
    assert [frame.get("function") for frame in frames if frame["in_app"]][-3:] == \
        ["captureFrom", "checkout", "chargeCard"]
    assert frames[-1]["filename"] == APP_PATH and frames[-1]["module"] == "app"
    assert "throw new PaymentDeclined" in frames[-1]["context_line"]
    assert any(frame["in_app"] is False for frame in frames)
    tags = dict(first["tags"])
    assert tags["tenant"] == "acme" and tags["user"] == "id:n1"
    assert (tags["release"], tags["environment"], tags["level"]) == \
        ("node-app@2.0.0", "staging", "error")
    assert tags["handled"] == "yes" and tags["mechanism"] == "generic"
    assert tags["runtime"].startswith("node v")

    # The same error from the same call site is one issue; from another call site, another.
    second, other = by_id[sent["exception"][1]], by_id[sent["other_call_site"]]
    assert second["issue_id"] == first["issue_id"] and second["hashes"] == first["hashes"]
    assert other["issue_id"] != first["issue_id"]
    assert other["title"] == EXCEPTION_TITLE and other["culprit"] == "chargeCard(app)"

    # captureMessage sends the message with a synthetic exception carrying the call site's
    # stack trace: an error event that Sentry names after the calling function.
    message = by_id[sent["message"]]
    assert message["message"] == "inventory sync finished late"
    assert (message["type"], message["level"], message["title"], message["culprit"]) == \
        ("error", "warning", "main", "")
    assert message["exception"]["values"][0]["mechanism"]["synthetic"] is True
    assert message["issue_id"] not in (first["issue_id"], other["issue_id"])
    # The streamed span tree is shown as the transaction an older SDK would have sent.
    assert {event["type"] for event in events} == {"error", "transaction"}


@pytest_twisted.ensureDeferred
async def test_issues_show_sentrys_fields(server, live_api, node):
    sent = await run_app(node, server.dsn)
    events = {event["event_id"]: event
              for event in (await get_json(live_api, "/__parlel/events", token=None))["events"]}
    issues = {issue["id"]: issue for issue in await get_json(live_api, ISSUES)}
    assert len(issues) == 3
    twice = issues[str(events[sent["exception"][0]]["issue_id"])]
    once = issues[str(events[sent["other_call_site"]]["issue_id"])]
    message = issues[str(events[sent["message"]]["issue_id"])]

    assert (twice["count"], once["count"], message["count"]) == ("2", "1", "1")
    for issue in (twice, once):
        assert (issue["title"], issue["culprit"], issue["level"]) == \
            (EXCEPTION_TITLE, "chargeCard(app)", "error")
        assert issue["metadata"] == {
            "value": "card declined by issuer", "type": "PaymentDeclined",
            "filename": APP_PATH, "function": "chargeCard", "in_app_frame_mix": "mixed"}
    assert (message["title"], message["culprit"], message["level"]) == ("main", "", "warning")
    assert message["metadata"] == {
        "value": "inventory sync finished late", "type": "Error", "synthetic": True,
        "filename": APP_PATH, "function": "main", "in_app_frame_mix": "mixed"}
    assert sorted(issue["shortId"] for issue in issues.values()) == \
        ["PARLEL-1", "PARLEL-2", "PARLEL-3"]
    for issue in issues.values():
        assert (issue["type"], issue["issueCategory"], issue["platform"]) == \
            ("error", "error", "node")
        assert (issue["status"], issue["substatus"]) == ("unresolved", "new")
        assert issue["userCount"] == 1 and issue["isUnhandled"] is False
        assert issue["firstSeen"].endswith("Z") and issue["lastSeen"].endswith("Z")
        assert issue["firstSeen"] <= issue["lastSeen"]

    detail = await get_json(live_api, f"/api/0/organizations/parlel/issues/{twice['id']}/")
    assert (detail["id"], detail["shortId"], detail["count"], detail["title"]) == \
        (twice["id"], twice["shortId"], "2", EXCEPTION_TITLE)
    assert detail["culprit"] == "chargeCard(app)" and detail["userCount"] == 1


@pytest_twisted.ensureDeferred
async def test_spans_check_ins_and_sessions_arrive_as_items(server, live_api, node):
    sent = await run_app(node, server.dsn)
    items = (await get_json(live_api, "/__parlel/items", token=None))["items"]
    kinds = {item["type"] for item in items}
    assert {"event", "span", "check_in", "session"} <= kinds
    # This SDK version streams spans; it sends no transaction event (the server makes one).
    assert "transaction" not in kinds

    span_items = [item for item in items if item["type"] == "span"]
    for item in span_items:
        assert item["headers"]["content_type"] == "application/vnd.sentry.items.span.v2+json"
        assert item["payload"]["version"] == 2
        assert item["headers"]["item_count"] == len(item["payload"]["items"])
    spans = {span["name"]: span for item in span_items for span in item["payload"]["items"]
             if span["trace_id"] == sent["trace"]}
    assert set(spans) == {"process-order", "load cart", "charge card", "fraud check"}
    root = spans["process-order"]
    assert root["is_segment"] is True and root.get("parent_span_id") is None
    assert spans["load cart"]["parent_span_id"] == root["span_id"]
    assert spans["charge card"]["parent_span_id"] == root["span_id"]
    assert spans["fraud check"]["parent_span_id"] == spans["charge card"]["span_id"]
    assert spans["load cart"]["attributes"]["sentry.op"] == {"value": "db.query", "type": "string"}
    assert spans["fraud check"]["attributes"]["sentry.segment.name"]["value"] == "process-order"
    for span in spans.values():
        assert span["start_timestamp"] <= span["end_timestamp"]
        assert span["attributes"]["sentry.release"]["value"] == "node-app@2.0.0"

    check_ins = {item["payload"]["status"]: item["payload"] for item in items
                 if item["type"] == "check_in"}
    assert set(check_ins) == {"in_progress", "ok"}
    for check_in in check_ins.values():
        assert (check_in["check_in_id"], check_in["monitor_slug"]) == \
            (sent["check_in"], "nightly-sync")
        assert (check_in["environment"], check_in["release"]) == ("staging", "node-app@2.0.0")
        assert check_in["contexts"]["trace"]["trace_id"]
    assert check_ins["ok"]["duration"] == 1.5 and "duration" not in check_ins["in_progress"]

    session = next(item["payload"] for item in items if item["type"] == "session")
    assert session["attrs"] == {"release": "node-app@2.0.0", "environment": "staging"}
    assert session["did"] == "n1"


@pytest_twisted.ensureDeferred
async def test_streamed_spans_make_the_transaction_older_clients_look_for(server, live_api,
                                                                          node):
    sent = await run_app(node, server.dsn)
    events = (await get_json(live_api, "/__parlel/events?type=transaction", token=None))
    [transaction] = events["events"]
    assert transaction["transaction"] == "process-order"
    assert transaction["contexts"]["trace"]["trace_id"] == sent["trace"]
    assert transaction["release"] == "node-app@2.0.0"
    assert transaction["environment"] == "staging"
    assert sorted(span["description"] for span in transaction["spans"]) == \
        ["charge card", "fraud check", "load cart"]
    assert {span["op"] for span in transaction["spans"]} == {"db.query", "http.client",
                                                             "function"}
    assert transaction["start_timestamp"] <= min(
        span["start_timestamp"] for span in transaction["spans"])
