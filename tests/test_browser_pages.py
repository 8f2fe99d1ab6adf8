"""
The pages in a real browser (headless Chromium, driven by Playwright) against a running
server, with events sent by the real Python SDK from a child process: the stream lists them,
the issue page shows the stack frames and their context lines, new events appear on an open
page, a trace shows its spans in the waterfall and its logs, new traces and logs appear on
open pages, and hostile values show as text, never as markup.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from browser import browser_context, missing
from clients.python_pages_app import HOSTILE

APP = Path(__file__).parent / "clients" / "python_pages_app.py"
TRACES_APP = Path(__file__).parent / "clients" / "python_traces_app.py"


@pytest.fixture(scope="module")
def context(tmp_path_factory):
    reason = missing()
    if reason is not None:
        pytest.fail(reason, pytrace=False)
    with browser_context(str(tmp_path_factory.mktemp("chromium-profile"))) as context:
        yield context


@pytest.fixture
def page(context):
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors = []
    page.on("pageerror", lambda error: errors.append(error))
    yield page
    page.close()
    assert errors == []


def send(mode: str, target: str) -> dict:
    done = subprocess.run([sys.executable, str(APP), mode, target], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def send_trace(mode: str, dsn: str) -> str:
    """
    Trace a checkout with the real SDK (C{stream}: spans as they end; C{static}: one
    transaction), logging inside its spans; the trace's id.
    """
    done = subprocess.run([sys.executable, str(TRACES_APP), dsn, mode], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["trace"]


@pytest.mark.parametrize("mode", ["stream", "static"])
def test_an_sdk_trace_on_the_traces_trace_and_logs_pages(sentry_fake, page, mode):
    trace = send_trace(mode, sentry_fake.dsn)
    page.goto(sentry_fake.url + "/organizations/parlel/explore/traces/")
    row = page.locator(f'table.traces tr[data-trace="{trace}"]')
    assert row.locator("a.title").inner_text() == "checkout"
    counted = row.locator('[data-field="spans"]').inner_text()
    row.locator("a.title").click()
    page.wait_for_url(f"**/explore/traces/trace/{trace}/")
    spans = page.locator(".waterfall .span-row")
    # Streamed, the SDK also traces its own requests sending the envelopes.
    assert spans.count() == int(counted) >= 3
    descriptions = page.locator(".waterfall .span-row .desc").all_inner_texts()
    assert descriptions[0] == "checkout"
    assert spans.first.get_attribute("data-depth") == "0"
    for description in ("SELECT * FROM carts", "POST /charge"):
        span = spans.filter(has=page.locator(".desc", has_text=description))
        assert span.get_attribute("data-depth") == "1"
    query = spans.filter(has=page.locator(".desc", has_text="SELECT * FROM carts"))
    attributes = query.locator("table.kv")
    assert not attributes.is_visible()
    query.locator("summary").click()
    assert "db.query" in attributes.inner_text()
    logs = page.locator("#logs .log-body").all_inner_texts()
    assert logs == ["cart c-42 loaded", "charge declined for c-42"]
    page.get_by_role("link", name="In the logs ›").click()
    page.wait_for_url("**/explore/logs/?query=trace*")
    bodies = page.locator("table.logs .log-body").all_inner_texts()
    assert bodies == ["charge declined for c-42", "cart c-42 loaded"]
    assert page.locator("table.logs tr.row").first.locator(".level").text_content() == "error"
    page.locator("table.logs a.trace-link").first.click()
    page.wait_for_url(f"**/explore/traces/trace/{trace}/")


def test_new_traces_and_logs_appear_on_open_pages(sentry_fake, page, context):
    first = send_trace("stream", sentry_fake.dsn)
    page.goto(sentry_fake.url + "/organizations/parlel/explore/logs/?severity=error")
    page.locator("#live.on").wait_for()
    assert page.locator("table.logs tr.row").count() == 1
    traces = context.new_page()
    traces.goto(sentry_fake.url + "/organizations/parlel/explore/traces/")
    traces.locator("#live.on").wait_for()
    assert traces.locator("table.traces tr.row").count() == 1
    second = send_trace("static", sentry_fake.dsn)
    traces.locator(f'table.traces tr[data-trace="{second}"]').wait_for(timeout=10_000)
    assert traces.locator("table.traces tr.row").first.get_attribute("data-trace") == second
    assert traces.locator(f'table.traces tr[data-trace="{first}"]').count() == 1
    page.locator("table.logs tr.row").nth(1).wait_for(timeout=10_000)
    assert page.locator("table.logs tr.row").count() == 2
    assert page.locator("table.logs .log-body").all_inner_texts() == [
        "charge declined for c-42", "charge declined for c-42"]
    traces.close()


def test_sdk_events_on_the_stream_and_the_issue_page(sentry_fake, page):
    sent = send("shop", sentry_fake.dsn)
    sentry_fake.wait_for_events(4, type="error")
    page.goto(sentry_fake.url + "/organizations/parlel/issues/")
    rows = page.locator("table.issues tr.row")
    assert rows.count() == 3
    titles = rows.locator("a.title").all_inner_texts()
    assert "CheckoutError: no price for 'Z-999' in cart c_1881" in titles
    assert "payment declined by issuer" in titles
    page.get_by_role("link", name="CheckoutError: no price for 'Z-999' in cart c_1881").click()
    page.wait_for_url("**/organizations/parlel/issues/*/")
    assert sent["exception"] in page.locator(".event-id").inner_text()
    functions = page.locator(".frame.in-app .fn").all_inner_texts()
    assert functions[:2] == ["checkout", "shop"] and "total" in functions
    active = page.locator(".context li.active").filter(has_text="amount += prices")
    assert active.first.is_visible()
    assert active.first.inner_text().strip() == 'amount += prices[line["sku"]] * line["quantity"]'
    assert page.locator(".context li").filter(has_text="for line in self.lines:").first.is_visible()
    variables = page.locator("details.vars").first
    assert not variables.locator("pre").is_visible()
    variables.locator("summary").click()
    assert "cart_id = 'c_1881'" in variables.locator("pre").inner_text()
    assert page.locator("#breadcrumbs").get_by_text("GET /api/prices").is_visible()


def test_new_events_appear_on_open_pages(sentry_fake, page):
    send("shop", sentry_fake.dsn)
    sentry_fake.wait_for_events(4, type="error")
    page.goto(sentry_fake.url + "/organizations/parlel/issues/")
    page.locator("#live.on").wait_for()
    rows = page.locator("table.issues tr.row")
    assert rows.count() == 3
    send("one", sentry_fake.dsn)
    newest = rows.first.locator("a.title")
    newest.filter(has_text="in cart c_3000").wait_for(timeout=10_000)
    assert rows.count() == 4
    newest.click()
    page.wait_for_url("**/organizations/parlel/issues/*/")
    page.locator("#live.on").wait_for()
    events = page.locator('.issue-head [data-field="events"]')
    assert events.inner_text() == "1"
    send("one", sentry_fake.dsn)
    page.locator('.issue-head [data-field="events"]', has_text="2").wait_for(timeout=10_000)
    assert page.locator("[data-notice]").is_visible()


def test_hostile_values_are_shown_as_text(sentry_fake, page):
    sent = send("hostile", sentry_fake.dsn)
    sentry_fake.wait_for_events(1)
    for path in ("/", "/organizations/parlel/issues/"):
        page.goto(sentry_fake.url + path)
        assert page.locator("a.title").first.inner_text() == f"ValueError: {HOSTILE}"
        assert page.evaluate("window.__pwned") is None
        assert page.locator("img[src=x]").count() == 0
    page.locator("a.title").first.click()
    page.wait_for_url("**/organizations/parlel/issues/*/")
    assert sent["exception"] in page.locator(".event-id").inner_text()
    assert page.locator(".exc-value").inner_text() == HOSTILE
    assert page.locator(".frame.in-app .fn").first.inner_text() == f"explode{HOSTILE}"
    assert HOSTILE in page.locator(".context li.active").first.inner_text()
    assert page.locator("#breadcrumbs .crumb-message").first.inner_text().startswith(HOSTILE)
    assert page.locator("#tags .tag", has_text="evil").locator(".tag-value").inner_text() == HOSTILE
    assert HOSTILE in page.locator("#user").inner_text()
    assert HOSTILE in page.locator("#request").inner_text()
    page.locator("details.vars summary").first.click()
    assert HOSTILE in page.locator("pre.vars").first.inner_text()
    # Nothing the event carried became an element or ran.
    assert page.evaluate("window.__pwned") is None
    assert page.locator("img[src=x]").count() == 0
    assert page.locator("script").count() == 1
