"""
The pages for people at Sentry's own URLs, read in memory: what each shows, where its links
lead, its filters and paging, and that whatever an event carries comes out as text.
"""

import json
import re
import uuid
from html import unescape

import pytest_twisted
from twisted.internet.defer import ensureDeferred

from sentry_fake.pages import assets

HTML = {"Accept": "text/html"}


def frame(function, lineno, in_app=True, filename="shop/cart.py"):
    return {"function": function, "filename": filename, "abs_path": f"/srv/{filename}",
            "module": "shop.cart", "lineno": lineno, "colno": 9, "in_app": in_app,
            "pre_context": ["def total(self):", "    amount = 0"],
            "context_line": f"    amount += line.price  # line {lineno}",
            "post_context": ["    return amount"], "vars": {"amount": "0", "line": "<Line>"}}


def error(value="no price for 'Z-999'", kind="CheckoutError", **extra):
    event = {"event_id": uuid.uuid4().hex, "platform": "python", "level": "error",
             "exception": {"values": [{"type": kind, "value": value, "stacktrace": {"frames": [
                 frame("run", 10, in_app=False, filename="lib/runner.py"),
                 frame("checkout", 20), frame("total", 30)]}}]},
             "breadcrumbs": {"values": [{"category": "http", "message": "GET /prices",
                                         "timestamp": 1795000000.5, "level": "info"}]},
             "tags": {"tenant": "acme"}, "user": {"id": "42", "email": "jane@example.com"},
             "request": {"method": "POST", "url": "https://shop.example.com/checkout"},
             "contexts": {"runtime": {"name": "CPython", "version": "3.11.7"}},
             "sdk": {"name": "sentry.python", "version": "2.75.0"}}
    event.update(extra)
    return event


async def send(api, event, project=1):
    answer = await api.request("POST", f"/api/{project}/store/", body=json.dumps(event).encode(),
                               token=None)
    assert answer.code == 200, answer
    return event["event_id"]


async def page(api, path, code=200):
    answer = await api.request("GET", path, headers=HTML, token=None)
    assert answer.code == code, (path, answer)
    assert answer.header("content-type") == "text/html; charset=utf-8"
    return answer


def text(answer) -> str:
    """
    The page's text, tags stripped and entities decoded (what a person reads).
    """
    return unescape(re.sub(r"<[^>]+>", " ", answer.content.decode("utf-8")))


@pytest_twisted.ensureDeferred
async def test_the_stream_lists_issues_with_their_counts(api):
    for _ in range(3):
        await send(api, error())
    await send(api, error("other", kind="KeyError", level="warning"))
    answer = await page(api, "/organizations/parlel/issues/")
    shown = text(answer)
    assert "CheckoutError: no price for 'Z-999'" in shown and "KeyError: other" in shown
    rows = re.findall(rb'<tr class="row level-(\w+)" data-issue="(\d+)">', answer.content)
    assert rows == [(b"warning", b"2"), (b"error", b"1")]
    assert b'href="/organizations/parlel/issues/1/"' in answer.content
    events = re.search(rb'data-issue="1">.*?data-field="events"><span title="3" class="count">3',
                       answer.content, re.S)
    assert events is not None
    assert "PARLEL-1" in shown and "PARLEL-2" in shown


@pytest_twisted.ensureDeferred
async def test_the_stream_filters_sorts_and_pages(api):
    for number in range(30):
        await send(api, error(f"case {number}", kind=f"Error{number}",
                              environment="staging" if number % 2 else "production"))
    for _ in range(4):
        await send(api, error("case 7", kind="Error7", environment="staging"))
    first = await page(api, "/organizations/parlel/issues/")
    assert len(re.findall(rb'data-issue="', first.content)) == 25
    assert b"cursor=0%3A25%3A0" in first.content
    second = await page(api, "/organizations/parlel/issues/?cursor=0:25:0")
    assert len(re.findall(rb'data-issue="', second.content)) == 5
    staging = await page(api, "/organizations/parlel/issues/?environment=staging")
    assert len(re.findall(rb'data-issue="', staging.content)) == 15
    by_freq = await page(api, "/organizations/parlel/issues/?sort=freq")
    assert re.search(rb'data-issue="(\d+)"', by_freq.content).group(1) == b"8"
    searched = await page(api, "/organizations/parlel/issues/?query=Error1*")
    assert sorted(re.findall(rb'data-issue="(\d+)"', searched.content)) == \
        sorted(str(n + 1).encode() for n in [1] + list(range(10, 20)))
    resolved = await api.request("PUT", "/api/0/issues/3/", json_body={"status": "resolved"})
    assert resolved.code == 200
    twenties = [str(n).encode() for n in range(30, 20, -1)]
    unresolved = await page(api, "/organizations/parlel/issues/?query=Error2&status=unresolved")
    assert re.findall(rb'data-issue="(\d+)"', unresolved.content) == twenties
    only_resolved = await page(api, "/organizations/parlel/issues/?query=Error2&status=resolved")
    assert re.findall(rb'data-issue="(\d+)"', only_resolved.content) == [b"3"]
    every = await page(api, "/organizations/parlel/issues/?query=Error2")
    assert sorted(re.findall(rb'data-issue="(\d+)"', every.content)) == sorted([b"3"] + twenties)
    warning = await page(api, "/organizations/parlel/issues/?level=warning")
    assert re.findall(rb'data-issue="(\d+)"', warning.content) == []


@pytest_twisted.ensureDeferred
async def test_searches_that_read_what_the_events_say(api, store):
    await send(api, error("a", kind="A", tags={"tenant": "acme"}))
    await send(api, error("b", kind="B", tags={"tenant": "globex"}))
    await send(api, error("c", kind="C", logentry={"formatted": "while syncing berlin"}))
    tagged = await page(api, "/organizations/parlel/issues/?query=tenant:globex")
    assert re.findall(rb'data-issue="(\d+)"', tagged.content) == [b"2"]
    # Free text finds an event's message, not only the issue's title and culprit.
    assert store.issue_messages(store.issue(3)) == {"while syncing berlin"}
    messages = await page(api, "/organizations/parlel/issues/?query=syncing")
    assert re.findall(rb'data-issue="(\d+)"', messages.content) == [b"3"]
    negated = await page(api, "/organizations/parlel/issues/?query=!tenant:acme")
    assert re.findall(rb'data-issue="(\d+)"', negated.content) == [b"2"]


@pytest_twisted.ensureDeferred
async def test_a_search_gathering_facts_lets_other_requests_through(api, client, clock):
    for number in range(60):
        await send(api, error(f"v{number}", kind=f"E{number}",
                              tags={"tenant": "globex" if number == 0 else "acme"}))
    pending = ensureDeferred(page(api, "/organizations/parlel/issues/?query=tenant:globex"))
    client.flush()
    assert not pending.called  # it gave the reactor a turn after 50 issues
    health = await api.request("GET", "/health", token=None)
    assert health.code == 200
    clock.advance(0)
    client.flush()
    answer = await pending
    assert re.findall(rb'data-issue="(\d+)"', answer.content) == [b"1"]


@pytest_twisted.ensureDeferred
async def test_a_bad_query_says_why_on_the_page(api):
    await send(api, error())
    answer = await page(api, "/organizations/parlel/issues/?query=is:sideways")
    assert "could not be parsed" in text(answer) and "sideways" in text(answer)
    bad = await page(api, "/organizations/parlel/issues/?level=loud", code=400)
    assert "Invalid level" in text(bad)


@pytest_twisted.ensureDeferred
async def test_a_query_naming_an_issue_or_event_leads_to_it(api, client):
    event_id = await send(api, error())
    for query, location in (("PARLEL-1", "/organizations/parlel/issues/1/"),
                            (event_id, f"/organizations/parlel/issues/1/events/{event_id}/")):
        answer = await client.get(f"http://localhost/organizations/parlel/issues/?query={query}",
                                  allow_redirects=False)
        assert answer.code == 302
        assert answer.headers.getRawHeaders("location") == [location]


@pytest_twisted.ensureDeferred
async def test_the_issue_page_shows_the_event(api):
    event_id = await send(api, error(release="shop@2.4.1"))
    answer = await page(api, "/organizations/parlel/issues/1/")
    shown = text(answer)
    for expected in ("CheckoutError", "no price for 'Z-999'", "checkout", "total",
                     "amount += line.price  # line 30", "GET /prices", "POST",
                     "https://shop.example.com/checkout", "jane@example.com", "CPython",
                     "sentry.python", "tenant", "acme", "shop@2.4.1", event_id):
        assert expected in shown, expected
    # Most recent call first: the innermost frame comes before its caller.
    assert shown.index(" total ") < shown.index(" checkout ")
    # The one frame not in the app is folded away, the in-app ones are not.
    assert re.search(rb'<details class="folded"><summary[^>]*>1 other frame</summary>',
                     answer.content)
    assert answer.content.count(b'class="frame in-app"') == 2
    assert b'<li class="active">    amount += line.price  # line 30</li>' in answer.content
    # Local variables are there, one click away.
    assert b"<summary>Local variables (2)</summary>" in answer.content
    by_short_id = await page(api, "/organizations/parlel/issues/PARLEL-1/")
    assert event_id in text(by_short_id)


@pytest_twisted.ensureDeferred
async def test_events_of_an_issue_and_their_neighbours(api):
    ids = [await send(api, error()) for _ in range(3)]
    middle = await page(api, f"/organizations/parlel/issues/1/events/{ids[1]}/")
    assert f'href="/organizations/parlel/issues/1/events/{ids[0]}/" class="button" rel="prev"' \
        in middle.content.decode()
    assert f'href="/organizations/parlel/issues/1/events/{ids[2]}/" class="button" rel="next"' \
        in middle.content.decode()
    oldest = await page(api, "/organizations/parlel/issues/1/events/oldest/")
    assert ids[0] in text(oldest)
    latest = await page(api, "/organizations/parlel/issues/1/events/latest/")
    assert ids[2] in text(latest)
    listing = await page(api, "/organizations/parlel/issues/1/events/")
    assert re.findall(r'data-event="(\w+)"', listing.content.decode()) == ids[::-1]
    await send(api, error("elsewhere", kind="OtherError"))
    other = (await api.request("GET", "/__parlel/events?issue=2", token=None)).json()
    stranger = other["events"][0]["event_id"]
    await page(api, f"/organizations/parlel/issues/1/events/{stranger}/", code=404)


@pytest_twisted.ensureDeferred
async def test_the_permalink_the_api_hands_out_opens_the_issue_page(api):
    await send(api, error())
    (issue,) = (await api.request("GET", "/api/0/projects/parlel/parlel/issues/")).json()
    path = issue["permalink"].removeprefix("http://localhost")
    assert path == "/organizations/parlel/issues/1/"
    answer = await page(api, path)
    assert issue["title"] in text(answer) and issue["shortId"] in text(answer)


@pytest_twisted.ensureDeferred
async def test_nothing_there_is_an_html_404(api):
    for path in ("/organizations/nowhere/issues/", "/organizations/parlel/issues/99/",
                 "/organizations/parlel/issues/PARLEL-ZZ/", "/organizations/parlel/releases/9.9/",
                 "/organizations/parlel/crons/parlel/no-such-monitor/"):
        answer = await page(api, path, code=404)
        assert "Not found" in text(answer), path


@pytest_twisted.ensureDeferred
async def test_tags_of_a_big_issue_are_counted_while_the_page_answers(api):
    for number in range(60):
        await send(api, error(tags={"tenant": "acme" if number < 45 else "globex"}))
    answer = await page(api, "/organizations/parlel/issues/1/")
    assert "Counted over the latest 50 events" in text(answer)
    assert b'data-fragment="/__parlel/fragments/issue-tags/1"' in answer.content
    exact = await api.request("GET", "/__parlel/fragments/issue-tags/1", token=None)
    assert exact.code == 200 and b"data-fragment" not in exact.content
    assert re.search(rb'acme</span><span class="share" title="45 of 60">75%', exact.content)
    again = await page(api, "/organizations/parlel/issues/1/")
    assert "Counted over" not in text(again)
    assert re.search(rb'acme</span><span class="share" title="45 of 60">75%', again.content)


@pytest_twisted.ensureDeferred
async def test_releases_with_commits_and_deploys(api):
    created = await api.request("POST", "/api/0/organizations/parlel/releases/", json_body={
        "version": "shop@2.4.1", "projects": ["parlel"],
        "commits": [{"id": "a" * 40, "repository": "acme/shop", "message": "Fix the cart total",
                     "author_name": "Jane", "author_email": "jane@example.com"}]})
    assert created.code == 201, created
    deploy = await api.request("POST", "/api/0/organizations/parlel/releases/shop@2.4.1/deploys/",
                               json_body={"environment": "production", "name": "deploy 7"})
    assert deploy.code == 201, deploy
    await send(api, error(release="shop@2.4.1"))
    listing = await page(api, "/organizations/parlel/releases/")
    assert 'href="/organizations/parlel/releases/shop%402.4.1/"' in listing.content.decode()
    detail = await page(api, "/organizations/parlel/releases/shop%402.4.1/")
    shown = text(detail)
    for expected in ("shop@2.4.1", "Fix the cart total", "Jane", "acme/shop", "production",
                     "deploy 7", "New issues"):
        assert expected in shown, expected


@pytest_twisted.ensureDeferred
async def test_monitors_and_their_check_ins(api):
    for status in ("ok", "error", "ok"):
        check_in = {"check_in_id": uuid.uuid4().hex, "monitor_slug": "nightly-export",
                    "status": status, "duration": 1.5,
                    "monitor_config": {"schedule": {"type": "crontab", "value": "0 3 * * *"}}}
        body = b'{}\n{"type":"check_in"}\n' + json.dumps(check_in).encode()
        answer = await api.request("POST", "/api/1/envelope/", body=body, token=None)
        assert answer.code == 200
    listing = await page(api, "/organizations/parlel/crons/")
    assert 'href="/organizations/parlel/crons/parlel/nightly-export/"' in listing.content.decode()
    for path in ("/organizations/parlel/crons/parlel/nightly-export/",
                 "/organizations/parlel/crons/nightly-export/"):
        detail = await page(api, path)
        assert detail.content.count(b'class="tick check-ok"') == 2
        assert detail.content.count(b'class="tick check-error"') == 1
        assert "0 3 * * *" in text(detail) and "1,500 ms" in text(detail)


@pytest_twisted.ensureDeferred
async def test_feedback_of_both_kinds(api):
    event_id = await send(api, error())
    report = {"event_id": event_id, "name": "Jane", "email": "jane@example.com",
              "comments": "The checkout hangs"}
    feedback = {"event_id": uuid.uuid4().hex, "contexts": {"feedback": {
        "message": "Love the new cart", "contact_email": "sam@example.com", "name": "Sam",
        "url": "https://shop.example.com/cart"}}}
    body = (b'{}\n{"type":"user_report"}\n' + json.dumps(report).encode() + b'\n'
            b'{"type":"feedback"}\n' + json.dumps(feedback).encode() + b"\n")
    answer = await api.request("POST", "/api/1/envelope/", body=body, token=None)
    assert answer.code == 200, answer
    shown = text(await page(api, "/organizations/parlel/feedback/"))
    assert "The checkout hangs" in shown and "Love the new cart" in shown
    assert shown.index("Love the new cart") < shown.index("The checkout hangs")
    assert "https://shop.example.com/cart" in shown


@pytest_twisted.ensureDeferred
async def test_event_values_are_text_never_markup(api):
    hostile = "<script>alert('x')</script>\"q\"<img src=x onerror=alert(1)>"
    event = error(hostile, tags={"evil": hostile}, user={"email": hostile},
                  breadcrumbs=[{"message": hostile, "category": hostile}],
                  request={"url": f"https://x/?q={hostile}", "headers": {"X-Evil": hostile}})
    event["exception"]["values"][0]["stacktrace"]["frames"][-1].update(
        function=hostile, context_line=hostile, vars={"v": hostile})
    await send(api, event)
    trace = "e" * 32
    transaction = {"type": "transaction", "transaction": hostile, "start_timestamp": 1795000000,
                   "timestamp": 1795000001, "contexts": {"trace": {
                       "trace_id": trace, "span_id": "1" * 16, "op": hostile,
                       "data": {"evil": hostile}}},
                   "spans": [{"trace_id": trace, "span_id": "2" * 16, "parent_span_id": "1" * 16,
                              "op": hostile, "description": hostile, "status": hostile,
                              "start_timestamp": 1795000000.2, "timestamp": 1795000000.5,
                              "data": {hostile: hostile}}]}
    log = {"items": [{"timestamp": 1795000000.3, "level": "error", "body": hostile,
                      "trace_id": trace, "attributes": {hostile: {"value": hostile,
                                                                  "type": "string"}}}]}
    body = (b'{}\n{"type":"transaction"}\n' + json.dumps(transaction).encode() + b"\n"
            b'{"type":"log"}\n' + json.dumps(log).encode() + b"\n")
    assert (await api.request("POST", "/api/1/envelope/", body=body, token=None)).code == 200
    for path in ("/", "/organizations/parlel/issues/", "/organizations/parlel/issues/1/",
                 "/organizations/parlel/issues/1/events/", "/organizations/parlel/explore/traces/",
                 f"/organizations/parlel/explore/traces/trace/{trace}/",
                 "/organizations/parlel/explore/logs/"):
        answer = await page(api, path)
        assert b"<script>alert" not in answer.content and b"<img src=x" not in answer.content
        assert answer.content.count(b"<script") == 1  # the page's own script, nothing else
        assert "<script>alert('x')</script>" in text(answer), path
        assert answer.header("content-security-policy").startswith("default-src 'self'")


@pytest_twisted.ensureDeferred
async def test_the_home_page_and_the_metadata(api):
    await send(api, error())
    meta = (await api.request("GET", "/", token=None)).json()
    assert meta["spotlight_url"] == "http://localhost/stream"
    answer = await page(api, "/")
    shown = text(answer)
    for expected in ("SENTRY_DSN=http://parlel@localhost/1", "SENTRY_API_URL=http://localhost",
                     "SENTRY_ORG=parlel", "SENTRY_SPOTLIGHT=http://localhost/stream",
                     "CheckoutError", "Latest events"):
        assert expected in shown, expected
    for path in ("/organizations/parlel/issues/", "/organizations/parlel/explore/traces/",
                 "/organizations/parlel/explore/logs/", "/organizations/parlel/releases/",
                 "/organizations/parlel/crons/", "/organizations/parlel/feedback/"):
        assert f'href="{path}"'.encode() in answer.content


@pytest_twisted.ensureDeferred
async def test_static_files_are_package_data_kept_for_good(api):
    css = assets.asset("pages.css")
    answer = await api.request("GET", css.url, token=None)
    assert answer.code == 200 and answer.content == css.content
    assert answer.header("content-type") == "text/css; charset=utf-8"
    assert "immutable" in answer.header("cache-control")
    stale = await api.request("GET", "/__parlel/static/pages.css?v=old", token=None)
    assert stale.header("cache-control") == "no-cache"
    for missing in ("nope.css", "..%2Fsurface.py", "pages.py"):
        assert (await api.request("GET", f"/__parlel/static/{missing}", token=None)).code == 404
    page_ = await page(api, "/")
    for name in ("pages.css", "pages.js", "icon.svg"):
        assert assets.url(name).encode() in page_.content
