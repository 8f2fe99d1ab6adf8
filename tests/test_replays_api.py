"""
Session replays and profiles through Sentry's routes: a replay gathered from its segments'
events and recordings, its recording segments (plain or compressed), how many replays an issue
has, a transaction profile as Sentry's profiling service answers it, and a profiler's chunks.
"""

from __future__ import annotations

import json
import zlib

import pytest_twisted

from scenario import event_item
from test_explore_api import item, send
from test_openapi_contract import CHUNK, PROFILE, PROFILE_ID, PROFILER_ID, REPLAY_EVENT, REPLAY_ID

ORG = "/api/0/organizations/parlel"
PROJECT = "/api/0/projects/parlel/parlel"


def recording(segment: int, events: list, compressed: bool = False) -> tuple[dict, bytes]:
    data = json.dumps(events).encode()
    payload = json.dumps({"segment_id": segment}).encode() + b"\n" + (
        zlib.compress(data) if compressed else data)
    return {"type": "replay_recording"}, payload


async def replay(api):
    await send(api, event_item({"event_id": "f" * 32, "message": "boom", "level": "error"}))
    first = [{"type": 4, "timestamp": 1, "data": {"href": "https://shop/"}}]
    second = [{"type": 5, "timestamp": 2, "data": {"tag": "ui.click"}}]
    await send(api, item("replay_event", REPLAY_EVENT), recording(0, first),
               header={"event_id": REPLAY_ID})
    await send(api, item("replay_event", dict(REPLAY_EVENT, segment_id=1, timestamp=1795000030.0,
                                              urls=["https://shop/pay"], error_ids=[])),
               recording(1, second, compressed=True), header={"event_id": REPLAY_ID})
    return first, second


@pytest_twisted.ensureDeferred
async def test_a_replay_and_its_segments(api):
    first, second = await replay(api)
    [listed] = (await api.request("GET", f"{ORG}/replays/")).json()["data"]
    assert listed["id"] == REPLAY_ID and listed["project_id"] == "1"
    assert (listed["count_segments"], listed["count_errors"]) == (2, 1)
    assert listed["urls"] == ["https://shop/", "https://shop/pay"]
    assert listed["duration"] == 30 and listed["started_at"].endswith("+00:00")
    assert listed["user"]["display_name"] == "jane@example.com"
    assert listed["sdk"] == {"name": "sentry.javascript.browser", "version": "11.0.0"}
    detail = (await api.request("GET", f"{ORG}/replays/{REPLAY_ID}/")).json()["data"]
    assert detail == listed
    segments = (await api.request(
        "GET", f"{PROJECT}/replays/{REPLAY_ID}/recording-segments/?download=true")).json()
    assert segments == [first, second]
    assert (await api.request("GET", f"{ORG}/replays/{'0' * 32}/")).code == 404


@pytest_twisted.ensureDeferred
async def test_how_many_replays_an_issue_has(api):
    await replay(api)
    [issue] = (await api.request("GET", f"{PROJECT}/issues/")).json()
    query = f"query=issue.id:[{issue['id']}]&data_source=discover&statsPeriod=90d&project=-1"
    assert (await api.request("GET", f"{ORG}/replay-count/?{query}")).json() == {issue["id"]: 1}
    ids = (await api.request("GET", f"{ORG}/replay-count/?{query}&returnIds=true")).json()
    assert ids == {issue["id"]: [REPLAY_ID]}


@pytest_twisted.ensureDeferred
async def test_a_profile_and_a_profilers_chunks(api):
    await send(api, item("profile", PROFILE), item("profile_chunk", CHUNK))
    profile = (await api.request("GET", f"{PROJECT}/profiling/profiles/{PROFILE_ID}/")).json()
    [sample] = profile["profile"]["samples"]
    # As Sentry's profiling service answers: numbers where the SDK sent text, in_app set.
    assert (sample["elapsed_since_start_ns"], sample["thread_id"]) == (1000, 1)
    assert profile["profile"]["frames"] == [{"function": "main", "module": "app",
                                             "in_app": False}]
    assert profile["release"] == {"version": "shop@1.0"}
    chunk = (await api.request("GET", f"{ORG}/profiling/chunks/?project=1"
                                      f"&profiler_id={PROFILER_ID}")).json()["chunk"]
    assert chunk["chunk_id"] == "6" * 32 and chunk["profile"]["samples"][0]["thread_id"] == "1"
    none = (await api.request("GET", f"{ORG}/profiling/chunks/?project=1"
                                     f"&profiler_id={'5' * 32}")).json()
    assert none == {"chunk": None}
    refused = await api.request("GET", f"{ORG}/profiling/chunks/?profiler_id={PROFILER_ID}")
    assert refused.json() == {"detail": "one project_id must be specified."}
