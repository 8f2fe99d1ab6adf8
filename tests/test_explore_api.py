"""
Sentry's events query API over every dataset: spans from transaction events and span items,
logs, trace metrics and error events; fields, aggregates, the search syntax, sorts, pages and
the refusals, as Sentry answers them.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
import pytest_twisted

from conftest import NOW
from scenario import AUTH, envelope, event_item

EVENTS = "/api/0/organizations/parlel/events/"
TRACE = "a" * 32
OTHER_TRACE = "b" * 32


def transaction(name="GET /checkout", trace=TRACE, root="1" * 16, start=NOW - 60.0,
                spans=(), status="ok", release="shop@1.0"):
    return {"type": "transaction", "transaction": name, "platform": "python",
            "release": release, "environment": "production",
            "start_timestamp": start, "timestamp": start + 0.5,
            "contexts": {"trace": {"trace_id": trace, "span_id": root, "op": "http.server",
                                   "status": status}},
            "spans": list(spans)}


def child(span_id, op, description, start, duration, parent="1" * 16, trace=TRACE, **data):
    return {"trace_id": trace, "span_id": span_id, "parent_span_id": parent, "op": op,
            "description": description, "start_timestamp": start,
            "timestamp": start + duration, "data": data}


def item(kind, payload, **headers):
    return {"type": kind, **headers}, json.dumps(payload).encode()


def log_entry(body, level="info", trace=TRACE, when=NOW - 30.0, **attributes):
    typed = {key: {"value": value, "type": "integer" if isinstance(value, int) else "string"}
             for key, value in attributes.items()}
    return {"timestamp": when, "level": level, "body": body, "trace_id": trace,
            "attributes": {"sentry.environment": {"value": "production", "type": "string"},
                           **typed}}


async def send(api, *items, header=None):
    answer = await api.request("POST", "/api/1/envelope/", body=envelope(*items, header=header),
                               headers=AUTH, token=None)
    assert answer.code == 200, answer
    return answer


async def query(api, expected=200, **params):
    answer = await api.request("GET", EVENTS + "?" + urlencode(params, doseq=True))
    assert answer.code == expected, answer
    return answer


async def checkout(api):
    start = NOW - 60.0
    await send(api, item("transaction", transaction(spans=[
        child("2" * 16, "db.query", "SELECT * FROM carts", start + 0.01, 0.120, rows=3),
        child("3" * 16, "http.client", "POST https://pay.example/charge", start + 0.2, 0.25),
        child("4" * 16, "db.query", "UPDATE carts", start + 0.46, 0.02),
    ])))


@pytest_twisted.ensureDeferred
async def test_spans_of_a_transaction_are_listed_newest_first_with_sentrys_meta(api):
    await checkout(api)
    answer = (await query(api, dataset="spans", field=["span.op", "span.description",
                                                        "span.duration", "transaction",
                                                        "is_transaction", "timestamp"],
                          sort="-span.duration")).json()
    rows = answer["data"]
    assert [row["span.description"] for row in rows] == [
        "GET /checkout", "POST https://pay.example/charge", "SELECT * FROM carts",
        "UPDATE carts"]
    assert rows[0]["is_transaction"] is True and rows[1]["is_transaction"] is False
    assert {row["transaction"] for row in rows} == {"GET /checkout"}
    assert rows[2]["span.duration"] == pytest.approx(120.0)
    # A query without an aggregate also answers each span's id and project, as Sentry does.
    assert rows[0]["id"] == "1" * 16 and rows[0]["project.name"] == "parlel"
    meta = answer["meta"]
    assert meta["fields"]["span.duration"] == "duration"
    assert meta["units"]["span.duration"] == "millisecond"
    assert meta["fields"]["timestamp"] == "string" and meta["dataset"] == "spans"
    assert rows[0]["timestamp"].endswith("+00:00")


@pytest_twisted.ensureDeferred
async def test_the_search_syntax_over_spans(api):
    await checkout(api)

    async def ids(text):
        rows = (await query(api, dataset="spans", field="id", query=text)).json()["data"]
        return sorted(row["id"] for row in rows)

    assert await ids("span.op:db.query") == ["2" * 16, "4" * 16]
    assert await ids("!span.op:db.query") == ["1" * 16, "3" * 16]
    assert await ids("span.duration:>100ms") == ["1" * 16, "2" * 16, "3" * 16]
    assert await ids("span.duration:>0.2s span.op:http.client") == ["3" * 16]
    assert await ids("is_transaction:true") == ["1" * 16]
    assert await ids("span.description:*carts*") == ["2" * 16, "4" * 16]
    assert await ids("span.op:http.client OR span.description:UPDATE*") == ["3" * 16, "4" * 16]
    assert await ids("(span.op:[db.query, http.client]) AND !span.description:UPDATE*") == [
        "2" * 16, "3" * 16]
    assert await ids("tags[rows,number]:>=3") == ["2" * 16]
    assert await ids("has:parent_span") == ["2" * 16, "3" * 16, "4" * 16]
    assert await ids("pay.example") == ["3" * 16]
    assert await ids(f"trace:{OTHER_TRACE}") == []


@pytest_twisted.ensureDeferred
async def test_aggregates_group_by_the_plain_fields(api):
    await checkout(api)
    answer = (await query(api, dataset="spans", query="!is_transaction:true",
                          field=["span.op", "count()", "avg(span.duration)",
                                 "p50(span.duration)", "max(span.duration)",
                                 "count_unique(span.description)"],
                          sort="-count()")).json()
    db, http = answer["data"]
    assert (db["span.op"], db["count()"], db["count_unique(span.description)"]) == (
        "db.query", 2.0, 2.0)
    assert db["avg(span.duration)"] == pytest.approx(70.0)
    assert db["p50(span.duration)"] == pytest.approx(70.0)
    assert db["max(span.duration)"] == pytest.approx(120.0)
    assert (http["span.op"], http["count()"]) == ("http.client", 1.0)
    meta = answer["meta"]
    assert meta["fields"]["count()"] == "integer"
    assert meta["fields"]["p50(span.duration)"] == "duration"
    assert meta["units"]["avg(span.duration)"] == "millisecond"
    assert "id" not in db  # aggregates add no id
    total = (await query(api, dataset="spans", field="count()")).json()["data"]
    assert total == [{"count()": 4.0}]


@pytest_twisted.ensureDeferred
async def test_pages_follow_the_link_header(api):
    await checkout(api)
    first = await query(api, dataset="spans", field="id", per_page=3, sort="-span.duration")
    assert len(first.json()["data"]) == 3
    link = first.header("Link")
    assert 'rel="next"; results="true"; cursor="0:3:0"' in link
    second = await query(api, dataset="spans", field="id", per_page=3, sort="-span.duration",
                         cursor="0:3:0")
    assert [row["id"] for row in second.json()["data"]] == ["4" * 16]
    assert 'rel="next"; results="false"' in second.header("Link")


@pytest_twisted.ensureDeferred
async def test_streamed_spans_are_spans_and_their_segment_a_transaction(api):
    segment = {"trace_id": OTHER_TRACE, "span_id": "5" * 16, "name": "process-order",
               "start_timestamp": NOW - 10, "end_timestamp": NOW - 9, "is_segment": True,
               "status": "ok", "attributes": {
                   "sentry.op": {"value": "task", "type": "string"},
                   "sentry.release": {"value": "shop@2.0", "type": "string"},
                   "sentry.segment.id": {"value": "5" * 16, "type": "string"}}}
    load = {"trace_id": OTHER_TRACE, "span_id": "6" * 16, "parent_span_id": "5" * 16,
            "name": "load cart", "start_timestamp": NOW - 9.9, "end_timestamp": NOW - 9.8,
            "is_segment": False, "status": "ok", "attributes": {
                "sentry.op": {"value": "db.query", "type": "string"},
                "sentry.segment.id": {"value": "5" * 16, "type": "string"},
                "sentry.segment.name": {"value": "process-order", "type": "string"},
                "cart.items": {"value": 3, "type": "integer"}}}
    await send(api, item("span", {"version": 2, "items": [load, segment]}, item_count=2,
                         content_type="application/vnd.sentry.items.span.v2+json"))
    rows = (await query(api, dataset="spans", field=["span.op", "transaction", "tags[cart.items,number]"],
                        query=f"trace:{OTHER_TRACE}", sort="span.op")).json()["data"]
    assert [(row["span.op"], row["transaction"]) for row in rows] == [
        ("db.query", "process-order"), ("task", "process-order")]
    assert rows[0]["tags[cart.items,number]"] == 3.0
    transactions = (await query(api, dataset="transactions",
                                field=["transaction", "transaction.duration", "trace"])).json()
    [shown] = transactions["data"]
    assert (shown["transaction"], shown["trace"]) == ("process-order", OTHER_TRACE)
    assert shown["transaction.duration"] == pytest.approx(1000.0)
    events = (await api.request("GET", "/__parlel/events?type=transaction", token=None)).json()
    [event] = events["events"]
    assert [span["description"] for span in event["spans"]] == ["load cart"]
    assert event["release"] == "shop@2.0"


@pytest_twisted.ensureDeferred
async def test_logs_as_sentry_cli_reads_them(api):
    await send(api, item("log", {"version": 2, "items": [
        log_entry("cart loaded", when=NOW - 40), log_entry("payment declined", "error",
                                                           when=NOW - 20, attempt=2)]},
        item_count=2, content_type="application/vnd.sentry.items.log+json"))
    answer = await query(api, dataset="logs", field=["sentry.item_id", "trace", "severity",
                                                     "timestamp", "message"],
                         statsPeriod="90d", sort="-timestamp", per_page=1000)
    body = answer.json()
    assert [row["message"] for row in body["data"]] == ["payment declined", "cart loaded"]
    newest = body["data"][0]
    assert len(newest["sentry.item_id"]) == 32 and newest["trace"] == TRACE
    assert newest["severity"] == "error"
    # Sorted by time, logs are sorted by their precise time, which the answer shows.
    assert newest["timestamp_precise"] == int((NOW - 20) * 1e9)
    assert body["meta"]["fields"]["timestamp_precise"] == "number"
    errors = (await query(api, dataset="logs", field=["message", "tags[attempt,number]"],
                          query="severity:error")).json()["data"]
    assert errors == [{"message": "payment declined", "tags[attempt,number]": 2.0}]


@pytest_twisted.ensureDeferred
async def test_trace_metrics(api):
    await send(api, item("trace_metric", {"version": 2, "items": [
        {"timestamp": NOW - 5, "name": "orders", "type": "counter", "value": 1.0,
         "trace_id": TRACE, "attributes": {"shop": {"value": "eu", "type": "string"}}},
        {"timestamp": NOW - 4, "name": "orders", "type": "counter", "value": 2.0,
         "trace_id": TRACE, "attributes": {"shop": {"value": "us", "type": "string"}}},
        {"timestamp": NOW - 3, "name": "latency", "type": "distribution", "value": 12.5,
         "unit": "millisecond"}]}, item_count=3))
    rows = (await query(api, dataset="tracemetrics", field=["shop", "sum(value)"],
                        query="metric.name:orders", sort="shop")).json()["data"]
    assert rows == [{"shop": "eu", "sum(value)": 1.0}, {"shop": "us", "sum(value)": 2.0}]
    plain = (await query(api, dataset="tracemetrics",
                         field=["metric.name", "metric.type", "metric.unit", "value"],
                         query="metric.type:distribution")).json()["data"]
    assert [(row["metric.name"], row["metric.unit"], row["value"]) for row in plain] == [
        ("latency", "millisecond", 12.5)]


@pytest_twisted.ensureDeferred
async def test_errors_with_their_issues(api):
    for value in ("a", "a", "b"):
        await send(api, event_item({"message": f"boom {value}", "level": "error",
                                    "user": {"email": f"{value}@example.com"}}))
    answer = (await query(api, dataset="errors", field=["issue", "title", "project",
                                                         "last_seen()", "count()"],
                          sort="-count")).json()
    top = answer["data"][0]
    assert (top["issue"], top["title"], top["count()"]) == ("PARLEL-1", "boom a", 2)
    assert isinstance(top["issue.id"], int) and top["project"] == "parlel"
    assert top["last_seen()"].endswith("+00:00")
    fields = answer["meta"]["fields"]
    assert fields["issue.id"] == "integer" and "issue" not in fields
    assert fields["last_seen()"] == "date" and fields["count()"] == "integer"
    users = (await query(api, dataset="errors", field=["user.display"],
                         query="user.email:b@example.com")).json()["data"]
    assert [row["user.display"] for row in users] == ["b@example.com"]


@pytest.mark.parametrize("params, detail", [
    ({"dataset": "nope", "field": "id"}, "dataset must be one of: discover, errors"),
    ({"dataset": "errors", "field": "title", "sort": "-count()"},
     "Cannot sort by a field that is not selected."),
    ({"dataset": "spans", "field": "p95(span.duration, 2)"},
     "p95: expected 1 argument(s) but got 2 argument(s)"),
    ({"dataset": "spans", "field": "nope(span.duration)"}, "nope is not a valid function"),
    ({"dataset": "spans", "field": "tags[x,colour]"}, "Unsupported type colour in tags[x,colour]"),
    ({"dataset": "spans", "field": "id", "query": "span.duration:>fast"},
     "'fast' is not a valid duration value"),
    ({"dataset": "spans", "field": "id", "query": "(span.op:db"}, "missing closing parenthesis"),
    ({"dataset": "spans", "field": "id", "per_page": "101"},
     "Invalid per_page value. Cannot exceed 100."),
    ({"dataset": "spans", "field": ["id"] * 1 + [f"f{n}" for n in range(20)]},
     "You can view up to 20 fields at a time."),
    ({"dataset": "spans", "field": "count(span.duration,a,b)"},
     "count: expected at most 1 argument(s) but got 3 argument(s)"),
    ({"dataset": "spans", "field": "last_seen(id)"},
     "last_seen: expected at most 0 argument(s) but got 1 argument(s)"),
    ({"dataset": "spans", "field": "span.op", "statsPeriod": "9" * 400}, "Invalid date range"),
    ({"dataset": "logs", "field": "message", "statsPeriod": "9" * 20 + "w"},
     "Invalid date range"),
])
@pytest_twisted.ensureDeferred
async def test_what_it_cannot_answer_is_a_400_with_a_detail(api, params, detail):
    answer = await query(api, 400, **params)
    assert detail in answer.json()["detail"]


@pytest_twisted.ensureDeferred
async def test_a_project_it_does_not_have_is_refused(api):
    answer = await query(api, 403, dataset="spans", field="id", project="999")
    assert answer.json() == {"detail": "You do not have permission to perform this action."}


FEEDBACK = {"type": "feedback", "level": "info", "platform": "javascript",
            "contexts": {"feedback": {"message": "The checkout button does nothing at all "
                                                 "when I press it twice on my phone",
                                      "contact_email": "jane@example.com", "name": "Jane",
                                      "url": "https://shop.example/cart", "source": "widget"}}}


@pytest_twisted.ensureDeferred
async def test_feedback_is_an_issue_of_the_feedback_category(api):
    await send(api, event_item({"message": "boom", "level": "error"}))
    await send(api, item("feedback", FEEDBACK))
    await send(api, item("feedback", dict(FEEDBACK, contexts={"feedback": {"message": "Nice"}})))
    default = (await api.request("GET", "/api/0/projects/parlel/parlel/issues/")).json()
    assert [issue["title"] for issue in default] == ["boom"]  # hidden, as Sentry hides them
    found = (await api.request("GET", "/api/0/projects/parlel/parlel/issues/?query="
                                      "issue.category:feedback&sort=new")).json()
    assert [issue["title"] for issue in found] == [
        "User Feedback: Nice",
        "User Feedback: The checkout button does nothing at all when I press..."]
    issue = found[1]
    assert (issue["issueCategory"], issue["issueType"], issue["type"]) == (
        "feedback", "feedback", "generic")
    assert (issue["culprit"], issue["level"], issue["priority"]) == ("user", "info", "medium")
    assert issue["metadata"]["contact_email"] == "jane@example.com"
    assert issue["metadata"]["value"].startswith("The checkout button")
    by_type = (await api.request("GET", "/api/0/organizations/parlel/issues/?query="
                                        "issue.type:feedback")).json()
    assert len(by_type) == 2
    errors_only = (await api.request("GET", "/api/0/organizations/parlel/issues/?query="
                                            "issue.type:error")).json()
    assert [issue["title"] for issue in errors_only] == ["boom"]


@pytest_twisted.ensureDeferred
async def test_a_user_report_about_an_event_is_feedback_too(api):
    event_id = "e" * 32
    await send(api, event_item({"event_id": event_id, "message": "boom", "level": "error"}))
    answer = await api.request("POST", "/api/0/projects/parlel/parlel/user-feedback/",
                               json_body={"event_id": event_id, "name": "Ann",
                                          "email": "ann@example.com",
                                          "comments": "It broke after I paid"})
    assert answer.code == 200
    [feedback] = (await api.request("GET", "/api/0/projects/parlel/parlel/issues/?query="
                                           "issue.category:feedback")).json()
    assert feedback["title"] == "User Feedback: It broke after I paid"
    assert feedback["metadata"]["associated_event_id"] == event_id
    assert feedback["metadata"]["name"] == "Ann"
    # A report about an event that never arrived stays a report.
    await api.request("POST", "/api/0/projects/parlel/parlel/user-feedback/",
                      json_body={"event_id": "f" * 32, "name": "Bob", "email": "b@x.io",
                                 "comments": "Hm"})
    assert len((await api.request("GET", "/api/0/projects/parlel/parlel/issues/?query="
                                         "issue.category:feedback")).json()) == 1


@pytest_twisted.ensureDeferred
async def test_attributes_of_any_shape_are_read_as_their_columns_type(api):
    def span(span_id, **attributes):
        typed = {key: {"value": value, "type": "string"} for key, value in attributes.items()}
        return {"trace_id": TRACE, "span_id": span_id, "name": "work", "is_segment": False,
                "start_timestamp": NOW - 10, "end_timestamp": NOW - 9, "status": "ok",
                "attributes": typed}

    huge = int("1" + "0" * 400)
    await send(api, item("span", {"items": [
        span("5" * 16, **{"sentry.browser.name": {"a": 1}, "sentry.replay_id": [{"b": 2}],
                          "http.response.status_code": 1e300, "size": huge}),
        span("6" * 16, **{"sentry.browser.name": "Firefox", "http.response.status_code": 503}),
    ]}, item_count=2, content_type="application/vnd.sentry.items.span.v2+json"))
    grouped = (await query(api, dataset="spans", field=["browser.name", "replay_id",
                                                        "count()"])).json()["data"]
    assert sorted((row["browser.name"], row["count()"]) for row in grouped
                  if row["browser.name"]) == [("Firefox", 1)]
    rows = (await query(api, dataset="spans", sort="-timestamp",
                        field=["browser.name", "http.response_status_code",
                               "tags[size,number]", "avg(tags[size,number])"][:3])).json()["data"]
    assert [(row["browser.name"], row["http.response_status_code"]) for row in rows] == [
        ("Firefox", 503), (None, None)]
    assert [row["tags[size,number]"] for row in rows] == [None, None]
    [average] = (await query(api, dataset="spans",
                             field=["avg(tags[size,number])"])).json()["data"]
    assert average == {"avg(tags[size,number])": None}


@pytest_twisted.ensureDeferred
async def test_filters_on_aggregates_keep_the_groups_that_pass(api):
    await checkout(api)
    start = NOW - 30.0
    await send(api, item("transaction", transaction(trace=OTHER_TRACE, start=start, spans=[
        child("5" * 16, "db.query", "SELECT 1", start, 0.3, trace=OTHER_TRACE),
        child("6" * 16, "cache.get", "GET cart", start + 0.3, 0.001, trace=OTHER_TRACE),
    ])))

    async def groups(text, **params):
        answer = await query(api, dataset="spans", field=["span.op", "count()"],
                             sort="-count()", query=text, **params)
        return [(row["span.op"], row["count()"]) for row in answer.json()["data"]]

    # Ties in the order of their newest span, the newest first.
    assert await groups("") == [("db.query", 3), ("http.server", 2), ("cache.get", 1),
                                ("http.client", 1)]
    assert await groups("count():>1") == [("db.query", 3), ("http.server", 2)]
    assert await groups("count():>=3") == [("db.query", 3)]
    assert await groups("!count():>1") == [("cache.get", 1), ("http.client", 1)]
    # On an aggregate not shown, with the duration's units, beside a filter on the rows.
    assert await groups("p95(span.duration):>200ms !span.op:http.server") == [
        ("db.query", 3), ("http.client", 1)]
    assert await groups("avg(span.duration):<1ms") == [("cache.get", 1)]
    for text, detail in (
            ("count():>1 OR span.op:db", "Having an OR between aggregate filters"),
            ("count():>many", "'many' is not a number"),
            ("nope():>1", "nope is not a valid function"),
            ("last_seen():>1", "last_seen() cannot be filtered on")):
        answer = await query(api, 400, dataset="spans", field=["span.op", "count()"],
                             query=text)
        assert detail in answer.json()["detail"], text
    answer = await query(api, 400, dataset="spans", field=["span.op"], query="count():>1")
    assert "needs an aggregate field" in answer.json()["detail"]


STATS = "/api/0/organizations/parlel/events-stats/"


async def stats(api, expected=200, **params):
    answer = await api.request("GET", STATS + "?" + urlencode(params, doseq=True))
    assert answer.code == expected, answer
    return answer.json()


@pytest_twisted.ensureDeferred
async def test_events_stats_are_the_same_queries_as_time_series(api, clock):
    # Three transactions an hour apart, the last one failing, each with its spans.
    for hours, status in ((2, "ok"), (1, "ok"), (0, "internal_error")):
        start = NOW - hours * 3600 - 120
        await send(api, item("transaction", transaction(
            trace=f"{hours + 1:x}" * 32, start=start, status=status, spans=[
                child(f"{hours + 5:x}" * 16, "db.query", "SELECT 1", start + 0.1, 0.05,
                      parent="1" * 16, trace=f"{hours + 1:x}" * 32)])))
    body = await stats(api, dataset="spans", yAxis="count()", interval="1h",
                       statsPeriod="4h", query="span.op:db.query", partial="1")
    points = body["data"]
    hour = int(NOW) // 3600 * 3600
    # Every hour of the period, the one under way too (partial), empty ones counted 0.
    assert [start for start, _ in points] == [hour - n * 3600 for n in (4, 3, 2, 1, 0)]
    assert [values[0]["count"] for _, values in points] == [0.0, 0.0, 1.0, 1.0, 1.0]
    assert (body["start"], body["end"]) == (hour - 4 * 3600, hour)
    # Without partial, as Sentry, the hour under way is left out.
    whole = await stats(api, dataset="spans", yAxis="count()", interval="1h",
                        statsPeriod="4h", query="span.op:db.query")
    assert [start for start, _ in whole["data"]] == [hour - n * 3600 for n in (4, 3, 2, 1)]
    assert body["meta"]["fields"]["count()"] == "integer"
    assert body["isMetricsData"] is False

    # Several axes: one series each, keyed by its axis, in order.
    both = await stats(api, dataset="transactions", yAxis=["count()", "failure_rate()"],
                       interval="1h", statsPeriod="4h", partial="1")
    assert list(both) == ["count()", "failure_rate()"]
    assert [both[axis]["order"] for axis in both] == [0, 1]
    assert sum(values[0]["count"] for _, values in both["count()"]["data"]) == 3
    assert max(values[0]["count"] for _, values in both["failure_rate()"]["data"]) == 1.0

    # The top groups of the plain fields, and the rest as Other.
    top = await stats(api, dataset="spans", yAxis="count()", field=["span.op", "count()"],
                      orderby="-count()", topEvents="1", interval="1h", statsPeriod="4h",
                      partial="1")
    assert list(top) == ["db.query", "Other"]
    assert top["db.query"]["order"] == 0 and top["Other"]["order"] == 1
    assert sum(values[0]["count"] for _, values in top["db.query"]["data"]) == 3
    assert sum(values[0]["count"] for _, values in top["Other"]["data"]) == 3
    only = await stats(api, dataset="spans", yAxis="count()", field=["span.op", "count()"],
                       orderby="-count()", topEvents="1", excludeOther="1", statsPeriod="4h")
    assert list(only) == ["db.query"]


@pytest.mark.parametrize("params, detail", [
    ({"yAxis": "span.op", "dataset": "spans"}, "span.op is not an aggregate"),
    ({"yAxis": "nope()", "dataset": "spans"}, "nope is not a valid function"),
    ({"topEvents": "11", "field": "span.op", "dataset": "spans"},
     "Can only get up to 10 top events."),
    ({"topEvents": "x", "dataset": "spans"}, "topEvents needs to be an integer."),
    ({"interval": "1s", "statsPeriod": "90d", "dataset": "spans"},
     "Your interval and date range would create too many results."),
])
@pytest_twisted.ensureDeferred
async def test_events_stats_refusals(api, params, detail):
    assert detail in (await stats(api, 400, **params))["detail"]


@pytest_twisted.ensureDeferred
async def test_events_stats_top_groups_edge_cases(api):
    for title in ("Other", "Other", "x", "zzz"):
        await send(api, event_item({"message": title, "level": "error"}))
    base = {"dataset": "errors", "field": ["message", "count()"], "orderby": "-count()",
            "statsPeriod": "1h", "interval": "10m", "partial": "1"}
    # A group named as the rest is is told apart by its field.
    top = await stats(api, yAxis="count()", topEvents="1", **base)
    assert list(top) == ["Other (message)", "Other"]
    assert [sum(v[0]["count"] for _, v in top[key]["data"]) for key in top] == [2, 2]
    # Several axes: each its own place, the group's order beside them.
    both = await stats(api, yAxis=["count()", "count_unique(user)"], topEvents="2", **base)
    first = both["Other (message)"]
    assert (first["order"], first["count()"]["order"], first["count_unique(user)"]["order"]) \
        == (0, 0, 1)
    # Nothing matches: one empty series, as Sentry answers.
    none = await stats(api, yAxis="count()", topEvents="3", query="message:nomatch", **base)
    assert none["data"] and all(v == [{"count": 0}] for _, v in none["data"])
    several = await stats(api, yAxis=["count()", "p50(transaction.duration)"], topEvents="3",
                          query="message:nomatch", **base)
    assert list(several) == [""] and list(several[""]) == ["count()",
                                                          "p50(transaction.duration)"]
