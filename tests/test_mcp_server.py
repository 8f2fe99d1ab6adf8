"""
End to end: Sentry's own MCP server (npm C{@sentry/mcp-server}, what AI agents use to talk to
Sentry), driven over stdio against a server listening over TLS (the server's trace tools want
an https region) that a real Python SDK application has reported to.

The client (C{tests/clients/mcp}) pins the server's version in its C{package-lock.json} and is
installed with C{npm ci} the first time it is missing.  Tools that need a service outside Sentry
(its documentation search, an embedded AI agent) are not called; Seer's analysis is asked for
only to see it refused with a reason.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest_twisted
from twisted.internet.utils import getProcessOutputAndValue

from conftest import TOKEN
from mcp_session import McpSession, spawn
from npm_clients import child_environment, installed
from sentry_fake.testing import start_server
from tls_certificates import make_certificates

SHOP = Path(__file__).parent / "clients" / "python_shop_app.py"
SERVER_SCRIPT = Path("node_modules") / "@sentry" / "mcp-server" / "dist" / "index.js"
ORG = {"organizationSlug": "parlel"}
ISSUE_2 = "/api/0/organizations/parlel/issues/PARLEL-2/"
EXCEPTION_TITLE = "ValueError: invalid literal for int() with base 10: 'two'"


class Shop:
    """
    A listening server, what the shop application reported to it, and an MCP session over it.
    """

    def __init__(self, server, sent: dict[str, str], mcp: McpSession, http) -> None:
        self.server = server
        self.sent = sent
        self.mcp = mcp
        self.http = http

    async def api(self, method: str, path: str, body: object = None) -> object:
        response = await self.http.request(
            method, self.server.url + path, json=body,
            headers={"Authorization": f"Bearer {TOKEN}"})
        assert response.code < 300, (response.code, await response.text())
        return await response.json()

    async def tool(self, name: str, /, **arguments: object) -> str:
        failed, text = await self.mcp.tool(name, **arguments)
        assert not failed, f"{name} failed:\n{text}"
        return text


@pytest_twisted.async_yield_fixture(scope="module")
async def shop(tmp_path_factory):
    from twisted.internet import reactor

    node, client = installed("mcp", "@sentry/mcp-server")
    certificates = make_certificates(tmp_path_factory.mktemp("tls"))
    server = await start_server(reactor, interface="localhost",
                                tls=certificates.server_options())
    out, err, code = await getProcessOutputAndValue(
        sys.executable, [str(SHOP), server.dsn, str(certificates.ca_file)],
        env=child_environment())
    assert code == 0, err.decode()
    sent = json.loads(out)
    host = server.url.removeprefix("https://")
    mcp = spawn(node, str(SERVER_SCRIPT),
                [f"--host={host}", f"--access-token={TOKEN}", "--all-skills"],
                child_environment(NODE_EXTRA_CA_CERTS=str(certificates.ca_file)), str(client))
    try:
        await mcp.initialize()
        yield Shop(server, sent, mcp, certificates.https_client())
    finally:
        await mcp.close()
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_organizations_teams_projects_and_dsns(shop):
    organizations = json.loads(await shop.tool("find_organizations"))
    assert [org["slug"] for org in organizations["organizations"]] == ["parlel"]
    assert organizations["organizations"][0]["regionUrl"] == shop.server.url
    teams = json.loads(await shop.tool("find_teams", **ORG))
    assert "parlel" in [team["slug"] for team in teams["teams"]]
    projects = json.loads(await shop.tool("find_projects", **ORG))
    assert "parlel" in [project["slug"] for project in projects["projects"]]
    dsns = json.loads(await shop.tool("find_dsns", **ORG, projectSlug="parlel"))
    assert shop.server.dsn in [dsn["dsn"] for dsn in dsns["dsns"]]


@pytest_twisted.ensureDeferred
async def test_search_issues_and_issue_details_by_short_and_numeric_id(shop):
    found = await shop.tool("search_issues", **ORG, query="is:unresolved tenant:acme")
    assert "Found **2** issues" in found
    assert "PARLEL-1" in found and EXCEPTION_TITLE in found
    for issue_id in ("PARLEL-1", "1"):
        details = await shop.tool("get_issue_details", **ORG, issueId=issue_id)
        assert "# Issue PARLEL-1 in **parlel**" in details
        assert f"**Event ID**: {shop.sent['exception']}" in details
        assert '→ 23 │     return int(raw)' in details  # the frame's context lines
        assert "**tenant**: acme" in details and "**release**: shop@2.4.1" in details
    by_url = await shop.tool(
        "get_sentry_resource", url=f"{shop.server.url}/organizations/parlel/issues/PARLEL-1/")
    assert "# Issue PARLEL-1 in **parlel**" in by_url


@pytest_twisted.ensureDeferred
async def test_events_of_an_issue_breadcrumbs_tags_and_stack_traces(shop):
    events = await shop.tool("search_issue_events", **ORG, issueId="PARLEL-1",
                             query="environment:production")
    assert "Found 1 error" in events and shop.sent["exception"] in events
    breadcrumbs = await shop.tool("get_issue_breadcrumbs", **ORG, issueId="PARLEL-1")
    assert "[cart] cart loaded with 3 items" in breadcrumbs
    tags = json.loads(await shop.tool("get_issue_tag_values", **ORG, issueId="PARLEL-1",
                                      tagKey="tenant"))
    assert [(value["value"], value["count"]) for value in tags["tag"]["topValues"]] == [
        ("acme", 1)]
    # The declined payment is a message, so its stack is the thread's that captured it.
    stack = await shop.tool("get_event_stacktrace", **ORG, issueId="PARLEL-2",
                            eventId=shop.sent["message"])
    assert "**Current**: true" in stack
    assert 'sentry_sdk.capture_message("payment declined by issuer"' in stack


@pytest_twisted.ensureDeferred
async def test_an_event_attachment(shop):
    attachments = await shop.api(
        "GET", f"/api/0/projects/parlel/parlel/events/{shop.sent['exception']}/attachments/")
    [attachment] = attachments
    text = await shop.tool("get_event_attachment", **ORG, projectSlug="parlel",
                           eventId=shop.sent["exception"], attachmentId=attachment["id"])
    assert "checkout.log" in text and "quantity=two" in text


@pytest_twisted.ensureDeferred
async def test_activity_notes_and_user_reports(shop):
    await shop.api("POST", "/api/0/projects/parlel/parlel/user-feedback/", {
        "event_id": shop.sent["exception"], "name": "Jane", "email": "jane@example.com",
        "comments": "The checkout button does nothing"})
    reports = await shop.tool("get_issue_user_reports", **ORG, issueId="PARLEL-1")
    assert "by Jane" in reports and "The checkout button does nothing" in reports

    added = await shop.tool("add_issue_note", **ORG, issueId="PARLEL-1",
                            text="Quantity parsing breaks on words")
    assert "**Text**: Quantity parsing breaks on words" in added
    activity = await shop.tool("get_issue_activity", **ORG, issueId="PARLEL-1")
    assert "first_seen" in activity and "Quantity parsing breaks on words" in activity


@pytest_twisted.ensureDeferred
async def test_update_issue(shop):
    updated = await shop.tool("update_issue", **ORG, issueId="PARLEL-2", status="resolved")
    assert "**Status**: unresolved → **resolved**" in updated
    assert (await shop.api("GET", ISSUE_2))["status"] == "resolved"
    await shop.tool("update_issue", **ORG, issueId="PARLEL-2", status="unresolved")
    assert (await shop.api("GET", ISSUE_2))["status"] == "unresolved"


@pytest_twisted.ensureDeferred
async def test_releases(shop):
    releases = json.loads(await shop.tool("find_releases", **ORG))
    [release] = releases["releases"]
    assert (release["version"], release["newIssues"], release["projects"]) == (
        "shop@2.4.1", 2, ["parlel"])
    details = await shop.tool("get_release_details", **ORG, releaseVersion="shop@2.4.1")
    assert "# Release shop@2.4.1 in **parlel**" in details and "**New Issues**: 2" in details


@pytest_twisted.ensureDeferred
async def test_monitors_and_their_stats(shop):
    monitors = json.loads(await shop.tool("find_monitors", **ORG))
    [monitor] = monitors["monitors"]
    assert monitor["slug"] == "nightly-export"
    assert monitor["schedule"]["value"] == "0 3 * * *"
    details = await shop.tool("get_monitor_details", **ORG, projectSlugOrId="parlel",
                              monitorSlug="nightly-export", includeStats=True)
    assert "- **schedule**: 0 3 * * *" in details
    assert "Next check-in: " in details and "T03:00:00.000Z" in details
    assert "ok=1, error=0, missed=0, timeout=0" in details


@pytest_twisted.ensureDeferred
async def test_no_alert_rules_and_no_dashboards_are_answered_as_empty(shop):
    rules = json.loads(await shop.tool("find_alert_rules", **ORG))
    assert (rules["issueRules"], rules["metricRules"]) == ([], [])
    dashboards = json.loads(await shop.tool("find_dashboards", **ORG))
    assert dashboards["dashboards"] == []


@pytest_twisted.ensureDeferred
async def test_teams_projects_and_dsns_are_created_and_changed(shop):
    team = json.loads(await shop.tool("create_team", **ORG, name="Payments"))
    assert team["team"]["slug"] == "payments"
    created = await shop.tool("create_project", **ORG, teamSlug="payments", name="Billing",
                              platform="python")
    assert "**Slug**: billing" in created
    [key] = await shop.api("GET", "/api/0/projects/parlel/billing/keys/")
    assert f"**SENTRY_DSN**: {key['dsn']['public']}" in created
    dsn = json.loads(await shop.tool("create_dsn", **ORG, projectSlug="billing", name="ci"))
    assert dsn["dsn"]["name"] == "ci"
    assert dsn["dsn"]["dsn"].endswith(f"/{key['projectId']}")
    renamed = json.loads(await shop.tool("update_project", **ORG, projectSlug="billing",
                                         name="Billing API"))
    assert renamed["project"]["name"] == "Billing API"
    added = json.loads(await shop.tool("add_team_to_project", **ORG, projectSlug="billing",
                                       teamSlug="parlel"))
    assert sorted(team["slug"] for team in added["teams"]) == ["parlel", "payments"]
    removed = json.loads(await shop.tool("remove_team_from_project", **ORG,
                                         projectSlug="billing", teamSlug="parlel"))
    assert [team["slug"] for team in removed["teams"]] == ["payments"]


@pytest_twisted.ensureDeferred
async def test_seer_analysis_is_refused_with_a_reason(shop):
    failed, text = await shop.mcp.tool("analyze_issue_with_seer", **ORG, issueId="PARLEL-1")
    assert failed
    assert "Seer" in text and "not available" in text



@pytest_twisted.ensureDeferred
async def test_search_events_over_errors_spans_and_logs(shop):
    errors = await shop.tool("search_events", **ORG, dataset="errors", query="level:error")
    assert "Found 1 error:" in errors and f"## {EXCEPTION_TITLE}" in errors
    assert "**Issue ID**: PARLEL-1" in errors and "**user.email**: jane@example.com" in errors
    spans = await shop.tool("search_events", **ORG, dataset="spans", query="span.op:db.query")
    assert "Found 1 trace/span:" in spans and "## SELECT * FROM carts" in spans
    assert f"**Trace ID**: {shop.sent['trace']}" in spans
    assert "**transaction**: checkout" in spans
    logs = await shop.tool("search_events", **ORG, dataset="logs", query="severity:warn")
    assert "quantity two is not a number" in logs
    counted = await shop.tool("search_events", **ORG, dataset="spans", query="",
                              fields=["span.op", "count()"], sort="-count()")
    assert "Found 2 aggregate results" in counted
    assert '"span.op": "db.query"' in counted and '"span.op": "task"' in counted


@pytest_twisted.ensureDeferred
async def test_trace_details_show_the_span_tree_its_error_and_its_logs(shop):
    trace = await shop.tool("get_trace_details", **ORG, traceId=shop.sent["trace"])
    assert f"# Trace `{shop.sent['trace']}` in **parlel**" in trace
    assert "**Total Spans**: 2" in trace and "**Errors**: 1" in trace
    assert "**Logs**: 1" in trace
    assert "└─ checkout [task · " in trace
    assert "      └─ SELECT * FROM carts [db.query · " in trace
    by_url = await shop.tool(
        "get_sentry_resource",
        url=f"{shop.server.url}/organizations/parlel/explore/traces/trace/{shop.sent['trace']}/")
    assert "└─ checkout [task · " in by_url
