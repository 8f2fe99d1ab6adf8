"""
End to end: the real Python SDK traces, logs and counts, both ways it sends traces (streamed
spans with C{trace_lifecycle="stream"}, and classic transaction events), and what it sent is
read back where Sentry's clients look: the events API's spans, transactions, logs and metrics,
the trace view, and C{sentry-cli logs list}.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from urllib.parse import urlencode

import pytest
import pytest_twisted
from twisted.internet.utils import getProcessOutputAndValue

from npm_clients import child_environment

APP = Path(__file__).parent / "clients" / "python_traces_app.py"
ORG = "/api/0/organizations/parlel"


async def run_app(dsn: str, mode: str) -> str:
    out, err, code = await getProcessOutputAndValue(sys.executable, [str(APP), dsn, mode],
                                                    env=child_environment())
    assert code == 0, err.decode()
    return json.loads(out)["trace"]


async def rows(live_api, **params):
    answer = await live_api.request("GET", f"{ORG}/events/?" + urlencode(params, doseq=True))
    assert answer.code == 200, answer
    return answer.json()["data"]


@pytest.mark.parametrize("mode", ["stream", "static"])
@pytest_twisted.ensureDeferred
async def test_what_the_sdk_traced_is_found_where_clients_look(server, live_api, mode):
    trace = await run_app(server.dsn, mode)
    spans = await rows(live_api, dataset="spans", query=f"trace:{trace}",
                       field=["span.op", "span.description", "transaction", "is_transaction",
                              "parent_span"])
    by_name = {span["span.description"]: span for span in spans}
    assert {"checkout", "SELECT * FROM carts", "POST /charge"} <= set(by_name)
    root = by_name["checkout"]
    assert root["is_transaction"] is True and root["parent_span"] is None
    assert by_name["SELECT * FROM carts"]["span.op"] == "db.query"
    assert by_name["POST /charge"]["parent_span"] == root["id"]
    assert {span["transaction"] for span in spans} == {"checkout"}

    # Streamed or not, the trace has its transaction where an older client looks for one.
    [transaction] = await rows(live_api, dataset="transactions", query=f"trace:{trace}",
                               field=["transaction", "transaction.duration", "release"])
    assert (transaction["transaction"], transaction["release"]) == ("checkout", "shop@3.1")
    assert transaction["transaction.duration"] > 0

    logs = await rows(live_api, dataset="logs", query=f"trace:{trace}",
                      field=["message", "severity", "message.template"], sort="-timestamp")
    assert [(log["message"], log["severity"]) for log in logs] == [
        ("charge declined for c-42", "error"), ("cart c-42 loaded", "info")]
    assert logs[1]["message.template"] == "cart {cart} loaded"

    meta = (await live_api.request("GET", f"{ORG}/trace-meta/{trace}/")).json()
    assert meta["logs"] == 2 and meta["span_count"] >= 3
    tree = (await live_api.request("GET", f"{ORG}/trace/{trace}/")).json()
    [top] = [node for node in tree if node["description"] == "checkout"]
    assert {child["description"] for child in top["children"]} >= {"SELECT * FROM carts",
                                                                  "POST /charge"}

    [metric] = await rows(live_api, dataset="tracemetrics", query="metric.name:checkouts",
                          field=["metric.type", "value", "shop"])
    assert (metric["metric.type"], metric["value"], metric["shop"]) == ("counter", 1.0, "eu")


@pytest_twisted.ensureDeferred
async def test_sentry_cli_lists_the_logs(server, cli):  # noqa: F811
    await run_app(server.dsn, "static")
    code, out, err = await cli("logs", "list", "--org", "parlel", "--project", "parlel")
    assert code == 0, err
    assert "Item ID" in out and "Severity" in out
    assert "charge declined for c-42" in out and "cart c-42 loaded" in out
    code, out, err = await cli("logs", "list", "--org", "parlel", "--project", "1",
                               "--query", "severity:error")
    assert code == 0, err
    assert "charge declined for c-42" in out and "cart c-42 loaded" not in out
    code, out, err = await cli("logs", "list", "--org", "parlel", "--project", "1",
                               "--query", "severity:fatal")
    assert code == 0 and "No logs found" in out
