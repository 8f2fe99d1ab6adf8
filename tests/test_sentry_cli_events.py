"""
The real sentry-cli sending things: send-event (with a log file), send-envelope (parsed and
raw), monitors run (a passing and a failing command) and monitors list; what each sent is
found again through the API.
"""

import json
import re

import pytest_twisted


EVENT_ID = re.compile(r"Event id: ([0-9a-f-]{36})")


async def get(live_api, path):
    answer = await live_api.request("GET", path)
    assert answer.code == 200, answer
    return answer.json()


@pytest_twisted.ensureDeferred
async def test_send_event_with_tags_extra_release_and_environment(cli, live_api):
    code, out, err = await cli("send-event", "-m", "hello", "-t", "k:v", "-e", "x:y",
                               "--release", "R", "--env", "E")
    assert code == 0, err
    event_id = EVENT_ID.search(out + err).group(1)
    event = await get(live_api, f"/api/0/projects/parlel/parlel/events/{event_id}/")
    assert event["eventID"] == event_id.replace("-", "")
    assert event["title"] == "hello"
    tags = {tag["key"]: tag["value"] for tag in event["tags"]}
    assert tags["k"] == "v" and tags["release"] == "R" and tags["environment"] == "E"
    assert event["context"]["x"] == "y"
    assert event["sdk"]["name"] == "sentry-cli"
    [issue] = await get(live_api, "/api/0/projects/parlel/parlel/issues/")
    assert issue["title"] == "hello"


@pytest_twisted.ensureDeferred
async def test_send_event_with_a_logfile_sends_its_lines_as_breadcrumbs(cli, live_api, tmp_path):
    logfile = tmp_path / "app.log"
    logfile.write_text("starting worker\nconnected to db\nlost connection\n")
    code, out, err = await cli("send-event", "-m", "with a log", "--logfile", str(logfile))
    assert code == 0, err
    event_id = EVENT_ID.search(out + err).group(1)
    event = await get(live_api, f"/api/0/projects/parlel/parlel/events/{event_id}/")
    [crumbs] = [entry for entry in event["entries"] if entry["type"] == "breadcrumbs"]
    messages = [crumb["message"] for crumb in crumbs["data"]["values"]]
    assert messages == ["starting worker", "connected to db", "lost connection"]


def write_envelope(path, dsn, *, raw):
    header = {"event_id": "9ec79c33ec9942ab8353589fcb2e04dc"}
    if raw:
        header["dsn"] = dsn
    event = {"message": "from an envelope file", "level": "warning", "tags": {"source": "file"}}
    check_in = {"check_in_id": "b5ce6e1c6e6e4bd4a1b8d5e3f0a4c9d2", "monitor_slug": "file-job",
                "status": "ok", "duration": 2.5}
    lines = [json.dumps(header), '{"type":"event"}', json.dumps(event), '{"type":"check_in"}',
             json.dumps(check_in)]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest_twisted.ensureDeferred
async def test_send_envelope_parses_and_resends(cli, server, live_api, tmp_path):
    path = write_envelope(tmp_path / "parsed.envelope", server.dsn, raw=False)
    code, out, err = await cli("send-envelope", str(path))
    assert code == 0, err
    [event] = await get(live_api, "/api/0/projects/parlel/parlel/events/?full=true")
    assert event["title"] == "from an envelope file"
    assert {tag["key"]: tag["value"] for tag in event["tags"]}["source"] == "file"
    [check_in] = await get(live_api, "/api/0/organizations/parlel/monitors/file-job/checkins/")
    assert (check_in["status"], check_in["duration"]) == ("ok", 2500)
    # Parsed and re-serialized: sentry-cli adds the lengths the file did not have.
    items = (await live_api.request("GET", "/__parlel/items", token=None)).json()["items"]
    assert all("length" in item["headers"] for item in items)


@pytest_twisted.ensureDeferred
async def test_send_envelope_raw_sends_the_bytes_unchanged(cli, server, live_api, tmp_path):
    path = write_envelope(tmp_path / "raw.envelope", server.dsn, raw=True)
    code, out, err = await cli("send-envelope", "--raw", str(path))
    assert code == 0, err
    event = await get(live_api,
                      "/api/0/projects/parlel/parlel/events/9ec79c33ec9942ab8353589fcb2e04dc/")
    assert event["title"] == "from an envelope file"
    items = (await live_api.request("GET", "/__parlel/items", token=None)).json()["items"]
    assert [item["headers"] for item in items] == [{"type": "event"}, {"type": "check_in"}]
    assert items[1]["payload"]["monitor_slug"] == "file-job"
    monitors = await get(live_api, "/api/0/organizations/parlel/monitors/")
    assert [monitor["slug"] for monitor in monitors] == ["file-job"]


@pytest_twisted.ensureDeferred
async def test_monitors_run_reports_the_command_result(cli, live_api):
    code, out, err = await cli("monitors", "run", "nightly", "--", "true")
    assert code == 0, err
    [ok] = await get(live_api, "/api/0/organizations/parlel/monitors/nightly/checkins/")
    assert (ok["status"], ok["environment"]) == ("ok", "production")
    assert isinstance(ok["duration"], int) and ok["dateInProgress"] is not None

    code, out, err = await cli("monitors", "run", "nightly", "--", "false")
    assert code == 1
    failed, first = await get(live_api, "/api/0/organizations/parlel/monitors/nightly/checkins/")
    assert first["id"] == ok["id"] and failed["status"] == "error"
    monitor = await get(live_api, "/api/0/organizations/parlel/monitors/nightly/")
    assert monitor["environments"][0]["status"] == "error"

    code, out, err = await cli("monitors", "run", "-e", "staging", "-s", "*/5 * * * *",
                               "--check-in-margin", "3", "--max-runtime", "7",
                               "--timezone", "Europe/Vienna", "scheduled", "--",
                               "sh", "-c", "exit 3")
    assert code == 3
    monitor = await get(live_api, "/api/0/organizations/parlel/monitors/scheduled/")
    assert monitor["config"]["schedule"] == "*/5 * * * *"
    assert (monitor["config"]["checkin_margin"], monitor["config"]["max_runtime"],
            monitor["config"]["timezone"]) == (3, 7, "Europe/Vienna")
    [env] = monitor["environments"]
    assert (env["name"], env["status"]) == ("staging", "error")
    assert env["nextCheckIn"] is not None


@pytest_twisted.ensureDeferred
async def test_monitors_list(cli, live_api):
    for slug in ("db-backup", "cache-warm"):
        code, out, err = await cli("monitors", "run", slug, "--", "true")
        assert code == 0, err
    code, out, err = await cli("monitors", "list")
    assert code == 0, err
    monitors = await get(live_api, "/api/0/organizations/parlel/monitors/")
    assert len(monitors) == 2
    for monitor in monitors:
        row = next(line for line in out.splitlines() if monitor["slug"] in line)
        assert monitor["id"] in row and "active" in row
