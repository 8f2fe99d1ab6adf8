"""
The real sentry-cli against a listening server: info, organizations, projects and issues.
"""

import os

import pytest_twisted
from twisted.internet.utils import getProcessOutputAndValue

from records import ingest as store_event
from sentry_cli_runner import TOKEN, sentry_cli_path
from test_issues_api import error_event


def ingest(server, *payloads):
    project = server.store.directory.project_by_id(1)
    return [store_event(server.store, payload, project.id, b"{}") for payload in payloads]


@pytest_twisted.ensureDeferred
async def test_info(cli):
    code, out, err = await cli("info")
    assert code == 0, err
    assert "parlel@example.com" in out and "project:releases" in out
    code, out, err = await cli("info", "--config-status-json")
    assert code == 0 and '"successful":true' in out.replace(" ", "")


@pytest_twisted.ensureDeferred
async def test_organizations_and_projects(cli, live_api):
    code, out, err = await cli("organizations", "list")
    assert code == 0, err
    assert "parlel" in out
    created = await live_api.request("POST", "/api/0/teams/parlel/parlel/projects/",
                                     json_body={"name": "Web Shop", "platform": "python"})
    assert created.code == 201
    code, out, err = await cli("projects", "list")
    assert code == 0, err
    assert "web-shop" in out and "Web Shop" in out


@pytest_twisted.ensureDeferred
async def test_issues_list_resolve_mute_unresolve(cli, server, live_api):
    ingest(server, error_event(function="first"), error_event(function="second"),
           {"message": "third issue", "level": "warning"})
    issues = (await live_api.request("GET", "/api/0/projects/parlel/parlel/issues/")).json()
    by_culprit = {issue["culprit"]: issue for issue in issues}
    first, second = by_culprit["__main__ in first"], by_culprit["__main__ in second"]

    code, out, err = await cli("issues", "list")
    assert code == 0, err
    for issue in issues:
        assert issue["shortId"] in out

    async def status_of(issue):
        answer = await live_api.request("GET", f"/api/0/issues/{issue['id']}/")
        return answer.json()["status"]

    code, out, err = await cli("issues", "resolve", "-i", first["id"], "-i", second["id"])
    assert code == 0, err
    assert [await status_of(first), await status_of(second)] == ["resolved", "resolved"]
    code, out, err = await cli("issues", "unresolve", "-i", first["id"])
    assert code == 0, err
    assert await status_of(first) == "unresolved"
    code, out, err = await cli("issues", "mute", "-i", first["id"])
    assert code == 0, err
    assert await status_of(first) == "ignored"
    code, out, err = await cli("issues", "list", "--query", "is:ignored")
    assert code == 0, err
    assert first["shortId"] in out and second["shortId"] not in out
    code, out, err = await cli("issues", "resolve", "--all")
    assert code == 0, err
    remaining = (await live_api.request("GET", "/api/0/projects/parlel/parlel/issues/")).json()
    assert remaining == []


@pytest_twisted.ensureDeferred
async def test_a_missing_token_is_reported(cli, server, tmp_path):
    env = dict(os.environ, SENTRY_URL=server.url + "/", SENTRY_AUTH_TOKEN="wrong",
               SENTRY_DISABLE_UPDATE_CHECK="1", HOME=str(tmp_path))
    limited = await start_limited(server)
    try:
        out, err, code = await getProcessOutputAndValue(
            sentry_cli_path(), ["--url", limited.url + "/", "organizations", "list"], env=env)
        assert code != 0 and b"Invalid token" in out + err
    finally:
        await limited.stop()


async def start_limited(server):
    from twisted.internet import reactor

    from sentry_fake.application import Settings
    from sentry_fake.testing import start_server

    return await start_server(reactor, Settings(auth_tokens=(TOKEN,)))
