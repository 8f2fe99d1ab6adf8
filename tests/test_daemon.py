"""
Running as a daemon: twistd as a child process, JSON logs, sd_notify readiness, socket
activation, and a graceful stop.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from sentry_fake.sdnotify import notify

TWISTD = str(Path(sys.executable).with_name("twistd"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_healthy(url: str, process: subprocess.Popen, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read().decode() if process.stdout else ""
        try:
            with urllib.request.urlopen(url + "/health", timeout=1) as answer:
                assert json.load(answer) == {"status": "ok"}
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("the server never answered /health")


def send_message(url: str, text: str) -> str:
    body = b'{}\n{"type":"event"}\n' + json.dumps({"message": text}).encode()
    request = urllib.request.Request(url + "/api/1/envelope/", data=body, headers={
        "X-Sentry-Auth": "Sentry sentry_key=parlel, sentry_version=7"})
    with urllib.request.urlopen(request, timeout=5) as answer:
        return json.load(answer)["id"]


def test_twistd_daemon_with_json_logs_and_a_graceful_stop(tmp_path):
    port = free_port()
    process = subprocess.Popen(
        [TWISTD, "--nodaemon", "--pidfile=", "--logger=sentry_fake.logs.json_observer",
         "sentry-fake", "--listen", f"tcp:{port}:interface=127.0.0.1", "--access-log"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=tmp_path)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, process)
        send_message(url, "hello daemon")
        process.send_signal(signal.SIGTERM)
        out, _ = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
    # twistd stops cleanly on SIGTERM, then reports the signal as its exit status.
    assert process.returncode in (0, -signal.SIGTERM)
    records = [json.loads(line) for line in out.decode().splitlines() if line.strip()]
    messages = [record["message"] for record in records]
    assert any("store ready" in message for message in messages)
    assert any("/api/1/envelope/" in message for message in messages)
    assert any("Server Shut Down" in message or "Main loop terminated" in message
               for message in messages)
    assert all({"time", "level", "namespace", "message"} <= set(record) for record in records)


def test_sd_notify_readiness(tmp_path):
    address = str(tmp_path / "notify.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(address)
    listener.settimeout(20)
    port = free_port()
    process = subprocess.Popen(
        [TWISTD, "--nodaemon", "--pidfile=", "sentry-fake", "--listen",
         f"tcp:{port}:interface=127.0.0.1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, cwd=tmp_path,
        env=dict(os.environ, NOTIFY_SOCKET=address))
    try:
        ready = listener.recv(4096).decode()
        assert ready.startswith("READY=1") and f"MAINPID={process.pid}" in ready
        # Ready means ready: the port answers at once.
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as answer:
            assert answer.status == 200
        process.send_signal(signal.SIGTERM)
        assert listener.recv(4096).decode() == "STOPPING=1"
        assert process.wait(20) in (0, -signal.SIGTERM)
    finally:
        listener.close()
        if process.poll() is None:
            process.kill()
    assert notify("READY=1", environ={}) is False


def test_socket_activation(tmp_path):
    activate = shutil.which("systemd-socket-activate")
    if activate is None:
        pytest.fail("systemd-socket-activate is needed (Debian package systemd); .ci/run installs it")
    port = free_port()
    process = subprocess.Popen(
        [activate, "-l", f"127.0.0.1:{port}", "--fdname=http", TWISTD, "--nodaemon",
         "--pidfile=", "sentry-fake", "--listen", "systemd:domain=INET:name=http"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=tmp_path)
    try:
        url = f"http://127.0.0.1:{port}"
        # The socket exists before the server starts: the first request starts it.
        wait_healthy(url, process, timeout=30)
        event_id = send_message(url, "activated")
        with urllib.request.urlopen(f"{url}/__parlel/events/{event_id}", timeout=5) as answer:
            assert json.load(answer)["message"] == "activated"
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()


def test_a_port_in_use_is_one_line_not_a_traceback(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([TWISTD, "--nodaemon", "--pidfile=", "sentry-fake", "--listen",
                               f"tcp:{port}:interface=127.0.0.1"], capture_output=True,
                              text=True, timeout=30, cwd=tmp_path)
    output = done.stdout + done.stderr
    assert done.returncode == 1
    assert f"sentry-fake: Couldn't listen on 127.0.0.1:{port}" in output
    assert "Traceback" not in output and "File \"" not in output


def test_version():
    from sentry_fake import __version__

    done = subprocess.run([TWISTD, "sentry-fake", "--version"], capture_output=True, text=True,
                          timeout=30)
    assert (done.returncode, done.stdout.strip()) == (0, f"sentry-fake {__version__}")
