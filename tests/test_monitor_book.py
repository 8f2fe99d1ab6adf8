"""
The monitor book and schedules without HTTP: reading check-ins, upserting monitors, the
in_progress -> ok/error life of a check-in, and when the next check-in is expected.
"""

from datetime import datetime, timezone

import pytest

from sentry_fake import ids
from sentry_fake.errors import Invalid, NotFound
from sentry_fake.store.monitors import (NIL_ID, MonitorBook, monitor_slug, parse_check_in,
                                        read_check_in)
from sentry_fake.store.schedule import (next_crontab, next_expected, parse_crontab,
                                        read_monitor_config)

from conftest import NOW
from records import create_project

GUID = "a460c25ff2554577b920fcfacae4e5eb"


def at(text):
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp()


def record(book, project, payload, now):
    """
    File a check-in as the store does once the ingest surface has read it.
    """
    return book.record(project, read_check_in(payload), now, ids.uuid_str(), ids.uuid_hex())


@pytest.fixture
def project(store):
    return store.directory.project_by_id(1)


def test_read_check_in_normalizes_and_defaults():
    checked = read_check_in({"monitor_slug": "Nightly Job!", "status": "ok",
                             "check_in_id": "A460C25F-F255-4577-B920-FCFACAE4E5EB",
                             "duration": 2, "contexts": {"trace": {"trace_id": "ab" * 16}}})
    assert checked == {"check_in_id": GUID, "monitor_slug": "nightly-job", "status": "ok",
                       "environment": "production", "duration": 2.0, "monitor_config": None,
                       "trace_id": "ab" * 16}
    assert read_check_in({"monitor_slug": "x", "status": "in_progress"})["check_in_id"] == NIL_ID


@pytest.mark.parametrize("payload", [
    [], {"status": "ok"}, {"monitor_slug": "  !! ", "status": "ok"},
    {"monitor_slug": "job"}, {"monitor_slug": "job", "status": "missed"},
    {"monitor_slug": "job", "status": "ok", "check_in_id": "not-a-uuid"},
    {"monitor_slug": "job", "status": "ok", "duration": -1},
    {"monitor_slug": "job", "status": "ok", "duration": "1"},
    {"monitor_slug": "job", "status": "ok", "environment": "e" * 65},
    {"monitor_slug": "job", "status": "ok", "monitor_config": {"schedule": "bad cron"}},
])
def test_read_check_in_refuses_what_is_not_a_check_in(payload):
    with pytest.raises(Invalid):
        read_check_in(payload)


def test_parse_check_in_refuses_what_is_not_an_object_and_drops_invalid_ones():
    for payload in (b"{not json", b"[]", b'"text"'):
        with pytest.raises(Invalid):
            parse_check_in(payload)
    assert parse_check_in(b'{"monitor_slug":"a","status":"ok"}')["monitor_slug"] == "a"
    assert parse_check_in(b'{"monitor_slug":"a","status":"missed"}') is None


def test_monitor_slug_is_truncated_like_sentry():
    assert monitor_slug("  My  Backup -- Job  ") == "my-backup-job"
    assert len(monitor_slug("x" * 80)) == 50


def test_first_check_in_creates_the_monitor_and_a_known_id_updates_it(project):
    book = MonitorBook()
    opened = record(book, project, {"monitor_slug": "nightly", "status": "in_progress",
                                   "check_in_id": GUID, "environment": "prod"}, NOW)
    monitor = book.find(project.organization_id, "nightly")
    assert (monitor.name, monitor.slug, monitor.status) == ("nightly", "nightly", "active")
    assert monitor.environments["prod"].status == "active"
    assert (opened.status, opened.duration, opened.date_in_progress) == ("in_progress", None, NOW)

    closed = record(book, project, {"monitor_slug": "nightly", "status": "ok",
                                   "check_in_id": GUID, "environment": "prod"}, NOW + 12.5)
    assert closed is opened
    assert (closed.status, closed.duration, closed.date_updated) == ("ok", 12500, NOW + 12.5)
    assert monitor.environments["prod"].status == "ok"
    assert monitor.environments["prod"].last_checkin == NOW + 12.5
    assert book.check_ins_of(monitor) == [closed]

    # A finished check-in keeps its first closing status.
    record(book, project, {"monitor_slug": "nightly", "status": "error", "check_in_id": GUID,
                          "environment": "prod"}, NOW + 20)
    assert closed.status == "ok"


def test_a_check_in_without_id_closes_the_latest_in_progress_one(project):
    book = MonitorBook()
    first = record(book, project, {"monitor_slug": "job", "status": "in_progress"}, NOW)
    closing = record(book, project, {"monitor_slug": "job", "status": "error", "duration": 3},
                          NOW + 5)
    assert closing is first and (first.status, first.duration) == ("error", 3000)
    fresh = record(book, project, {"monitor_slug": "job", "status": "ok"}, NOW + 6)
    assert fresh is not first and fresh.date_added == NOW + 6
    monitor = book.find(project.organization_id, "job")
    assert [c.id for c in book.check_ins_of(monitor)] == [fresh.id, first.id]
    assert monitor.environments["production"].status == "ok"


def test_duration_dates_a_new_check_in_back(project):
    book = MonitorBook()
    check_in = record(book, project, {"monitor_slug": "job", "status": "ok", "duration": 10}, NOW)
    assert (check_in.date_added, check_in.date_updated, check_in.duration) == (NOW - 10, NOW, 10000)


def test_monitor_config_upserts_the_schedule(project):
    book = MonitorBook()
    config = {"schedule": {"type": "interval", "value": 2, "unit": "hour"}, "checkin_margin": 5,
              "max_runtime": 10, "timezone": "Europe/Vienna"}
    record(book, project, {"monitor_slug": "job", "status": "ok", "monitor_config": config}, NOW)
    monitor = book.find(project.organization_id, "job")
    assert monitor.config["schedule_type"] == "interval"
    assert monitor.config["schedule"] == [2, "hour"]
    assert (monitor.config["checkin_margin"], monitor.config["max_runtime"]) == (5, 10)
    env = monitor.environments["production"]
    assert env.next_checkin == NOW - NOW % 60 + 7200
    assert env.next_checkin_latest == env.next_checkin + 300
    # A later check-in without config keeps it; with one, replaces it.
    record(book, project, {"monitor_slug": "job", "status": "ok"}, NOW + 1)
    assert monitor.config["schedule"] == [2, "hour"]
    record(book, project, {"monitor_slug": "job", "status": "ok",
                          "monitor_config": {"schedule": {"type": "crontab", "value": "@daily"}}},
                NOW + 2)
    assert (monitor.config["schedule_type"], monitor.config["schedule"]) == ("crontab", "@daily")


def test_disabled_monitors_and_other_projects_drop_check_ins(store, project):
    book = MonitorBook()
    record(book, project, {"monitor_slug": "job", "status": "ok"}, NOW)
    monitor = book.find(project.organization_id, "job")
    monitor.status = "disabled"
    assert record(book, project, {"monitor_slug": "job", "status": "ok"}, NOW + 1) is None
    other = create_project(store, "Other")
    monitor.status = "active"
    assert record(book, other, {"monitor_slug": "job", "status": "ok"}, NOW + 2) is None
    assert len(book.check_ins_of(monitor)) == 1


def test_find_by_id_rename_and_remove(project):
    book = MonitorBook()
    record(book, project, {"monitor_slug": "job", "status": "ok", "environment": "a"}, NOW)
    record(book, project, {"monitor_slug": "job", "status": "ok", "environment": "b"}, NOW)
    monitor = book.find(project.organization_id, "job")
    assert book.find(project.organization_id, monitor.id) is monitor
    with pytest.raises(NotFound):
        book.find(project.organization_id, "job", project_id=project.id + 1)
    book.rename(monitor, "renamed")
    assert book.find(project.organization_id, "renamed") is monitor
    with pytest.raises(NotFound):
        book.find(project.organization_id, "job")
    book.remove(monitor, ["a"])
    assert list(monitor.environments) == ["b"]
    assert [c.environment for c in book.check_ins_of(monitor)] == ["b"]
    book.remove(monitor)
    assert len(book) == 0


def test_crontab_fields():
    minutes, hours, days, months, weekdays = parse_crontab("*/15 9-17 * jan,jul mon-fri")
    assert minutes == {0, 15, 30, 45} and hours == set(range(9, 18))
    assert months == {1, 7} and weekdays == {1, 2, 3, 4, 5} and len(days) == 31
    assert parse_crontab("0 0 * * 7")[4] == {0}
    for bad in ("* * *", "61 * * * *", "*/0 * * * *", "a b c d e"):
        with pytest.raises(Invalid):
            parse_crontab(bad)


def test_next_crontab_in_utc_and_in_a_time_zone():
    # 2026-11-18 is a Wednesday.
    assert next_crontab("0 * * * *", at("2026-11-18T11:07:10")) == at("2026-11-18T12:00:00")
    assert next_crontab("30 2 * * mon", at("2026-11-18T11:00:00")) == at("2026-11-23T02:30:00")
    assert next_crontab("0 0 1 1 *", at("2026-11-18T11:00:00")) == at("2027-01-01T00:00:00")
    # Midnight in Vienna (UTC+1 in November) is 23:00 UTC the day before.
    assert next_crontab("0 0 * * *", at("2026-11-18T11:00:00"),
                        "Europe/Vienna") == at("2026-11-18T23:00:00")
    # Day of month and day of week both restricted: either matches, as cron does.
    assert next_crontab("0 0 25 * fri", at("2026-11-18T11:00:00")) == at("2026-11-20T00:00:00")
    assert next_crontab("0 0 25 * *", at("2026-11-18T11:00:00")) == at("2026-11-25T00:00:00")
    assert next_crontab("0 0 30 2 *", at("2026-11-18T11:00:00")) is None


def test_next_expected_without_a_schedule():
    assert next_expected(read_monitor_config({"schedule": "0 * * * *"}),
                         at("2026-11-18T11:07:00"))[0] == at("2026-11-18T12:00:00")
    assert next_expected({"schedule_type": None, "schedule": None}, NOW) == (None, None)


@pytest.mark.parametrize("config", [
    [], {"schedule": {"type": "interval", "value": 0, "unit": "day"}},
    {"schedule": {"type": "interval", "value": 1, "unit": "fortnight"}},
    {"schedule": {"type": "weekly"}}, {"schedule": "0 * * * *", "checkin_margin": -1},
    {"schedule": "0 * * * *", "timezone": "Mars/Olympus"},
])
def test_bad_monitor_configs(config):
    with pytest.raises(Invalid):
        read_monitor_config(config)
