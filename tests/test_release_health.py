"""
Release health: session updates and aggregates counted on their releases.
"""

import json

import pytest_twisted

AUTH = {"X-Sentry-Auth": "Sentry sentry_key=parlel, sentry_version=7"}


async def send_items(api, *items):
    body = b"{}\n" + b"".join(json.dumps({"type": t}).encode() + b"\n" + json.dumps(p).encode()
                              + b"\n" for t, p in items)
    answer = await api.request("POST", "/api/1/envelope/", body=body, headers=AUTH, token=None)
    assert answer.code == 200, answer


@pytest_twisted.ensureDeferred
async def test_sessions_make_release_health(api):
    attrs = {"release": "app@2.0", "environment": "production"}
    await send_items(
        api,
        ("session", {"sid": "s1", "did": "u1", "init": True, "status": "ok", "attrs": attrs}),
        ("session", {"sid": "s1", "did": "u1", "status": "exited", "errors": 1, "attrs": attrs}),
        ("session", {"sid": "s2", "did": "u2", "status": "crashed", "attrs": attrs}),
        ("sessions", {"attrs": attrs, "aggregates": [
            {"started": "2026-11-22T08:22:00Z", "exited": 5, "errored": 1, "crashed": 2}]}),
        ("session", {"sid": "x", "status": "ok"}),  # no release: not counted
    )
    release = (await api.request("GET", "/api/0/organizations/parlel/releases/app@2.0/?health=1")).json()
    (project,) = release["projects"]
    health = project["healthData"]
    assert project["hasHealthData"] is True
    assert (health["totalSessions"], health["totalUsers"], health["sessionsCrashed"],
            health["sessionsErrored"]) == (10, 2, 3, 2)
    assert health["crashFreeSessions"] == 70.0 and health["crashFreeUsers"] == 50.0
    plain = (await api.request("GET", "/api/0/organizations/parlel/releases/app@2.0/")).json()
    assert "healthData" not in plain["projects"][0] and plain["projects"][0]["hasHealthData"]
    listed = (await api.request("GET", "/api/0/organizations/parlel/releases/?health=1")).json()
    assert listed[0]["projects"][0]["healthData"]["totalSessions"] == 10
    project_body = (await api.request("GET", "/api/0/projects/parlel/parlel/")).json()
    assert project_body["hasSessions"] is True
