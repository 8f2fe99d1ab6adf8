"""
--data-dir: the journal format, a restart that keeps everything, and a crash (SIGKILL under
load) that loses nothing that was acknowledged.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest_twisted
import treq

from sentry_fake.application import Settings
from sentry_fake.journal import Journal, Record
from sentry_fake.testing import start_server

from test_daemon import free_port, wait_healthy

AUTH = {"X-Sentry-Auth": "Sentry sentry_key=parlel, sentry_version=7"}
TOKEN = {"Authorization": "Bearer t", "Content-Type": "application/json"}


def test_journal_round_trip_and_torn_tail(tmp_path):
    path = str(tmp_path / "j.sfj")
    journal = Journal(path)
    records = [Record(seq=n, time=1.5 * n, method=b"POST", uri=b"/api/1/envelope/?x=1",
                      headers=[(b"X-Sentry-Auth", b"Sentry sentry_key=k")], client="10.0.0.1",
                      body=bytes([n]) * n + b"\n\x00") for n in range(1, 4)]
    for record in records:
        journal.append(record)
    journal.close()
    with open(path, "ab") as handle:
        handle.write(records[0].encode()[:-3])  # killed in the middle of a write
    again = Journal(path)
    assert list(again.records()) == records
    again.trim(again.valid_size)
    again.append(records[0])
    assert list(again.records()) == records + [records[0]]
    again.clear()
    assert list(again.records()) == []


@pytest_twisted.ensureDeferred
async def test_restart_keeps_events_issues_and_management_changes(tmp_path):
    from twisted.internet import reactor

    settings = Settings(data_dir=str(tmp_path))
    first = await start_server(reactor, settings)
    try:
        for text in ("one", "two", "one"):
            body = b'{}\n{"type":"event"}\n' + json.dumps({"message": text}).encode()
            answer = await treq.post(first.url + "/api/1/envelope/", body, headers=AUTH,
                                     persistent=False)
            assert answer.code == 200
        created = await treq.post(first.url + "/api/0/organizations/parlel/projects/",
                                  json.dumps({"name": "kept"}).encode(), headers=TOKEN,
                                  persistent=False)
        key = await (await treq.post(first.url + "/api/0/projects/parlel/kept/keys/", b"{}",
                                     headers=TOKEN, persistent=False)).json()
        assert created.code == 201
        issues = await (await treq.get(first.url + "/api/0/projects/parlel/parlel/issues/",
                                       headers=TOKEN, persistent=False)).json()
        resolved = await treq.put(first.url + f"/api/0/issues/{issues[0]['id']}/",
                                  json.dumps({"status": "resolved"}).encode(), headers=TOKEN,
                                  persistent=False)
        assert resolved.code == 200
        before = first.events()
    finally:
        await first.stop()

    second = await start_server(reactor, settings)
    try:
        after = second.events()
        assert [(e["event_id"], e["received"], e["message"]) for e in after] == \
            [(e["event_id"], e["received"], e["message"]) for e in before]
        issues = await (await treq.get(second.url + "/api/0/projects/parlel/parlel/issues/?query=",
                                       headers=TOKEN, persistent=False)).json()
        assert sorted((i["title"], i["count"], i["status"]) for i in issues) == \
            [("one", "2", "resolved"), ("two", "1", "unresolved")]
        keys = await (await treq.get(second.url + "/api/0/projects/parlel/kept/keys/",
                                     headers=TOKEN, persistent=False)).json()
        assert key["public"] in [k["public"] for k in keys]
        reset = await treq.post(second.url + "/__parlel/reset", persistent=False)
        assert reset.code == 200
    finally:
        await second.stop()

    third = await start_server(reactor, settings)
    try:
        assert third.events() == []
    finally:
        await third.stop()


def _pump(url: str, acknowledged: list[str], stop: threading.Event) -> None:
    n = 0
    while not stop.is_set() and n < 5000:
        n += 1
        body = b'{}\n{"type":"event"}\n' + json.dumps({"message": f"load {n}"}).encode()
        request = urllib.request.Request(url + "/api/1/envelope/", data=body, headers=AUTH)
        try:
            with urllib.request.urlopen(request, timeout=5) as answer:
                if answer.status == 200:
                    acknowledged.append(json.load(answer)["id"])
        except (OSError, ValueError):
            return


def test_kill_9_under_load_loses_nothing_acknowledged(tmp_path):
    twistd = str(Path(sys.executable).with_name("twistd"))
    port = free_port()
    argv = [twistd, "--nodaemon", "--pidfile=", "sentry-fake", "--listen",
            f"tcp:{port}:interface=127.0.0.1", "--data-dir", str(tmp_path / "data")]
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                               cwd=tmp_path)
    acknowledged: list[str] = []
    stop = threading.Event()
    try:
        wait_healthy(url, process)
        pumps = [threading.Thread(target=_pump, args=(url, acknowledged, stop)) for _ in range(4)]
        for pump in pumps:
            pump.start()
        deadline = time.monotonic() + 20
        while len(acknowledged) < 300 and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)
        stop.set()
        for pump in pumps:
            pump.join(10)
    finally:
        stop.set()
        if process.poll() is None:
            process.kill()
    assert len(acknowledged) >= 300

    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                               cwd=tmp_path)
    try:
        wait_healthy(url, process, timeout=60)
        with urllib.request.urlopen(url + "/__parlel/events", timeout=30) as answer:
            stored = {event["event_id"] for event in json.load(answer)["events"]}
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(20)
    missing = [event_id for event_id in acknowledged if event_id not in stored]
    assert missing == [], f"{len(missing)} acknowledged events lost of {len(acknowledged)}"


@pytest_twisted.ensureDeferred
async def test_a_replay_that_answers_differently_is_reported_and_kept(tmp_path):
    from twisted.internet import reactor

    live, crashed = tmp_path / "live", tmp_path / "crashed"
    first = await start_server(reactor, Settings(data_dir=str(live)))
    try:
        answer = await treq.post(first.url + "/api/0/organizations/parlel/projects/",
                                 json.dumps({"name": "gated"}).encode(), headers=TOKEN,
                                 persistent=False)
        assert answer.code == 201
        # What a crash right now would leave behind: the journal, no snapshot.
        shutil.copytree(live, crashed)
    finally:
        await first.stop()
    # Restarted under a token list that refuses the token the journal was written with.
    second = await start_server(reactor, Settings(data_dir=str(crashed), auth_tokens=("other",)))
    try:
        persistence = second.service.getServiceNamed("persistence").persistence
        assert persistence.diverged == 1
        assert [p.slug for p in second.store.projects()] == ["parlel"]
    finally:
        await second.stop()
    assert not (crashed / "snapshot.pickle").exists()
    third = await start_server(reactor, Settings(data_dir=str(crashed)))
    try:
        persistence = third.service.getServiceNamed("persistence").persistence
        assert persistence.diverged == 0
        assert "gated" in [p.slug for p in third.store.projects()]
    finally:
        await third.stop()


@pytest_twisted.ensureDeferred
async def test_a_clean_stop_snapshots_and_a_crash_replays_only_what_came_after(tmp_path):
    from twisted.internet import reactor

    async def send(server, text):
        body = b'{}\n{"type":"event"}\n' + json.dumps({"message": text}).encode()
        answer = await treq.post(server.url + "/api/1/envelope/", body, headers=AUTH,
                                 persistent=False)
        assert answer.code == 200
        return (await answer.json())["id"]

    settings = Settings(data_dir=str(tmp_path / "data"))
    first = await start_server(reactor, settings)
    try:
        kept = [await send(first, f"before stop {n}") for n in range(3)]
    finally:
        await first.stop()
    assert (tmp_path / "data" / "snapshot.pickle").exists()
    assert list(Journal(str(tmp_path / "data" / "journal.sfj")).records()) == []

    second = await start_server(reactor, settings)
    try:
        assert [e["event_id"] for e in second.events()] == kept
        later = await send(second, "after the snapshot")
        shutil.copytree(tmp_path / "data", tmp_path / "crashed")  # a crash, now
    finally:
        await second.stop()

    third = await start_server(reactor, Settings(data_dir=str(tmp_path / "crashed")))
    try:
        assert [e["event_id"] for e in third.events()] == kept + [later]
        reset = await treq.post(third.url + "/__parlel/reset", persistent=False)
        assert reset.code == 200
        assert not (tmp_path / "crashed" / "snapshot.pickle").exists()
    finally:
        await third.stop()
