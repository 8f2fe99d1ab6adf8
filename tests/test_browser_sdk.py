"""
End to end: the real C{@sentry/browser} SDK in a real headless Chromium, with tracing on and
every other option at its default (so the pageload trace is streamed as span v2 items and no
transaction event is sent), reporting to a listening server.  What it sent is read back where
Sentry's clients look: the errors as issues with their frames and the browser Relay derives
from the User-Agent, the pageload trace through C{/trace/} and C{events/?dataset=spans} (and
as the transaction an older client waits for) and on the trace page, the feedback as an issue
of the feedback category, the sessions in the release's health.

The shop page (C{tests/clients/browser/app.js}) is served from an origin of its own, and loads
the SDK's ES modules from the client's C{node_modules} through an import map: no bundler, and
nothing downloaded but the pinned npm packages.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlencode

import pytest
import pytest_twisted
from twisted.internet.threads import deferToThread
from twisted.web import static
from twisted.web.resource import Resource
from twisted.web.server import Site

from browser import browser_context, missing
from npm_clients import installed

CLIENT = Path(__file__).parent / "clients" / "browser"
ORG = "/api/0/organizations/parlel"
#: The export conditions a browser resolves an ES module import by, in order.
CONDITIONS = ("browser", "import", "module", "default")
#: The cart the page loads, whose total is over its limit: the card is declined.
CART = {"id": "c_42", "total": 120, "limit": 100}

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Shop</title>
<script type="importmap">{import_map}</script>
<script type="module" src="/app.js"></script>
</head><body><h1>Shop</h1></body></html>
"""


def _resolve(target):
    if isinstance(target, str):
        return target
    if isinstance(target, dict):
        for condition, value in target.items():
            if condition in CONDITIONS:
                found = _resolve(value)
                if found is not None:
                    return found
    return None


def import_map(node_modules: Path) -> dict:
    """
    An import map naming every installed package (and its exported subpaths) by the ES module
    its C{package.json} exports to a browser.
    """
    imports = {}
    manifests = (sorted(node_modules.glob("*/package.json"))
                 + sorted(node_modules.glob("@*/*/package.json")))
    for manifest in manifests:
        package = json.loads(manifest.read_text())
        base = f"/node_modules/{manifest.parent.relative_to(node_modules).as_posix()}/"
        exports = package.get("exports")
        if isinstance(exports, str) or (
                isinstance(exports, dict) and not any(key.startswith(".") for key in exports)):
            exports = {".": exports}
        if exports is None:
            exports = {".": package.get("module") or package.get("main") or "index.js"}
        for subpath, target in exports.items():
            found = _resolve(target)
            if "*" not in subpath and found is not None and found.endswith((".js", ".mjs")):
                imports[package["name"] + subpath[1:]] = base + found.removeprefix("./")
    return {"imports": imports}


class Scripts(static.File):
    contentTypes = {**static.File.contentTypes, ".js": "text/javascript",
                    ".mjs": "text/javascript"}


def shop_site(node_modules: Path) -> Site:
    root = Resource()
    page = PAGE.format(import_map=json.dumps(import_map(node_modules)))
    root.putChild(b"", static.Data(page.encode(), "text/html; charset=utf-8"))
    root.putChild(b"app.js", Scripts(str(CLIENT / "app.js")))
    root.putChild(b"node_modules", Scripts(str(node_modules)))
    api = Resource()
    api.putChild(b"cart.json", static.Data(json.dumps(CART).encode(), "application/json"))
    root.putChild(b"api", api)
    return Site(root)


def visit(url: str, fake: str, profile: str) -> dict:
    """
    Open the shop page and wait until it says what it sent; what the browser saw on the way.
    """
    with browser_context(profile) as context:
        page = context.new_page()
        seen = {"errors": [], "answers": []}
        page.on("pageerror", lambda error: seen["errors"].append(str(error)))
        page.on("response", lambda response: response.url.startswith(fake) and seen[
            "answers"].append(response.status))
        page.goto(url)
        page.wait_for_function("window.__sent || window.__failed", timeout=30_000)
        seen["sent"] = page.evaluate("window.__sent || null")
        seen["failure"] = page.evaluate("window.__failed || null")
        return seen


def trace_page(url: str, profile: str) -> dict:
    """
    What the trace page of the fake shows: each span row's op, description, depth and the
    events of the errors under it.
    """
    with browser_context(profile) as context:
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(url)
        shown = page.locator(".waterfall .span-row").evaluate_all("""rows => rows.map(row => ({
            op: row.querySelector(".op").innerText,
            description: row.querySelector(".desc").innerText,
            depth: row.dataset.depth,
            errors: [...row.querySelectorAll(".trace-error")].map(error => error.dataset.event),
        }))""")
        return {"rows": shown, "errors": errors}


@pytest.fixture
def node_modules():
    reason = missing()
    if reason is not None:
        pytest.fail(reason, pytrace=False)
    return installed("browser", "@sentry/browser")[1] / "node_modules"


@pytest_twisted.async_fixture
async def shop(server, node_modules, tmp_path):
    """
    What the SDK in the shop page sent to the server, and what the browser saw.
    """
    from twisted.internet import reactor

    port = reactor.listenTCP(0, shop_site(node_modules), interface="127.0.0.1")
    try:
        url = f"http://127.0.0.1:{port.getHost().port}/?" + urlencode({"dsn": server.dsn})
        seen = await deferToThread(visit, url, server.url, str(tmp_path / "profile"))
    finally:
        await port.stopListening()
    assert seen["failure"] is None, seen["failure"]
    # The uncaught error is the page's own; every envelope was taken.
    assert seen["errors"] == ["Cannot read properties of undefined (reading 'lines')"]
    assert seen["answers"] and set(seen["answers"]) == {200}
    assert seen["sent"]["flushed"] is True
    return seen["sent"]


async def get(live_api, path: str, **params):
    answer = await live_api.request("GET", path + ("?" + urlencode(params, doseq=True)
                                                   if params else ""))
    assert answer.code == 200, answer
    return answer.json()


@pytest_twisted.ensureDeferred
async def test_browser_errors_are_issues_with_their_frames_and_browser(shop, live_api):
    issues = await get(live_api, f"{ORG}/issues/", query="is:unresolved")
    by_title = {issue["title"]: issue for issue in issues}
    declined = by_title["PaymentDeclined: card declined for cart c_42"]
    receipt = by_title["TypeError: Cannot read properties of undefined (reading 'lines')"]
    assert declined["level"] == "error" and declined["platform"] == "javascript"

    event = await get(live_api, f"{ORG}/issues/{declined['id']}/events/latest/")
    assert event["eventID"] == shop["error"]
    [exception] = [entry for entry in event["entries"] if entry["type"] == "exception"]
    [value] = exception["data"]["values"]
    frames = value["stacktrace"]["frames"]
    # Oldest call first, as Sentry keeps them; each in app, at the line of app.js it ran.
    assert [frame["function"] for frame in frames] == ["main", "submitOrder", "checkout",
                                                       "chargeCard"]
    assert all(frame["inApp"] and frame["filename"].endswith("/app.js") for frame in frames)
    assert value["mechanism"] == {"type": "generic", "handled": True}
    tags = {tag["key"]: tag["value"] for tag in event["tags"]}
    # Relay's User-Agent contexts: the browser and its OS, from the request's header.
    assert tags["browser.name"] == "HeadlessChrome" and tags["os.name"] == "Linux"
    assert tags["browser"].startswith("HeadlessChrome ")
    assert (tags["release"], tags["environment"], tags["handled"]) == ("shop-web@3.1.0",
                                                                       "preview", "yes")
    assert event["contexts"]["trace"]["trace_id"] == shop["trace"]

    uncaught = await get(live_api, f"{ORG}/issues/{receipt['id']}/events/latest/")
    uncaught_tags = {tag["key"]: tag["value"] for tag in uncaught["tags"]}
    assert uncaught_tags["handled"] == "no"


@pytest_twisted.ensureDeferred
async def test_the_streamed_pageload_trace_is_found_where_clients_look(shop, live_api):
    trace = shop["trace"]
    fields = ["id", "span.op", "span.description", "is_transaction", "parent_span",
              "span.duration"]
    spans = (await get(live_api, f"{ORG}/events/", dataset="spans", field=fields,
                       query=f"trace:{trace} span.op:[pageload,http.client,browser.*]",
                       per_page=100))["data"]
    by_id = {span["id"]: span for span in spans}
    pageload = by_id[shop["pageload"]]
    assert (pageload["span.op"], pageload["is_transaction"]) == ("pageload", True)
    assert pageload["parent_span"] is None and pageload["span.duration"] > 0
    ops = {span["span.op"] for span in spans}
    # The cart's fetch, and the browser's own timings, all under the pageload.
    assert {"http.client", "browser.dom_content_loaded_event"} <= ops
    [fetch] = [span for span in spans if span["span.op"] == "http.client"]
    assert fetch["span.description"] == "GET 127.0.0.1"
    assert fetch["parent_span"] == pageload["id"]
    [counted] = (await get(live_api, f"{ORG}/events/", dataset="spans", field=["count()"],
                           query=f"trace:{trace}"))["data"]
    # Every module the page loaded is a resource span of its own.
    scripts = (await get(live_api, f"{ORG}/events/", dataset="spans", field=["count()"],
                         query=f"trace:{trace} span.op:resource.script"))["data"][0]
    assert scripts["count()"] > 10 and counted["count()"] >= scripts["count()"] + len(spans)

    tree = await get(live_api, f"{ORG}/trace/{trace}/")
    [root] = tree
    assert (root["op"], root["event_id"]) == ("pageload", shop["pageload"])
    children = {child["op"] for child in root["children"]}
    assert "http.client" in children
    # Both errors happened inside the pageload: they are attached to its span.
    assert {error["event_id"] for error in root["errors"]} >= {shop["error"]}
    assert len(root["errors"]) == 2

    meta = await get(live_api, f"{ORG}/trace-meta/{trace}/")
    assert meta["errors"] == 2 and meta["span_count"] == counted["count()"]

    # No transaction was sent; the segment is one where an older client waits for it.
    [transaction] = (await get(live_api, f"{ORG}/events/", dataset="transactions",
                               query=f"trace:{trace}",
                               field=["transaction", "transaction.op", "release"]))["data"]
    assert (transaction["transaction.op"], transaction["release"]) == ("pageload",
                                                                       "shop-web@3.1.0")


@pytest_twisted.ensureDeferred
async def test_the_feedback_is_an_issue_of_the_feedback_category(shop, live_api):
    [issue] = await get(live_api, f"{ORG}/issues/", query="issue.category:feedback")
    assert (issue["issueCategory"], issue["issueType"]) == ("feedback", "feedback")
    assert issue["metadata"]["message"] == "The card was declined although it has funds"
    assert issue["metadata"]["contact_email"] == "ada@example.com"
    assert issue["metadata"]["associated_event_id"] == shop["error"]
    event = await get(live_api, f"{ORG}/issues/{issue['id']}/events/latest/")
    assert event["eventID"] == shop["feedback"]
    assert event["contexts"]["feedback"]["name"] == "Ada Buyer"
    # And it stays out of the default issue search.
    unresolved = await get(live_api, f"{ORG}/issues/", query="is:unresolved")
    assert issue["id"] not in {other["id"] for other in unresolved}


@pytest_twisted.ensureDeferred
async def test_the_sessions_count_in_the_release_health(shop, live_api):
    release = await get(live_api, f"{ORG}/releases/shop-web@3.1.0/", health="1")
    [project] = release["projects"]
    assert project["healthData"]["totalSessions"] >= 1


@pytest_twisted.ensureDeferred
async def test_the_pageload_on_the_trace_page(shop, server, tmp_path):
    url = f"{server.url}/organizations/parlel/explore/traces/trace/{shop['trace']}/"
    shown = await deferToThread(trace_page, url, str(tmp_path / "pages"))
    assert shown["errors"] == []
    rows = shown["rows"]
    assert (rows[0]["op"], rows[0]["depth"]) == ("pageload", "0")
    # Both errors happened while the page loaded: they hang under its span.
    assert len(rows[0]["errors"]) == 2 and shop["error"] in rows[0]["errors"]
    [fetch] = [row for row in rows if row["op"] == "http.client"]
    assert (fetch["description"], fetch["depth"]) == ("GET 127.0.0.1", "1")
    assert len(rows) > 100  # every module the page loaded is a span of its own
