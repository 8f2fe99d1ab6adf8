"""
Usage stats from outcomes (C{stats_v2}, C{stats-summary}): the ranges and 400 details of
Sentry's own endpoint tests, and what a client reads back after sending accepted data, data
refused as malformed or by key, data answered 429 and a client report; kept across a restart
of a data directory.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlencode

import pytest
import pytest_twisted
from twisted.internet.task import Clock
from twisted.internet.utils import getProcessOutputAndValue
from treq.testing import StubTreq

from sentry_fake.application import Settings, build_root
from sentry_fake.errors import Invalid
from sentry_fake.management.outcome_query import date_range, read_query
from sentry_fake.store.outcome_rules import Tracked
from sentry_fake.store.outcomes import RETENTION, OutcomeBook
from sentry_fake.store.service import StoreService

from conftest import NOW, Client
from records import create_project
from scenario import AUTH, Harness, envelope, event_item

#: Sentry's tests of the endpoint freeze time here.
FROZEN = datetime(2021, 3, 14, 12, 27, 28, 303000, tzinfo=timezone.utc).timestamp()
STATS = "/api/0/organizations/parlel/stats_v2/"
SUMMARY = "/api/0/organizations/parlel/stats-summary/"
HOUR = 3600


def args(**params) -> dict[str, list[str]]:
    return {name: value if isinstance(value, list) else [value] for name, value in params.items()}


def iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize("params, start, end, intervals", [
    ({"statsPeriod": "1d", "interval": "1d"}, "2021-03-13T00:00:00Z", "2021-03-15T00:00:00Z", 2),
    ({"statsPeriod": "1d", "interval": "6h"}, "2021-03-13T12:00:00Z", "2021-03-14T18:00:00Z", 5),
    ({"statsPeriod": "1h", "interval": "15m"}, "2021-03-14T11:15:00Z", "2021-03-14T12:30:00Z", 5),
    ({"start": "2021-03-14T15:30:00", "end": "2021-03-14T16:30:00", "interval": "1h"},
     "2021-03-14T12:00:00Z", "2021-03-14T17:00:00Z", 5),
    ({"statsPeriod": "2d", "interval": "bad_interval"}, "2021-03-12T12:00:00Z",
     "2021-03-14T13:00:00Z", 49),
])
def test_ranges_as_sentrys_own_tests_expect(params, start, end, intervals):
    first, last, rollup = date_range(args(**params), FROZEN)
    assert (iso(first), iso(last), (last - first) // rollup) == (start, end, intervals)


@pytest.mark.parametrize("params, detail", [
    ({}, 'At least one "field" is required.'),
    ({"field": "sum(quantity)", "interval": "1d", "start": "2021-03-14T00:00:00Z"},
     "start and end are both required"),
    ({"field": "summ(qarntenty)", "statsPeriod": "1d", "interval": "1d"},
     'Invalid field: "summ(qarntenty)"'),
    ({"field": "sum(quantity)", "statsPeriod": "1d", "interval": "1d", "category": "scoobydoo"},
     'Invalid category: "scoobydoo"'),
    ({"field": "sum(quantity)", "statsPeriod": "1d", "interval": "1d", "category": "error",
      "outcome": "scoobydoo"}, 'Invalid outcome: "scoobydoo"'),
    ({"field": "sum(quantity)", "groupBy": "category_", "statsPeriod": "1d", "interval": "1d"},
     'Invalid groupBy: "category_"'),
    ({"field": "sum(quantity)", "statsPeriod": "1d", "interval": "1d",
      "category": ["error", "attachment"]},
     "if filtering by attachment no other category may be present"),
    ({"field": "sum(quantity)", "statsPeriod": "1d", "interval": "1d"},
     "Query must have category as groupby or filter"),
    ({"field": "sum(quantity)", "category": "error"},
     "Your interval and date range would create too many results. Use a larger interval, or a "
     "smaller date range."),
    ({"field": "sum(quantity)", "category": "error", "statsPeriod": "1d", "interval": "90s"},
     "The interval has to be a multiple of the minimum interval of one minute."),
    ({"field": "sum(quantity)", "category": "error", "statsPeriod": "1d", "interval": "2d"},
     "The interval has to be less than one day."),
    ({"field": "sum(quantity)", "category": "error", "statsPeriod": "1d", "interval": "7h"},
     "The interval should divide one day without a remainder."),
    ({"field": "sum(quantity)", "category": "error", "statsPeriod": "soon"},
     "Invalid statsPeriod: 'soon'"),
    ({"field": "sum(quantity)", "category": "error", "statsPeriod": "99999999999w"},
     "Invalid statsPeriod: '99999999999w'"),
    ({"field": "sum(quantity)", "category": "error", "start": "shrug", "end": "2021-03-14"},
     "shrug is not a valid ISO8601 date query"),
    ({"field": "sum(quantity)", "category": "error", "start": "2021-03-14T10:00:00",
      "end": "2021-03-14T09:00:00"}, "start must be before end"),
])
def test_bad_parameters_get_sentrys_details(params, detail):
    with pytest.raises(Invalid) as raised:
        read_query(args(**params), FROZEN)
    assert raised.value.detail == detail


def test_outcome_counters_keep_ninety_days():
    book = OutcomeBook()
    book.add(NOW, 1, 1, [Tracked("accepted", "error", 1)])
    book.add(NOW + 10, 1, 1, [Tracked("accepted", "error", 2), Tracked("accepted", "error", 3)])
    [count] = book.counts(NOW - HOUR, NOW + HOUR, 1)
    assert (count.quantity, count.times_seen) == (6, 3)
    book.add(NOW + RETENTION + 120, 1, 2, [Tracked("invalid", "span", 4, "invalid_span")])
    assert [c.project_id for c in book.counts(0, NOW + 2 * RETENTION, 1)] == [2]
    assert list(OutcomeBook.load(book.dump()).counts(0, NOW + 2 * RETENTION, 1)) == \
        list(book.counts(0, NOW + 2 * RETENTION, 1))


async def stats(api, path=STATS, **params):
    query = urlencode([(name, value) for name, values in params.items()
                       for value in (values if isinstance(values, list) else [values])])
    return await api.request("GET", f"{path}?{query}")


def totals(answer) -> dict[tuple, int]:
    return {tuple(sorted(group["by"].items())): group["totals"]["sum(quantity)"]
            for group in answer.json()["groups"]}


ATTACHMENT = b"attached bytes \x00\xff"
REPORT = {"discarded_events": [{"reason": "queue_overflow", "category": "error", "quantity": 3},
                               {"reason": "sample_rate", "category": "transaction",
                                "quantity": 2},
                               {"reason": "nonsense", "category": "no-such-category",
                                "quantity": 9}]}


async def send_everything(api, clock) -> None:
    """
    What an application sends in a day of trouble, two hours apart.
    """
    check_in = {"monitor_slug": "job", "status": "ok", "monitor_config": {"schedule": "0 * * * *"}}
    first = envelope(event_item({"message": "boom"}),
                     ({"type": "attachment", "filename": "a.bin"}, ATTACHMENT),
                     ({"type": "session"}, json.dumps({"sid": "s", "status": "ok"}).encode()),
                     ({"type": "check_in"}, json.dumps(check_in).encode()))
    answers = [await api.request("POST", "/api/1/envelope/", headers=AUTH, token=None, body=first)]
    answers.append(await api.request("POST", "/api/1/envelope/", headers=AUTH, token=None,
                                     body=envelope(({"type": "event"}, b"{not json"))))
    answers.append(await api.request("POST", "/__parlel/faults", token=None, json_body={
        "status": 429, "count": 1,
        "rate_limits": "60:error;attachment:organization:usage_exceeded"}))
    answers.append(await api.request("POST", "/api/1/envelope/", headers=AUTH, token=None,
                                     body=envelope(event_item({"message": "limited"}))))
    clock.advance(2 * HOUR)
    answers.append(await api.request("POST", "/api/1/store/", headers=AUTH, token=None,
                                     body=json.dumps({"message": "later"}).encode()))
    answers.append(await api.request("POST", "/api/1/envelope/", headers=AUTH, token=None,
                                     body=envelope(({"type": "client_report"},
                                                    json.dumps(REPORT).encode()))))
    assert [answer.code for answer in answers] == [200, 400, 201, 429, 200, 200]


@pytest_twisted.ensureDeferred
async def test_what_was_accepted_refused_limited_and_discarded(api, clock):
    await send_everything(api, clock)
    answer = await stats(api, field="sum(quantity)", groupBy=["outcome", "category", "reason"],
                         statsPeriod="1d")
    assert answer.code == 200, answer
    assert totals(answer) == {
        (("category", "error"), ("outcome", "accepted"), ("reason", "none")): 2,
        (("category", "attachment"), ("outcome", "accepted"), ("reason", "none")): len(ATTACHMENT),
        (("category", "attachment_item"), ("outcome", "accepted"), ("reason", "none")): 1,
        (("category", "session"), ("outcome", "accepted"), ("reason", "none")): 1,
        (("category", "monitor"), ("outcome", "accepted"), ("reason", "none")): 1,
        (("category", "error"), ("outcome", "invalid"), ("reason", "invalid_json")): 1,
        (("category", "error"), ("outcome", "rate_limited"), ("reason", "usage_exceeded")): 1,
        (("category", "error"), ("outcome", "client_discard"), ("reason", "queue_overflow")): 3,
        (("category", "transaction"), ("outcome", "client_discard"),
         ("reason", "sample_rate")): 2,
    }
    # Hour by hour: the first errors an hour or two before the last one.
    hourly = await stats(api, field=["sum(quantity)", "sum(times_seen)"], category="error",
                         outcome="accepted", start=iso(NOW - HOUR), end=iso(NOW + 3 * HOUR))
    body = hourly.json()
    [group] = body["groups"]
    start = datetime.fromisoformat(body["start"].replace("Z", "+00:00")).timestamp()
    assert body["intervals"] == [iso(start + n * HOUR) for n in range(len(body["intervals"]))]
    first, later = int((NOW - start) // HOUR), int((NOW + 2 * HOUR - start) // HOUR)
    expected = [0] * len(body["intervals"])
    expected[first] += 1
    expected[later] += 1
    assert group == {"by": {}, "totals": {"sum(quantity)": 2, "sum(times_seen)": 2},
                     "series": {"sum(quantity)": expected, "sum(times_seen)": expected}}
    # Under an hour, Sentry reads raw outcomes: accepted data has no reason at all.
    raw = await stats(api, field="sum(quantity)", category="session", groupBy="reason",
                      statsPeriod="3h", interval="5m")
    assert [group["by"] for group in raw.json()["groups"]] == [{"reason": None}]


@pytest_twisted.ensureDeferred
async def test_grouping_by_project_and_filtering(api, clock, store):
    other = create_project(store, "Other")
    await send_everything(api, clock)
    await api.request("POST", f"/api/{other.id}/store/", token=None,
                      body=json.dumps({"message": "elsewhere"}).encode())
    by_project = await stats(api, field="sum(times_seen)", groupBy="project", category="error",
                             outcome="accepted", statsPeriod="1d")
    assert by_project.json() == {
        "start": by_project.json()["start"], "end": by_project.json()["end"],
        "groups": [{"by": {"project": 1}, "totals": {"sum(times_seen)": 2}},
                   {"by": {"project": other.id}, "totals": {"sum(times_seen)": 1}}]}
    only_other = await stats(api, field="sum(quantity)", category="error", project=other.id,
                             outcome="accepted", statsPeriod="1d")
    assert only_other.json()["groups"][0]["totals"] == {"sum(quantity)": 1}
    spiky = await stats(api, field="sum(quantity)", groupBy="category", reason="usage_exceeded",
                        statsPeriod="1d")
    assert totals(spiky) == {(("category", "error"),): 1}
    unknown = await stats(api, field="sum(quantity)", category="error", project=999,
                          statsPeriod="1d")
    assert (unknown.code, unknown.json()) == (
        403, {"detail": "You do not have permission to perform this action."})
    for params, detail in [
        ({"field": "sum(quantity)", "project": "one"},
         "Invalid project parameter. Values must be numbers."),
        ({"field": "sum(quantity)", "statsPeriod": "1d", "category": "error",
          "outcome": "gone"}, 'Invalid outcome: "gone"'),
    ]:
        refused = await stats(api, **params)
        assert (refused.code, refused.json()) == (400, {"detail": detail})
    assert (await stats(api, path="/api/0/organizations/nobody/stats_v2/")).code == 404
    anonymous = await api.request("GET", STATS + "?field=sum(quantity)", token=None)
    assert anonymous.code == 401


@pytest_twisted.ensureDeferred
async def test_the_summary_per_project_and_its_csv(api, clock):
    await send_everything(api, clock)
    answer = await stats(api, path=SUMMARY, field="sum(quantity)", statsPeriod="1d")
    assert answer.code == 200, answer
    [project] = answer.json()["projects"]
    assert (project["id"], project["slug"]) == (1, "parlel")
    error = next(stats for stats in project["stats"] if stats["category"] == "error")
    assert error["outcomes"] == {"accepted": 2, "filtered": 0, "rate_limited": 1, "invalid": 1,
                                 "abuse": 0, "client_discard": 3, "cardinality_limited": 0}
    assert error["totals"] == {"dropped": 2, "sum(quantity)": 7}
    assert [stats["category"] for stats in project["stats"]] == sorted(
        stats["category"] for stats in project["stats"])
    download = await stats(api, path=SUMMARY, field="sum(quantity)", statsPeriod="1d",
                           download="true")
    assert download.header("content-type") == "text/csv"
    header, row = download.content.decode().splitlines()
    cells = dict(zip(header.split(","), row.split(",")))
    assert (cells["project_slug"], cells["accepted_errors"], cells["dropped_errors"]) == \
        ("parlel", "2", "2")


@pytest_twisted.ensureDeferred
async def test_a_disabled_key_is_refused_and_counted_in_strict_mode():
    clock = Clock()
    clock.advance(NOW)
    store = StoreService(clock)
    api = Client(StubTreq(build_root(store, Settings(strict_ingest=True), clock)),
                 "http://localhost")
    [key] = store.directory.keys_of(store.directory.project_by_id(1))
    off = await api.request("PUT", f"/api/0/projects/parlel/parlel/keys/{key.public}/",
                            json_body={"isActive": False})
    assert off.code == 200
    refused = await api.request("POST", "/api/1/envelope/", headers=AUTH, token=None,
                                body=envelope(event_item({"message": "m"}),
                                              ({"type": "attachment", "filename": "f"}, b"1234")))
    assert refused.code == 403
    answer = await stats(api, field="sum(quantity)", groupBy=["outcome", "category", "reason"],
                         statsPeriod="1h")
    assert totals(answer) == {
        (("category", "error"), ("outcome", "invalid"), ("reason", "project_id")): 1,
        (("category", "attachment"), ("outcome", "invalid"), ("reason", "project_id")): 4,
        (("category", "attachment_item"), ("outcome", "invalid"), ("reason", "project_id")): 1,
    }


@pytest_twisted.ensureDeferred
async def test_the_counts_survive_a_crash_and_a_checkpoint(tmp_path):
    clock = Clock()
    clock.advance(NOW)
    first = Harness(str(tmp_path / "live"), clock)
    await send_everything(first.api, clock)
    query = {"field": ["sum(quantity)", "sum(times_seen)"], "statsPeriod": "1d",
             "groupBy": ["outcome", "category", "reason", "project"]}
    before = (await stats(first.api, **query)).json()
    assert len(before["groups"]) == 9
    shutil.copytree(tmp_path / "live", tmp_path / "crashed")
    crashed = Harness(str(tmp_path / "crashed"), clock)
    assert (await stats(crashed.api, **query)).json() == before
    first.stop()
    again = Harness(str(tmp_path / "live"), clock)
    assert again.journal.database.checkpoint_seq > 0
    assert (await stats(again.api, **query)).json() == before


@pytest_twisted.ensureDeferred
async def test_what_the_python_sdk_reports_it_dropped(server, live_api):
    plan = await live_api.request("POST", "/__parlel/faults", token=None,
                                  json_body={"status": 429, "count": 1,
                                             "rate_limits": "60:error:key"})
    assert plan.code == 201
    app = Path(__file__).parent / "clients" / "python_rate_limited.py"
    out, err, code = await getProcessOutputAndValue(sys.executable, [str(app), server.dsn],
                                                    env=dict(os.environ))
    assert code == 0, err.decode()
    reports = (await live_api.request("GET", "/__parlel/items?type=client_report&wait=10",
                                      token=None)).json()["items"]
    dropped: dict[tuple, int] = {}
    for report in reports:
        for entry in report["payload"]["discarded_events"]:
            key = (("category", entry["category"]), ("outcome", "client_discard"),
                   ("reason", entry["reason"]))
            dropped[key] = dropped.get(key, 0) + entry["quantity"]
    assert dropped.get((("category", "error"), ("outcome", "client_discard"),
                        ("reason", "ratelimit_backoff")), 0) >= 2
    answer = await stats(live_api, field="sum(quantity)", statsPeriod="1h",
                         groupBy=["category", "outcome", "reason"])
    assert totals(answer) == {
        **dropped,
        (("category", "error"), ("outcome", "rate_limited"), ("reason", "none")): 1}


def test_the_data_categories_are_relays():
    from sentry_relay.consts import DataCategory

    from sentry_fake.store.outcome_rules import CATEGORIES, CATEGORY_ALIASES

    assert set(CATEGORIES) == {category.api_name() for category in DataCategory
                               if category.value >= 0}
    assert all(DataCategory.parse(name).api_name() == CATEGORY_ALIASES.get(name, name)
               for name in (*CATEGORIES, *CATEGORY_ALIASES))


@pytest_twisted.ensureDeferred
async def test_an_envelope_with_an_item_over_its_limit_is_counted_invalid(api):
    big = json.dumps({"monitor_slug": "job", "status": "ok", "pad": "x" * 110_000}).encode()
    refused = await api.request("POST", "/api/1/envelope/", headers=AUTH, token=None,
                                body=envelope(event_item({"message": "m"}),
                                              ({"type": "check_in"}, big)))
    assert refused.code == 413
    answer = await stats(api, field="sum(quantity)", groupBy=["outcome", "category", "reason"],
                         statsPeriod="1h")
    assert totals(answer) == {
        (("category", "error"), ("outcome", "invalid"), ("reason", "check_in")): 1,
        (("category", "monitor"), ("outcome", "invalid"), ("reason", "check_in")): 1,
    }
