"""
Nothing grows without bound: issues go with their last events, lenient ingest makes at most so
many projects and keys, and a monitor keeps its newest check-ins.
"""

import json

import pytest_twisted
from treq.testing import StubTreq
from twisted.internet.task import Clock

from sentry_fake.application import Settings, build_root
from sentry_fake.store.limits import Limits
from sentry_fake.store.service import StoreService

from conftest import Client


def client_over(settings: Settings):
    clock = Clock()
    clock.advance(1_795_000_000)
    store = StoreService(clock, seed=settings.seed, max_events=settings.max_events,
                         limits=settings.limits)
    return store, Client(StubTreq(build_root(store, settings, clock)), "http://localhost")


async def store_event(api, project_id, message, key="parlel"):
    return await api.request("POST", f"/api/{project_id}/store/", token=None,
                             body=json.dumps({"message": message}).encode(),
                             headers={"X-Sentry-Auth": f"Sentry sentry_key={key}"})


@pytest_twisted.ensureDeferred
async def test_issues_go_with_their_last_events():
    store, api = client_over(Settings(max_events=10))
    # Letters, not digits: grouping folds numbers in messages.
    words = [chr(ord("a") + n // 26) + chr(ord("a") + n % 26) for n in range(50)]
    for word in words:
        assert (await store_event(api, 1, f"distinct {word}")).code == 200
    assert store.issue_count() == 10 and store.evicted == 40
    listed = (await api.request("GET", "/api/0/projects/parlel/parlel/issues/?query=")).json()
    assert sorted(issue["title"] for issue in listed) == [f"distinct {w}" for w in words[40:]]


@pytest_twisted.ensureDeferred
async def test_lenient_ingest_makes_at_most_so_many_projects():
    store, api = client_over(Settings(limits=Limits(first_use_projects=3)))
    codes = [(await store_event(api, project_id, "hi")).code for project_id in range(10, 15)]
    assert codes == [200, 200, 200, 403, 403]
    refused = await store_event(api, 99, "hi")
    assert refused.json()["detail"] == "event submission rejected"
    assert "made on first use already" in refused.json()["causes"][0]
    assert len(store.directory.projects_of()) == 4
    # A project made through the API is always welcome.
    created = await api.request("POST", "/api/0/organizations/parlel/projects/",
                                json_body={"name": "late"})
    assert created.code == 201
    assert (await store_event(api, created.json()["id"], "hi")).code == 200


@pytest_twisted.ensureDeferred
async def test_lenient_ingest_keeps_at_most_so_many_keys_and_accepts_the_rest():
    store, api = client_over(Settings(limits=Limits(first_use_keys=3)))
    codes = [(await store_event(api, 1, "hi", key=f"key{n}")).code for n in range(6)]
    assert codes == [200] * 6
    assert [key.public for key in store.directory.keys_of(store.directory.project_by_id(1))] \
        == ["parlel", "key0", "key1"]


@pytest_twisted.ensureDeferred
async def test_a_monitor_keeps_its_newest_check_ins(monkeypatch):
    from sentry_fake.store import monitors

    monkeypatch.setattr(monitors, "MAX_CHECK_INS", 3)
    store, api = client_over(Settings())
    for n in range(5):
        answer = await api.request("POST", f"/api/1/cron/job/parlel/?status=ok&duration={n}",
                                   token=None)
        assert answer.code == 202
    listed = (await api.request("GET", "/api/0/organizations/parlel/monitors/job/checkins/")
              ).json()
    assert [check_in["duration"] for check_in in listed] == [4000, 3000, 2000]
