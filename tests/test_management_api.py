"""
The management API's seed part, run against the in-memory client and a real listening port.
"""

import re

import pytest
import pytest_twisted

from conftest import TOKEN

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


@pytest.fixture(params=["memory", "tcp"])
def http(request):
    return request.getfixturevalue("api" if request.param == "memory" else "live_api")


@pytest_twisted.ensureDeferred
async def test_api_root_reports_the_token(http):
    answer = await http.request("GET", "/api/0/")
    assert answer.code == 200
    body = answer.json()
    assert "project:releases" in body["auth"]["scopes"]
    assert body["user"]["email"] and body["user"]["id"]
    anonymous = (await http.request("GET", "/api/0/", token=None)).json()
    assert anonymous["auth"] is None and anonymous["user"] is None


@pytest_twisted.ensureDeferred
async def test_list_projects_of_the_seeded_organization(http):
    answer = await http.request("GET", "/api/0/organizations/parlel/projects/?cursor=")
    assert answer.code == 200, answer
    assert answer.header("content-type") == "application/json"
    (project,) = answer.json()
    assert (project["id"], project["slug"], project["platform"]) == ("1", "parlel", None)
    assert project["team"] == {"id": "1", "slug": "parlel", "name": "parlel"}
    assert ISO.match(project["dateCreated"])
    link = answer.header("link")
    assert 'rel="previous"; results="false"; cursor="0:0:1"' in link
    assert 'rel="next"; results="false"; cursor="0:100:0"' in link


@pytest_twisted.ensureDeferred
async def test_create_and_get_a_project(http):
    answer = await http.request("POST", "/api/0/organizations/parlel/projects/",
                                json_body={"name": "My Proj", "platform": "python"})
    assert answer.code == 201, answer
    created = answer.json()
    assert (created["slug"], created["name"], created["platform"]) == ("my-proj", "My Proj", "python")
    assert created["organization"]["slug"] == "parlel"
    answer = await http.request("GET", "/api/0/projects/parlel/my-proj/")
    assert answer.code == 200 and answer.json()["id"] == created["id"]
    by_id = await http.request("GET", f"/api/0/projects/parlel/{created['id']}/")
    assert by_id.json()["slug"] == "my-proj"
    again = await http.request("POST", "/api/0/organizations/parlel/projects/",
                               json_body={"name": "My Proj"})
    assert (again.code, again.json()) == (409, {"detail": "A project with this slug already exists."})
    under_team = await http.request("POST", "/api/0/teams/parlel/parlel/projects/",
                                    json_body={"name": "Other", "slug": "other"})
    assert under_team.code == 201 and under_team.json()["teams"][0]["slug"] == "parlel"


@pytest_twisted.ensureDeferred
async def test_project_validation(http):
    answer = await http.request("POST", "/api/0/organizations/parlel/projects/", json_body={})
    assert (answer.code, answer.json()) == (400, {"name": ["This field is required."]})
    answer = await http.request("POST", "/api/0/organizations/parlel/projects/", body=b"{nope",
                                headers={"Content-Type": "application/json"})
    assert answer.code == 400 and "JSON parse error" in answer.json()["detail"]


@pytest_twisted.ensureDeferred
async def test_errors(http):
    cases = [
        ("GET", "/api/0/organizations/parlel/projects/", None, 401,
         {"detail": "Authentication credentials were not provided."}),
        ("GET", "/api/0/organizations/nope/projects/", TOKEN, 404,
         {"detail": "The requested resource does not exist"}),
        ("GET", "/api/0/projects/parlel/nope/", TOKEN, 404,
         {"detail": "The requested resource does not exist"}),
        ("GET", "/api/0/no/such/route/", TOKEN, 404,
         {"detail": "The requested resource does not exist"}),
        ("DELETE", "/api/0/organizations/parlel/projects/", TOKEN, 405,
         {"detail": 'Method "DELETE" not allowed.'}),
    ]
    for method, path, token, status, body in cases:
        answer = await http.request(method, path, token=token)
        assert (answer.code, answer.json()) == (status, body), (method, path)
        assert answer.header("content-type") == "application/json"
    bad = await http.request("GET", "/api/0/organizations/", headers={"Authorization": "Token x"})
    assert (bad.code, bad.json()) == (401, {"detail": "Invalid token"})


@pytest_twisted.ensureDeferred
async def test_pagination_limits(http):
    answer = await http.request("GET", "/api/0/organizations/parlel/projects/?per_page=0")
    assert (answer.code, answer.json()) == (
        400, {"detail": "Invalid per_page value. Must be between 1 and 100."})
    answer = await http.request("GET", "/api/0/organizations/parlel/projects/?cursor=x")
    assert (answer.code, answer.json()) == (400, {"detail": "Invalid cursor parameter."})


@pytest_twisted.ensureDeferred
async def test_configured_tokens_are_the_only_ones(store):
    from treq.testing import StubTreq

    from conftest import Client
    from sentry_fake.application import Settings, build_root

    api = Client(StubTreq(build_root(store, Settings(auth_tokens=("good",)))), "http://localhost")
    assert (await api.request("GET", "/api/0/organizations/", token="good")).code == 200
    assert (await api.request("GET", "/api/0/organizations/", token="bad")).code == 401
