"""
The monitors REST API: list, detail, check-ins, update and delete, with Sentry's shapes, on the
organization path and the project path.
"""

import re

import pytest
import pytest_twisted
import records
from records import create_project
from sentry_fake.store.records import ProjectDeleted

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
CONFIG_KEYS = {"schedule_type", "schedule", "checkin_margin", "max_runtime", "timezone",
               "failure_issue_threshold", "recovery_threshold", "alert_rule_id"}


def check_in(store, slug, status="ok", project_id=1, **fields):
    return records.check_in(store, dict(fields, monitor_slug=slug, status=status), project_id)


@pytest.fixture
def monitors(store, clock):
    check_in(store, "nightly-backup", "in_progress", environment="production",
             monitor_config={"schedule": "0 3 * * *", "timezone": "UTC", "max_runtime": 30})
    clock.advance(60)
    check_in(store, "nightly-backup", "ok", environment="production", duration=60)
    check_in(store, "nightly-backup", "error", environment="staging")
    check_in(store, "alpha-sync", "ok")
    return store.monitors


@pytest_twisted.ensureDeferred
async def test_list_has_what_sentry_cli_needs_and_sentry_shapes(api, monitors):
    answer = await api.request("GET", "/api/0/organizations/parlel/monitors/")
    assert answer.code == 200, answer
    body = answer.json()
    assert [m["slug"] for m in body] == ["alpha-sync", "nightly-backup"]
    for monitor in body:
        assert all(isinstance(monitor[key], str) for key in ("id", "slug", "name", "status"))
        assert UUID.match(monitor["id"]) and monitor["status"] == "active"
        assert monitor["type"] == "cron_job" and monitor["isMuted"] is False
        assert set(monitor["config"]) == CONFIG_KEYS
        assert monitor["project"]["slug"] == "parlel" and monitor["project"]["id"] == "1"
        assert ISO.match(monitor["dateCreated"])
    nightly = body[1]
    assert nightly["config"]["schedule"] == "0 3 * * *"
    assert nightly["config"]["max_runtime"] == 30
    # Failing environments first.
    assert [(e["name"], e["status"]) for e in nightly["environments"]] == [
        ("staging", "error"), ("production", "ok")]
    production = nightly["environments"][1]
    assert set(production) == {"name", "status", "isMuted", "dateCreated", "lastCheckIn",
                               "nextCheckIn", "nextCheckInLatest", "activeIncident"}
    assert ISO.match(production["lastCheckIn"]) and ISO.match(production["nextCheckIn"])
    assert production["nextCheckIn"].endswith("T03:00:00.000000Z")
    assert 'rel="next"; results="false"' in answer.header("link")


@pytest_twisted.ensureDeferred
async def test_list_filters_and_paginates(api, store, monitors):
    other = create_project(store, "Jobs")
    check_in(store, "jobs-only", project_id=other.id)
    answer = await api.request("GET", f"/api/0/organizations/parlel/monitors/?project={other.id}")
    assert [m["slug"] for m in answer.json()] == ["jobs-only"]
    answer = await api.request("GET", "/api/0/organizations/parlel/monitors/?project=-1")
    assert len(answer.json()) == 3
    answer = await api.request("GET", "/api/0/organizations/parlel/monitors/?environment=staging")
    [only] = answer.json()
    assert only["slug"] == "nightly-backup"
    assert [e["name"] for e in only["environments"]] == ["staging"]
    answer = await api.request("GET", "/api/0/organizations/parlel/monitors/?query=ALPHA")
    assert [m["slug"] for m in answer.json()] == ["alpha-sync"]
    first = await api.request("GET", "/api/0/organizations/parlel/monitors/?per_page=2")
    assert len(first.json()) == 2 and 'rel="next"; results="true"' in first.header("link")
    second = await api.request("GET",
                               "/api/0/organizations/parlel/monitors/?per_page=2&cursor=0:2:0")
    assert [m["slug"] for m in second.json()] == ["nightly-backup"]


@pytest_twisted.ensureDeferred
async def test_detail_by_slug_or_id_on_both_paths(api, monitors):
    by_slug = await api.request("GET", "/api/0/organizations/parlel/monitors/nightly-backup/")
    assert by_slug.code == 200
    monitor_id = by_slug.json()["id"]
    by_id = await api.request("GET", f"/api/0/organizations/parlel/monitors/{monitor_id}/")
    assert by_id.json() == by_slug.json()
    project_path = await api.request("GET", "/api/0/projects/parlel/parlel/monitors/nightly-backup/")
    assert project_path.json()["slug"] == "nightly-backup"
    for path in ("/api/0/organizations/parlel/monitors/nope/",
                 "/api/0/projects/parlel/nope/monitors/nightly-backup/",
                 "/api/0/organizations/nope/monitors/"):
        missing = await api.request("GET", path)
        assert missing.code == 404 and "detail" in missing.json()
    unauthenticated = await api.request("GET", "/api/0/organizations/parlel/monitors/", token=None)
    assert unauthenticated.code == 401


@pytest_twisted.ensureDeferred
async def test_check_ins_newest_first_with_environment_filter(api, monitors):
    answer = await api.request("GET", "/api/0/organizations/parlel/monitors/nightly-backup/checkins/")
    assert answer.code == 200
    body = answer.json()
    assert [(c["environment"], c["status"]) for c in body] == [("staging", "error"),
                                                               ("production", "ok")]
    production = body[1]
    assert set(production) == {"id", "environment", "status", "duration", "dateCreated",
                               "dateAdded", "dateUpdated", "dateInProgress", "dateClock",
                               "expectedTime", "monitorConfig"}
    assert UUID.match(production["id"]) and production["duration"] == 60000
    assert production["monitorConfig"]["schedule"] == "0 3 * * *"
    assert ISO.match(production["dateInProgress"])
    filtered = await api.request(
        "GET", "/api/0/projects/parlel/parlel/monitors/nightly-backup/checkins/?environment=staging")
    assert [c["status"] for c in filtered.json()] == ["error"]


@pytest_twisted.ensureDeferred
async def test_update_disables_renames_and_mutes(api, store, monitors):
    path = "/api/0/organizations/parlel/monitors/alpha-sync/"
    answer = await api.request("PUT", path, json_body={"name": "Alpha Sync", "slug": "alpha",
                                                       "status": "disabled", "isMuted": True})
    assert answer.code == 200, answer
    body = answer.json()
    assert (body["name"], body["slug"], body["status"], body["isMuted"]) == (
        "Alpha Sync", "alpha", "disabled", True)
    assert body["environments"][0]["isMuted"] is True
    assert check_in(store, "alpha") is None  # disabled monitors drop check-ins
    bad = await api.request("PUT", "/api/0/organizations/parlel/monitors/alpha/",
                            json_body={"status": "paused", "slug": "Not A Slug"})
    assert bad.code == 400 and set(bad.json()) == {"status", "slug"}
    taken = await api.request("PUT", "/api/0/organizations/parlel/monitors/alpha/",
                              json_body={"slug": "nightly-backup"})
    assert taken.code == 400 and "slug" in taken.json()


@pytest_twisted.ensureDeferred
async def test_delete_an_environment_then_the_monitor(api, store, monitors):
    path = "/api/0/organizations/parlel/monitors/nightly-backup/"
    answer = await api.request("DELETE", path + "?environment=staging")
    assert (answer.code, answer.content) == (202, b"")
    detail = (await api.request("GET", path)).json()
    assert [e["name"] for e in detail["environments"]] == ["production"]
    missing_env = await api.request("DELETE", path + "?environment=staging")
    assert missing_env.code == 404
    answer = await api.request("DELETE", "/api/0/projects/parlel/parlel/monitors/nightly-backup/")
    assert answer.code == 202
    assert (await api.request("GET", path)).code == 404
    remaining = (await api.request("GET", "/api/0/organizations/parlel/monitors/")).json()
    assert [m["slug"] for m in remaining] == ["alpha-sync"]


@pytest_twisted.ensureDeferred
async def test_monitors_of_a_deleted_project_disappear(api, store):
    other = create_project(store, "Gone")
    check_in(store, "orphan", project_id=other.id)
    store.delete_project(ProjectDeleted(time=store.now(), project_id=other.id))
    answer = await api.request("GET", "/api/0/organizations/parlel/monitors/")
    assert answer.json() == []
    assert (await api.request("GET", "/api/0/organizations/parlel/monitors/orphan/")).code == 404


@pytest_twisted.ensureDeferred
async def test_stats_count_check_ins_per_bucket(api, store, clock):
    start = int(clock.seconds()) // 3600 * 3600
    for status, duration in (("ok", 2), ("ok", 4), ("error", 1)):
        check_in(store, "stats-job", status=status, duration=duration)
    clock.advance(3600)
    check_in(store, "stats-job", status="ok", duration=8, environment="dev")
    path = (f"/api/0/organizations/parlel/monitors/stats-job/stats/?since={start}"
            f"&until={start + 7199}&resolution=1h")
    stats = (await api.request("GET", path)).json()
    assert stats == [
        {"ts": start, "ok": 2, "error": 1, "missed": 0, "timeout": 0,
         "duration": (2000 + 4000 + 1000) / 3},
        {"ts": start + 3600, "ok": 1, "error": 0, "missed": 0, "timeout": 0, "duration": 8000},
    ]
    dev = (await api.request("GET", path + "&environment=dev")).json()
    assert [bucket["ok"] for bucket in dev] == [0, 1]
    project = await api.request("GET", "/api/0/projects/parlel/parlel/monitors/stats-job/stats/")
    assert project.code == 200 and project.json()
