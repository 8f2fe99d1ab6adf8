"""
End to end: the real Python sentry-sdk, in a child process, reports to a listening server.

Everything it sends is found again through the inspection surface and the management API, once
with brotli importable (the SDK compresses with br) and once without (gzip).
"""

import json
import os
import sys
from pathlib import Path

import pytest
import pytest_twisted
from twisted.internet.utils import getProcessOutputAndValue

APP = Path(__file__).parent / "clients" / "python_sdk_app.py"


async def run_app(dsn: str, mode: str) -> dict:
    out, err, code = await getProcessOutputAndValue(sys.executable, [str(APP), dsn, mode],
                                                    env=dict(os.environ))
    assert code == 0, err.decode()
    return json.loads(out)


@pytest.mark.parametrize("mode, compression", [("brotli", "br"), ("no-brotli", "gzip")])
@pytest_twisted.ensureDeferred
async def test_everything_the_sdk_sends_is_found(server, live_api, mode, compression):
    sent = await run_app(server.dsn, mode)
    assert sent["compression"] == compression

    events = (await live_api.request("GET", "/__parlel/events", token=None)).json()
    by_id = {event["event_id"]: event for event in events["events"]}
    exception = by_id[sent["exception"]]
    assert exception["type"] == "error" and exception["platform"] == "python"
    assert exception["title"] == "ZeroDivisionError: division by zero"
    assert exception["culprit"] == "__main__ in divide"
    frames = exception["exception"]["values"][0]["stacktrace"]["frames"]
    assert frames[-1]["function"] == "divide" and frames[-1]["in_app"] is True
    assert ["user", "id:u1"] in exception["tags"]
    assert ["release", "myapp@1.0.0"] in exception["tags"]
    message = by_id[sent["message"]]
    assert (message["type"], message["level"], message["title"]) == ("default", "warning", "hello world")
    transaction = next(e for e in events["events"] if e["type"] == "transaction")
    assert transaction["transaction"] == "my-transaction"
    assert transaction["contexts"]["trace"]["trace_id"] == sent["transaction"]
    assert [span["op"] for span in transaction["spans"]] == ["db", "http"]
    assert by_id[sent["attachment"]]["title"] == "with attachment"

    items = (await live_api.request("GET", "/__parlel/items", token=None)).json()["items"]
    kinds = {item["type"] for item in items}
    assert {"event", "transaction", "attachment", "check_in", "session"} <= kinds
    attachment = next(item for item in items if item["type"] == "attachment")
    assert attachment["payload"] == "hello attachment"
    assert attachment["event_id"] == sent["attachment"]
    assert attachment["headers"]["filename"] == "note.txt"
    check_in = next(item for item in items if item["type"] == "check_in")
    assert check_in["payload"]["check_in_id"] == sent["check_in"]
    assert check_in["payload"]["monitor_slug"] == "nightly-job"
    session = next(item for item in items if item["type"] == "session")
    assert session["payload"]["attrs"]["release"] == "myapp@1.0.0"

    issues = (await live_api.request("GET", "/api/0/projects/parlel/parlel/issues/")).json()
    titles = sorted(issue["title"] for issue in issues)
    assert titles == ["ZeroDivisionError: division by zero", "hello world", "with attachment"]
    error = next(issue for issue in issues if issue["type"] == "error")
    assert error["userCount"] == 1 and error["count"] == "1"
    assert error["culprit"] == "__main__ in divide"


@pytest_twisted.ensureDeferred
async def test_the_same_error_twice_is_one_issue(server, live_api):
    await run_app(server.dsn, "brotli")
    await run_app(server.dsn, "no-brotli")
    issues = (await live_api.request("GET", "/api/0/projects/parlel/parlel/issues/")).json()
    counts = {issue["title"]: issue["count"] for issue in issues}
    assert counts == {"ZeroDivisionError: division by zero": "2", "hello world": "2",
                      "with attachment": "2"}


@pytest_twisted.ensureDeferred
async def test_a_rate_limited_sdk_reports_what_it_dropped(server, live_api):
    plan = await live_api.request("POST", "/__parlel/faults", token=None,
                                  json_body={"status": 429, "count": 1, "retry_after": 60,
                                             "rate_limits": "60:error:key"})
    assert plan.code == 201
    app = Path(__file__).parent / "clients" / "python_rate_limited.py"
    out, err, code = await getProcessOutputAndValue(sys.executable, [str(app), server.dsn],
                                                    env=dict(os.environ))
    assert code == 0, err.decode()
    # The first error met the 429; the SDK then held back the others itself.
    assert server.events() == []
    reports = await server_items(live_api, "client_report")
    dropped = {(entry["reason"], entry["category"]): entry["quantity"]
               for report in reports for entry in report["payload"]["discarded_events"]}
    assert dropped.get(("ratelimit_backoff", "error"), 0) >= 2


async def server_items(live_api, kind):
    answer = await live_api.request("GET", f"/__parlel/items?type={kind}&wait=10", token=None)
    return answer.json()["items"]
