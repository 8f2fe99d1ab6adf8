"""
The traces and logs pages, read in memory: the traces list (newest first, searched over
spans, paged), one trace's waterfall with its errors and logs, the logs (searched, filtered by
severity, paged), where Sentry's other links to a trace lead, the issue page's link to its
trace, and their live feeds on a real socket.
"""

import json
import re

import pytest_twisted
import treq

from conftest import NOW
from scenario import AUTH, envelope, event_item
from sse_client import open_stream
from test_explore_api import (OTHER_TRACE, TRACE, checkout, child, item, log_entry, send,
                              transaction)
from test_pages import page, text
from test_trace_api import error_in

ORG = "/organizations/parlel"


def rows(answer, attribute):
    return re.findall(rf'<tr class="row" {attribute}="(\w+)"'.encode(), answer.content)


def trace_id(number):
    return f"{number:032x}"


@pytest_twisted.ensureDeferred
async def test_the_traces_list_shows_each_trace_newest_first(api):
    await checkout(api)
    await send(api, event_item(error_in("3" * 16, "card declined")))
    await send(api, item("transaction", transaction(
        "GET /cart", trace=OTHER_TRACE, root="5" * 16, status="internal_error")))
    answer = await page(api, f"{ORG}/explore/traces/")
    assert rows(answer, "data-trace") == [OTHER_TRACE.encode(), TRACE.encode()]
    row = re.search(rb'data-trace="a{32}">.*?</tr>', answer.content, re.S).group(0)
    shown = re.sub(r"<[^>]+>", " ", row.decode())
    assert "GET /checkout" in shown and "http.server" in shown and "parlel" in shown
    assert re.search(r'data-field="spans"><span title="4" class="count">4', row.decode())
    assert 'class="num errors some"><span title="1" class="count">1' in row.decode()
    assert "500.00ms" in shown
    assert f'href="{ORG}/explore/traces/trace/{TRACE}/"'.encode() in answer.content
    assert b'class="nav-traces active"' in answer.content
    home = await page(api, "/")
    assert rows(home, "data-trace") == [OTHER_TRACE.encode(), TRACE.encode()]
    assert "Latest traces" in text(home)


@pytest_twisted.ensureDeferred
async def test_the_traces_list_searches_spans_and_pages(api):
    await checkout(api)
    for number in range(30):
        await send(api, item("transaction", transaction(f"job {number}", trace=trace_id(number),
                                                        root=f"{number + 1:016x}")))
    first = await page(api, f"{ORG}/explore/traces/")
    assert rows(first, "data-trace")[:2] == [trace_id(29).encode(), trace_id(28).encode()]
    assert len(rows(first, "data-trace")) == 25 and b"cursor=0%3A25%3A0" in first.content
    second = await page(api, f"{ORG}/explore/traces/?cursor=0:25:0")
    assert rows(second, "data-trace") == [trace_id(n).encode() for n in (4, 3, 2, 1, 0)] + [
        TRACE.encode()]
    db = await page(api, f"{ORG}/explore/traces/?query=span.op:db.query")
    assert rows(db, "data-trace") == [TRACE.encode()]
    named = await page(api, f'{ORG}/explore/traces/?query=transaction:"job 7"')
    assert rows(named, "data-trace") == [trace_id(7).encode()]
    slow = await page(api, f"{ORG}/explore/traces/?query=span.duration:>200ms%20charge")
    assert rows(slow, "data-trace") == [TRACE.encode()]
    none = await page(api, f"{ORG}/explore/traces/?query=span.op:nothing")
    assert rows(none, "data-trace") == [] and "No trace has a span" in text(none)
    bad = await page(api, f"{ORG}/explore/traces/?query=span.duration:>soon")
    assert "is not a valid duration value" in text(bad) and 'role="alert"' in bad.content.decode()


@pytest_twisted.ensureDeferred
async def test_the_trace_waterfall_with_its_errors_and_logs(api, client):
    await checkout(api)
    await send(api, event_item(error_in("3" * 16, "card declined")))
    await send(api, event_item(error_in("9" * 16, "somewhere else")))
    await send(api, item("log", {"version": 2, "items": [
        log_entry("cart loaded", rows=3), log_entry("charge declined", level="error"),
        log_entry("elsewhere", trace=OTHER_TRACE)]}))
    answer = await page(api, f"{ORG}/explore/traces/trace/{TRACE}/")
    html = answer.content.decode()
    spans = re.findall(r'data-span="(\w+)" data-depth="(\d+)"', html)
    assert spans == [("1" * 16, "0"), ("2" * 16, "1"), ("3" * 16, "1"), ("4" * 16, "1")]
    shown = text(answer)
    for expected in ("GET /checkout", "SELECT * FROM carts", "POST https://pay.example/charge",
                     "UPDATE carts", "db.query", "http.client", "120.00ms", "250.00ms"):
        assert expected in shown, expected
    # Bars are placed in the trace's time: the charge starts 200 ms into 500 ms, for 250 ms.
    charge = re.search(r'data-span="3{16}".*?</li>', html, re.S).group(0)
    assert 'style="left:40.000%;width:50.000%"' in charge
    assert "card declined" in charge and 'href="/organizations/parlel/issues/1/events/' in charge
    # A span's attributes are there, folded away.
    select = re.search(r'data-span="2{16}".*?</li>', html, re.S).group(0)
    assert '<details class="span-details">' in select and "<th>rows</th><td>3</td>" in select
    assert "Errors in no span of the trace" in shown and "somewhere else" in shown
    assert "cart loaded" in shown and "charge declined" in shown and "elsewhere" not in shown
    assert f'href="{ORG}/explore/logs/?query=trace%3A{TRACE}"' in html
    for older in (f"{ORG}/performance/trace/{TRACE}/", f"{ORG}/traces/trace/{TRACE}/",
                  f"{ORG}/explore/logs/trace/{TRACE}/",
                  f"{ORG}/explore/traces/trace/{TRACE.upper()}/"):
        moved = await client.get(f"http://localhost{older}", allow_redirects=False)
        assert (moved.code, moved.headers.getRawHeaders("location")) == (
            302, [f"{ORG}/explore/traces/trace/{TRACE}/"]), older
    await page(api, f"{ORG}/explore/traces/trace/{'c' * 32}/", code=404)
    await page(api, f"{ORG}/explore/traces/trace/not-a-trace/", code=400)


@pytest_twisted.ensureDeferred
async def test_spans_in_a_loop_of_parents_are_still_shown(api):
    start = NOW - 60.0
    await send(api, item("transaction", transaction(spans=[
        child("2" * 16, "a", "first of a loop", start + 0.1, 0.1, parent="3" * 16),
        child("3" * 16, "b", "second of a loop", start + 0.2, 0.1, parent="2" * 16),
    ])))
    answer = await page(api, f"{ORG}/explore/traces/trace/{TRACE}/")
    spans = re.findall(r'data-span="(\w+)" data-depth="(\d+)"', answer.content.decode())
    assert spans == [("1" * 16, "0"), ("2" * 16, "0"), ("3" * 16, "1")]


@pytest_twisted.ensureDeferred
async def test_the_logs_newest_first_searched_and_paged(api):
    await send(api, item("log", {"version": 2, "items": [
        log_entry(f"line {number}", level="error" if number % 10 == 0 else "info",
                  when=NOW - 100 + number, shop="eu") for number in range(60)]}))
    await send(api, item("log", {"version": 2, "items": [log_entry("no trace", trace=None)]}))
    first = await page(api, f"{ORG}/explore/logs/")
    shown = text(first)
    assert shown.index("no trace") < shown.index("line 59") < shown.index("line 11 ")
    assert len(rows(first, "data-log")) == 50 and "line 10 " not in shown
    assert f'href="{ORG}/explore/traces/trace/{TRACE}/"' in first.content.decode()
    assert "<th>shop</th><td>eu</td>" in first.content.decode()
    assert b'class="nav-logs active"' in first.content
    second = await page(api, f"{ORG}/explore/logs/?cursor=0:50:0")
    assert len(rows(second, "data-log")) == 11 and "line 0 " in text(second)
    errors = text(await page(api, f"{ORG}/explore/logs/?severity=error"))
    assert "line 50" in errors and "line 51" not in errors and "severity:error" in errors
    typed = text(await page(api, f"{ORG}/explore/logs/?query=severity:error%20message:*5*"))
    assert "line 50" in typed and "line 40" not in typed
    free = await page(api, f"{ORG}/explore/logs/?query=ine%2042")
    assert len(rows(free, "data-log")) == 1
    bad = await page(api, f"{ORG}/explore/logs/?query=severity_number:>loud")
    assert 'role="alert"' in bad.content.decode() and rows(bad, "data-log") == []


@pytest_twisted.ensureDeferred
async def test_an_event_in_a_trace_links_to_it(api):
    await checkout(api)
    await send(api, event_item(error_in("3" * 16, "card declined")))
    await send(api, event_item(error_in("3" * 16, "no spans stored", trace=OTHER_TRACE)))
    traced = await page(api, f"{ORG}/issues/1/")
    assert f'href="{ORG}/explore/traces/trace/{TRACE}/"' in traced.content.decode()
    untraced = await page(api, f"{ORG}/issues/2/")
    assert "/explore/traces/trace/" not in untraced.content.decode()


def _reactor():
    from twisted.internet import reactor

    return reactor


async def _post(server, *items):
    answer = await treq.post(f"{server.url}/api/1/envelope/", data=envelope(*items),
                             headers=AUTH, persistent=False)
    assert answer.code == 200, await answer.text()
    await answer.content()


@pytest_twisted.ensureDeferred
async def test_open_traces_logs_and_trace_pages_are_sent_what_arrives(server):
    reactor = _reactor()
    await _post(server, item("transaction", transaction(spans=[
        child("2" * 16, "db.query", "SELECT 1", NOW - 59.9, 0.1)])))
    traces = await open_stream(reactor, server.port,
                               "/__parlel/live?view=traces&org=parlel&query=span.op%3Adb.query")
    logs = await open_stream(reactor, server.port,
                             "/__parlel/live?view=logs&org=parlel&severity=error")
    one = await open_stream(reactor, server.port,
                            f"/__parlel/live?view=trace&org=parlel&trace={TRACE}")
    home = await open_stream(reactor, server.port, "/__parlel/live?view=home&org=parlel")
    await _post(server, item("transaction", transaction("GET /other", trace=OTHER_TRACE,
                                                        root="6" * 16)))
    await _post(server, item("span", {
        "trace_id": TRACE, "span_id": "7" * 16, "parent_span_id": "1" * 16,
        "op": "db.query", "description": "<b>UPDATE</b> carts",
        "start_timestamp": NOW - 59.5, "timestamp": NOW - 59.4}))
    await _post(server, item("log", {"version": 2, "items": [
        log_entry("quiet"), log_entry("<i>loud</i>", level="error")]}))
    row = (await traces.wait_for(lambda e: e.event == "trace", reactor)).json()
    assert row["id"] == TRACE and row["html"].startswith(f'<tr class="row" data-trace="{TRACE}">')
    assert [e.json()["id"] for e in traces.events if e.event == "trace"] == [TRACE]
    line = (await logs.wait_for(lambda e: e.event == "log", reactor)).json()
    assert "&lt;i&gt;loud&lt;/i&gt;" in line["html"] and "<i>" not in line["html"]
    assert [e.event for e in logs.events if e.event == "log"] == ["log"]
    region = (await one.wait_for(
        lambda e: e.event == "region" and "loud" in e.data, reactor)).json()
    assert region["name"] == "trace" and "&lt;b&gt;UPDATE&lt;/b&gt; carts" in region["html"]
    assert 'data-region="trace"' in region["html"]
    grown = await home.wait_for(lambda e: e.event == "trace" and TRACE in e.data, reactor)
    assert grown.json()["html"].startswith(f'<tr class="row" data-trace="{TRACE}">')
    assert OTHER_TRACE in [e.json()["id"] for e in home.events if e.event == "trace"]
    for stream in (traces, logs, one, home):
        stream.transport.loseConnection()


@pytest_twisted.ensureDeferred
async def test_a_trace_feed_needs_a_trace_id(server):
    answer = await treq.get(f"{server.url}/__parlel/live?view=trace&org=parlel&trace=nope",
                            persistent=False)
    assert answer.code == 400
    assert "trace id" in json.loads(await answer.content())["detail"]
