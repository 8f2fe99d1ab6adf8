"""
A request with no client key at all: lenient mode (the default) takes it into the project of
its URL, as the seed's own quick start does it; strict mode answers 401, as Sentry does.
"""

import json

import pytest
import pytest_twisted
from treq.testing import StubTreq
from twisted.internet.task import Clock

from sentry_fake.application import Settings, build_root
from sentry_fake.store.service import StoreService

from conftest import Client
from test_native_ingest import minidump

EVENT = json.dumps({"message": "Boom", "level": "error"}).encode()
CSP = json.dumps({"csp-report": {"document-uri": "https://app.example/", "violated-directive":
                                 "script-src", "blocked-uri": "https://evil.example/x.js"}})
REQUESTS = [
    ("store", "/api/1/store/", EVENT, {"Content-Type": "application/json"}, 200),
    ("legacy store", "/api/store/", EVENT, {"Content-Type": "application/json"}, 200),
    ("envelope", "/api/1/envelope/", b'{}\n{"type":"event"}\n' + EVENT, {}, 200),
    ("security", "/api/1/security/", CSP.encode(), {"Content-Type": "application/csp-report"},
     200),
    ("minidump", "/api/1/minidump/", minidump(), {"Content-Type": "application/x-dmp"}, 200),
    ("cron", "/api/1/cron/job/?status=ok", None, {}, 202),
]


def client(strict: bool):
    clock = Clock()
    clock.advance(1_795_000_000)
    store = StoreService(clock)
    return store, Client(StubTreq(build_root(store, Settings(strict_ingest=strict), clock)),
                         "http://localhost")


@pytest.mark.parametrize("name, path, body, headers, status", REQUESTS,
                         ids=[request[0] for request in REQUESTS])
@pytest_twisted.ensureDeferred
async def test_no_key_at_all(name, path, body, headers, status):
    store, api = client(strict=False)
    accepted = await api.request("POST", path, body=body, headers=headers, token=None)
    assert accepted.code == status, accepted
    stored = list(store.events()) + list(store.items())
    assert stored and {record.project_id for record in stored} == {1}
    assert [key.public for key in store.directory.keys_of(store.directory.project_by_id(1))] \
        == ["parlel"]
    store, api = client(strict=True)
    refused = await api.request("POST", path, body=body, headers=headers, token=None)
    assert (refused.code, refused.json()) == (401, {"detail": "missing authorization information"})
    assert list(store.items()) == [] and list(store.events()) == []


@pytest_twisted.ensureDeferred
async def test_the_seed_quick_start_makes_an_issue():
    store, api = client(strict=False)
    answer = await api.request("POST", "/api/1/store/", body=EVENT, token=None,
                               headers={"Content-Type": "application/json"})
    assert answer.code == 200 and len(answer.json()["id"]) == 32
    issues = (await api.request("GET", "/api/0/projects/parlel/parlel/issues/")).json()
    assert [(issue["title"], issue["level"]) for issue in issues] == [("Boom", "error")]
