"""
--data-dir over real sockets: a restart that keeps everything, a kill -9 under mixed load that
loses nothing acknowledged, a full disk (a real tmpfs) that is refused clearly and recovered
from, and a stop that never lets a request reach a closed journal.
"""

import http.client
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import pytest_twisted
import treq
from twisted.internet.threads import deferToThread

from sentry_fake.application import Settings
from sentry_fake.testing import start_server

from test_daemon import free_port, wait_healthy

AUTH = {"X-Sentry-Auth": "Sentry sentry_key=parlel, sentry_version=7"}
TOKEN = {"Authorization": "Bearer t", "Content-Type": "application/json"}
TWISTD = str(Path(sys.executable).with_name("twistd"))


def envelope(text: str, padding: int = 0) -> bytes:
    payload = {"message": text}
    if padding:
        payload["extra"] = {"padding": "x" * padding}
    return b'{}\n{"type":"event"}\n' + json.dumps(payload).encode()


@pytest_twisted.ensureDeferred
async def test_restart_keeps_events_issues_and_management_changes(tmp_path):
    from twisted.internet import reactor

    settings = Settings(data_dir=str(tmp_path))
    first = await start_server(reactor, settings)
    try:
        for text in ("one", "two", "one"):
            answer = await treq.post(first.url + "/api/1/envelope/", envelope(text), headers=AUTH,
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
        assert second.events() == before
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
        assert third.events() == [] and len(third.store.directory.projects_of()) == 1
    finally:
        await third.stop()


def _post(url: str, path: str, body: bytes, headers: dict[str, str]) -> dict | None:
    request = urllib.request.Request(url + path, data=body, headers=headers)
    with urllib.request.urlopen(request, timeout=5) as answer:
        if answer.status in (200, 201, 208):
            return json.load(answer)
    return None


def _writer(url: str, kind: str, acknowledged: list, stop: threading.Event) -> None:
    """
    Keep writing one kind of change until stopped or refused, noting each acknowledged one.
    """
    n = 0
    while not stop.is_set() and n < 5000:
        n += 1
        try:
            if kind == "event":
                answer = _post(url, "/api/1/envelope/", envelope(f"load {n}"), AUTH)
                if answer:
                    acknowledged.append(("event", answer["id"]))
            elif kind == "release":
                answer = _post(url, "/api/0/organizations/parlel/releases/", json.dumps(
                    {"version": f"v{n}", "projects": ["parlel"]}).encode(), TOKEN)
                if answer:
                    acknowledged.append(("release", answer["version"]))
            else:
                answer = _post(url, "/api/0/organizations/parlel/teams/", json.dumps(
                    {"slug": f"team-{n}"}).encode(), TOKEN)
                if answer:
                    acknowledged.append(("team", answer["slug"]))
        except (OSError, ValueError):
            return


def _read(url: str, path: str) -> object:
    request = urllib.request.Request(url + path, headers={"Authorization": "Bearer t"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.load(answer)


def _read_all(url: str, path: str) -> list:
    """
    Every page of a list, following its C{Link} header as Sentry's clients do.
    """
    found, next_url = [], url + path
    while next_url:
        request = urllib.request.Request(next_url, headers={"Authorization": "Bearer t"})
        with urllib.request.urlopen(request, timeout=30) as answer:
            found += json.load(answer)
            links = answer.headers.get("Link", "")
        next_url = None
        for link in links.split(","):
            if 'rel="next"' in link and 'results="true"' in link:
                next_url = link.split(";")[0].strip()[1:-1]
    return found


def test_kill_9_under_load_loses_nothing_acknowledged(tmp_path):
    port = free_port()
    argv = [TWISTD, "--nodaemon", "--pidfile=", "sentry-fake", "--listen",
            f"tcp:{port}:interface=127.0.0.1", "--data-dir", str(tmp_path / "data")]
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                               cwd=tmp_path)
    acknowledged: list = []
    stop = threading.Event()
    try:
        wait_healthy(url, process)
        writers = [threading.Thread(target=_writer, args=(url, kind, acknowledged, stop))
                   for kind in ("event", "event", "event", "release", "team")]
        for writer in writers:
            writer.start()
        # Killed at a moment nobody chose, with every kind of write in flight.
        wanted = random.randint(300, 900)
        deadline = time.monotonic() + 30
        while len(acknowledged) < wanted and time.monotonic() < deadline:
            time.sleep(0.005)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)
        stop.set()
        for writer in writers:
            writer.join(10)
    finally:
        stop.set()
        if process.poll() is None:
            process.kill()
    kinds = {kind for kind, _ in acknowledged}
    assert len(acknowledged) >= 300 and kinds == {"event", "release", "team"}

    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                               cwd=tmp_path)
    try:
        wait_healthy(url, process, timeout=60)
        events = {e["event_id"] for e in _read(url, "/__parlel/events")["events"]}
        releases = {r["version"] for r in _read_all(
            url, "/api/0/organizations/parlel/releases/?per_page=100")}
        teams = {t["slug"] for t in _read_all(
            url, "/api/0/organizations/parlel/teams/?per_page=100&detailed=0")}
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(20)
    found = {"event": events, "release": releases, "team": teams}
    missing = [(kind, name) for kind, name in acknowledged if name not in found[kind]]
    assert missing == [], f"{len(missing)} acknowledged writes lost of {len(acknowledged)}"


@pytest.fixture
def small_disk(tmp_path):
    """
    A 4 MiB tmpfs, where the machine lets this test mount one.
    """
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)],
                          capture_output=True)
    if done.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (test_journal.py covers a full database "
                    f"without one): {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_is_refused_clearly_and_nothing_acknowledged_is_lost(tmp_path, small_disk):
    port = free_port()
    argv = [TWISTD, "--nodaemon", "--pidfile=", "sentry-fake", "--listen",
            f"tcp:{port}:interface=127.0.0.1", "--data-dir", str(small_disk / "data")]
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                               cwd=tmp_path)
    acknowledged, refusals = [], []
    try:
        wait_healthy(url, process)
        for n in range(2000):
            try:
                answer = _post(url, "/api/1/envelope/", envelope(f"fill {n}", 4000), AUTH)
                acknowledged.append(answer["id"])
            except urllib.error.HTTPError as error:
                refusals.append((error.code, json.load(error)))
                if len(refusals) >= 5:
                    break
        assert acknowledged and len(refusals) == 5, (len(acknowledged), refusals[:1])
        assert {code for code, _ in refusals} <= {507, 503}
        assert all(body["detail"] for _, body in refusals)
        assert 507 in {code for code, _ in refusals}
        # Reads keep answering while the disk is full.
        assert _read(url, "/health") == {"status": "ok"}
        assert _read(url, "/__parlel/events")["count"] == len(acknowledged)
        # Room again: writes succeed.
        subprocess.run(["mount", "-o", "remount,size=64m", str(small_disk)], check=True)
        answer = _post(url, "/api/1/envelope/", envelope("room again"), AUTH)
        acknowledged.append(answer["id"])
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)
    finally:
        if process.poll() is None:
            process.kill()
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                               cwd=tmp_path)
    try:
        wait_healthy(url, process, timeout=60)
        stored = [e["event_id"] for e in _read(url, "/__parlel/events")["events"]]
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(20)
    assert stored == acknowledged


def _keep_sending(port: int, statuses: list, stop: threading.Event) -> None:
    """
    One kept-alive connection that writes as fast as it is answered.
    """
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    n = 0
    try:
        while not stop.is_set():
            n += 1
            connection.request("POST", "/api/1/envelope/", body=envelope(f"during {n}"),
                               headers=AUTH)
            answer = connection.getresponse()
            body = answer.read()
            statuses.append((answer.status, body, answer.getheader("connection")))
            if answer.status == 503:
                return
    except (OSError, http.client.HTTPException):
        return
    finally:
        connection.close()


@pytest_twisted.ensureDeferred
async def test_a_request_during_stop_is_answered_or_refused_never_failed(tmp_path):
    from twisted.internet import reactor

    server = await start_server(reactor, Settings(data_dir=str(tmp_path / "data")))
    statuses: list = []
    stop = threading.Event()
    senders = [threading.Thread(target=_keep_sending, args=(server.port, statuses, stop))
               for _ in range(4)]
    try:
        for sender in senders:
            sender.start()
        while len(statuses) < 200:
            await deferToThread(time.sleep, 0.01)
        await server.stop()
    finally:
        stop.set()
        for sender in senders:
            await deferToThread(sender.join, 10)
    codes = [code for code, _, _ in statuses]
    assert set(codes) <= {200, 503}, [s for s in statuses if s[0] not in (200, 503)][:3]
    for code, body, connection in statuses:
        if code == 503:
            assert json.loads(body)["detail"] and connection == "close"
    acknowledged = [json.loads(body)["id"] for code, body, _ in statuses if code == 200]
    again = await start_server(reactor, Settings(data_dir=str(tmp_path / "data")))
    try:
        stored = {event["event_id"] for event in again.events()}
        assert set(acknowledged) <= stored
    finally:
        await again.stop()


@pytest_twisted.ensureDeferred
async def test_a_server_copies_its_wal_in_a_thread_and_stops_after_the_copy(tmp_path, monkeypatch):
    # No commit copies the WAL into the file (that waits on the disk): a thread of the
    # journal's does, every half second, and a stop waits for a copy under way.
    from twisted.internet import reactor

    from sentry_fake.persistence import database as db_module

    threads = []
    copy = db_module.Database.copy_wal

    def copying(self):
        threads.append(threading.current_thread() is not threading.main_thread())
        time.sleep(0.2)  # a slow disk: the stop below comes while this copy runs
        return copy(self)

    monkeypatch.setattr(db_module.Database, "copy_wal", copying)
    server = await start_server(reactor, Settings(data_dir=str(tmp_path / "data")))
    wal = tmp_path / "data" / (db_module.FILENAME + "-wal")
    for n in range(30):
        answer = await treq.post(server.url + "/api/1/envelope/", headers={
            "X-Sentry-Auth": "Sentry sentry_key=parlel, sentry_version=7"},
            data=b'{}\n{"type":"event"}\n{"message":"m%d"}' % n)
        assert answer.code == 200
        await answer.content()
    journal = server.service.getServiceNamed("journal")
    assert journal.database._db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
    while not threads:
        await deferToThread(time.sleep, 0.1)
    await deferToThread(time.sleep, 0.45)
    assert all(threads)
    await server.stop()
    assert journal.database is None and not wal.exists()
    again = await start_server(reactor, Settings(data_dir=str(tmp_path / "data")))
    try:
        assert len(again.store.events()) == 30
    finally:
        await again.stop()


@pytest_twisted.ensureDeferred
async def test_a_failing_copy_of_the_wal_is_said_once_and_tried_again(tmp_path, monkeypatch):
    from twisted.internet import reactor
    from twisted.logger import globalLogPublisher

    from sentry_fake.persistence import database as db_module

    attempts = []

    def failing(self):
        attempts.append(True)
        raise db_module.sqlite3.OperationalError("disk I/O error")

    said = []

    def observer(event):
        if "could not copy the WAL" in str(event.get("log_format", "")):
            said.append(event)

    monkeypatch.setattr(db_module.Database, "copy_wal", failing)
    globalLogPublisher.addObserver(observer)
    server = await start_server(reactor, Settings(data_dir=str(tmp_path / "data")))
    try:
        while len(attempts) < 3:
            await deferToThread(time.sleep, 0.1)
        answer = await treq.post(server.url + "/api/1/envelope/", headers={
            "X-Sentry-Auth": "Sentry sentry_key=parlel, sentry_version=7"},
            data=b'{}\n{"type":"event"}\n{"message":"still stored"}')
        assert answer.code == 200
        await answer.content()
    finally:
        await server.stop()
        globalLogPublisher.removeObserver(observer)
    assert len(said) == 1 and len(attempts) >= 3
    for event in said:
        event["log_failure"].cleanFailure()


def test_an_embedding_process_that_never_stops_the_server_still_exits(tmp_path):
    # The thread that copies the WAL does not keep a process alive that forgot to stop the
    # service (the reactor stopped without shutting it down, say).
    script = f"""
import time
from twisted.internet import reactor
from sentry_fake.application import Settings
from sentry_fake.testing import start_server
from twisted.internet.defer import ensureDeferred

async def main():
    await start_server(reactor, Settings(data_dir={str(tmp_path / "data")!r}))
    await deferLater(reactor, 0.7, lambda: None)  # a copy of the WAL has run
    reactor.crash()

from twisted.internet.task import deferLater
reactor.callWhenRunning(lambda: ensureDeferred(main()))
reactor.run(installSignalHandlers=False)
print("done", flush=True)
"""
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "done"
    assert time.monotonic() - started < 15
