"""
Shared fixtures: a store on a fake clock, the root resource over it, an in-memory HTTP client,
and a real server listening on a free port of the test's reactor.
"""

from __future__ import annotations

import json

import pytest
import pytest_twisted
from treq.testing import StubTreq
from twisted.internet.task import Clock

from sentry_fake.application import Settings, build_root
from sentry_fake.store.service import StoreService
from sentry_fake.testing import start_server
from sentry_cli_runner import runner

NOW = 1_795_000_000.0
TOKEN = "sntryu_" + "0" * 64


@pytest.fixture
def clock() -> Clock:
    clock = Clock()
    clock.advance(NOW)
    return clock


@pytest.fixture
def settings() -> Settings:
    return Settings()


@pytest.fixture
def store(clock: Clock, settings: Settings) -> StoreService:
    return StoreService(clock, seed=settings.seed, max_events=settings.max_events,
                        limits=settings.limits)


@pytest.fixture
def root(store: StoreService, settings: Settings, clock: Clock):
    return build_root(store, settings, clock)


@pytest.fixture
def client(root) -> StubTreq:
    return StubTreq(root)


@pytest_twisted.async_yield_fixture
async def server():
    from twisted.internet import reactor

    running = await start_server(reactor)
    yield running
    await running.stop()


class Client:
    """
    A small helper over an HTTP client (in memory or real) that speaks to one base URL.
    """

    def __init__(self, http, base: str, persistent: bool | None = None) -> None:
        self.http = http
        self.base = base
        self.extra = {} if persistent is None else {"persistent": persistent}

    async def request(self, method: str, path: str, body=None, headers=None, token=TOKEN,
                      json_body=None):
        headers = dict(headers or {})
        if token is not None:
            headers.setdefault("Authorization", f"Bearer {token}")
        if json_body is not None:
            body = json.dumps(json_body).encode()
            headers.setdefault("Content-Type", "application/json")
        response = await self.http.request(method, self.base + path, data=body,
                                           headers=headers, **self.extra)
        content = await response.content()
        return Answer(response.code, response.headers, content)


class Answer:
    def __init__(self, code: int, headers, content: bytes) -> None:
        self.code = code
        self.headers = headers
        self.content = content

    def header(self, name: str) -> str | None:
        values = self.headers.getRawHeaders(name)
        return values[0] if values else None

    def json(self):
        return json.loads(self.content)

    def __repr__(self) -> str:
        return f"<Answer {self.code} {self.content[:200]!r}>"


@pytest.fixture
def api(client) -> Client:
    return Client(client, "http://localhost")


@pytest_twisted.async_yield_fixture
async def live_api(server):
    import treq

    yield Client(treq, server.url, persistent=False)


@pytest.fixture
def cli(server, tmp_path):
    """
    Run the real sentry-cli against the listening server: C{await cli("issues", "list")}
    answers (exit code, stdout, stderr).
    """
    return runner(server, tmp_path)
