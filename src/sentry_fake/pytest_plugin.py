"""
The C{sentry_fake} pytest fixture, for any test suite (no Twisted needed in it).

One server per test session, started as a child process (C{twistd sentry-fake} on a free
loopback port) and reset before each test::

    def test_reports_errors(sentry_fake):
        sentry_sdk.init(dsn=sentry_fake.dsn)
        sentry_sdk.capture_message("hello")
        sentry_sdk.flush()
        (event,) = sentry_fake.wait_for_events(1)
        assert event["message"] == "hello"

This module imports nothing heavy: it is loaded by every pytest run of an environment where
sentry-fake is installed.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from typing import Any

import pytest

_TOKEN = "sntrys_parlel"


class SentryFake:
    """
    A running sentry-fake: where it is, and what it has captured (read over HTTP).
    """

    def __init__(self, url: str, process: subprocess.Popen | None = None) -> None:
        self.url = url.rstrip("/")
        self.port = urllib.parse.urlsplit(self.url).port
        host = urllib.parse.urlsplit(self.url).hostname
        self.dsn = f"http://parlel@{host}:{self.port}/1"
        self.api_url = self.url + "/api/0/"
        self.auth_token = _TOKEN
        self.process = process

    @property
    def env(self) -> dict[str, str]:
        """
        The environment an application or C{sentry-cli} needs to talk to this server.
        """
        return {"SENTRY_DSN": self.dsn, "SENTRY_URL": self.url + "/",
                "SENTRY_API_URL": self.url, "SENTRY_AUTH_TOKEN": self.auth_token,
                "SENTRY_ORG": "parlel", "SENTRY_PROJECT": "parlel",
                "SENTRY_DISABLE_UPDATE_CHECK": "1"}

    def _call(self, method: str, path: str, body: Any = None, timeout: float = 30) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method, headers={
            "Content-Type": "application/json", "Authorization": f"Bearer {self.auth_token}"})
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            content = answer.read()
        return json.loads(content) if content else None

    def events(self, **filters: Any) -> list[dict[str, Any]]:
        """
        Every captured event, oldest first; filters as C{/__parlel/events} takes them
        (C{type}, C{level}, C{release}, C{environment}, C{project}, C{text}, C{since}).
        """
        query = urllib.parse.urlencode(filters)
        return self._call("GET", f"/__parlel/events?{query}")["events"]

    def wait_for_events(self, count: int = 1, timeout: float = 10, **filters: Any) -> list[dict]:
        """
        Wait until at least C{count} events match, at most C{timeout} seconds; return them.
        """
        query = urllib.parse.urlencode(dict(filters, wait=timeout, min=count))
        return self._call("GET", f"/__parlel/events?{query}", timeout=timeout + 30)["events"]

    def items(self, type: str | None = None, **filters: Any) -> list[dict[str, Any]]:
        """
        Every captured envelope item (sessions, check-ins, attachments, client reports, ...).
        """
        if type:
            filters["type"] = type
        return self._call("GET", f"/__parlel/items?{urllib.parse.urlencode(filters)}")["items"]

    def issues(self, query: str = "") -> list[dict[str, Any]]:
        """
        The seeded project's issues as Sentry's API shows them (all of them by default).
        """
        encoded = urllib.parse.quote(query)
        return self._call("GET", f"/api/0/projects/parlel/parlel/issues/?query={encoded}")

    def inject_fault(self, **plan: Any) -> dict[str, Any]:
        """
        Make ingest answer as an unhealthy Sentry would (C{status=429, count=1}, ...).
        """
        return self._call("POST", "/__parlel/faults", plan)

    def clear_faults(self) -> None:
        self._call("DELETE", "/__parlel/faults")

    def reset(self) -> None:
        self._call("POST", "/__parlel/reset")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def launch(extra_args: list[str] | None = None, startup_timeout: float = 30) -> SentryFake:
    """
    Start C{twistd sentry-fake} as a child process on a free loopback port.
    """
    port = _free_port()
    argv = [sys.executable, "-m", "twisted", "--log-format=text", "sentry-fake",
            "--listen", f"tcp:{port}:interface=127.0.0.1"] + list(extra_args or [])
    log = tempfile.TemporaryFile()
    # The child is the test run's helper, not a service of whatever manager runs the tests.
    env = {name: value for name, value in os.environ.items() if name != "NOTIFY_SOCKET"}
    process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                               stderr=subprocess.STDOUT, env=env)
    fake = SentryFake(f"http://127.0.0.1:{port}", process)
    deadline = time.monotonic() + startup_timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"sentry-fake exited with status {process.returncode} at start:\n"
                               + log.read()[-4000:].decode("utf-8", "replace"))
        try:
            fake._call("GET", "/health", timeout=1)
            return fake
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"sentry-fake did not answer within {startup_timeout} s")


def stop(fake: SentryFake) -> None:
    if fake.process is not None and fake.process.poll() is None:
        fake.process.terminate()
        try:
            fake.process.wait(10)
        except subprocess.TimeoutExpired:
            fake.process.kill()
            fake.process.wait()


@pytest.fixture(scope="session")
def sentry_fake_server():
    """
    The session's sentry-fake server (not reset between tests; use C{sentry_fake} for that).
    """
    fake = launch()
    try:
        yield fake
    finally:
        stop(fake)


@pytest.fixture
def sentry_fake(sentry_fake_server: SentryFake) -> SentryFake:
    """
    A sentry-fake server in its seeded state: C{.dsn}, C{.url}, C{.port}, C{.events()},
    C{.wait_for_events()}, C{.items()}, C{.issues()}, C{.inject_fault()}.
    """
    sentry_fake_server.reset()
    return sentry_fake_server
