"""
Organizations, teams, projects and client keys through the management API, in memory and
over a real port.
"""

import pytest
import pytest_twisted

from test_issues_api import error_event, send


@pytest.fixture(params=["memory", "tcp"])
def http(request):
    return request.getfixturevalue("api" if request.param == "memory" else "live_api")


@pytest_twisted.ensureDeferred
async def test_organizations(http):
    (org,) = (await http.request("GET", "/api/0/organizations/?cursor=")).json()
    for field in ("id", "slug", "name", "dateCreated", "isEarlyAdopter", "require2FA",
                  "requireEmailVerification", "features"):
        assert field in org
    detail = (await http.request("GET", "/api/0/organizations/1/")).json()
    assert detail["slug"] == "parlel" and [p["slug"] for p in detail["projects"]] == ["parlel"]
    assert [t["slug"] for t in detail["teams"]] == ["parlel"]
    me = (await http.request("GET", "/api/0/users/me/")).json()
    assert (me["id"], me["email"]) == ("1", "parlel@example.com")
    (member,) = (await http.request("GET", "/api/0/organizations/parlel/members/")).json()
    assert member["user"]["id"] == "1" and member["orgRole"] == "owner"
    regions = (await http.request("GET", "/api/0/users/me/regions/")).json()
    assert regions["regions"][0]["url"] == http.base


@pytest_twisted.ensureDeferred
async def test_teams(http):
    created = await http.request("POST", "/api/0/organizations/parlel/teams/",
                                 json_body={"slug": "backend"})
    assert created.code == 201, created
    assert (created.json()["slug"], created.json()["name"]) == ("backend", "backend")
    again = await http.request("POST", "/api/0/organizations/parlel/teams/",
                               json_body={"slug": "backend"})
    assert (again.code, again.json()) == (409, {"detail": "A team with this slug already exists."})
    named = await http.request("POST", "/api/0/organizations/parlel/teams/",
                               json_body={"name": "Front End"})
    assert named.code == 201 and named.json()["slug"] == "front-end"
    missing = await http.request("POST", "/api/0/organizations/parlel/teams/", json_body={})
    assert (missing.code, missing.json()) == (400, {"slug": ["This field is required."]})
    teams = (await http.request("GET", "/api/0/organizations/parlel/teams/")).json()
    assert [t["slug"] for t in teams] == ["parlel", "backend", "front-end"]
    project = await http.request("POST", "/api/0/teams/parlel/backend/projects/",
                                 json_body={"name": "api"})
    assert project.code == 201
    team = (await http.request("GET", "/api/0/teams/parlel/backend/")).json()
    assert [p["slug"] for p in team["projects"]] == ["api"] and team["projectCount"] == 1
    listed = (await http.request("GET", "/api/0/teams/parlel/backend/projects/")).json()
    assert [p["slug"] for p in listed] == ["api"]
    project_teams = (await http.request("GET", "/api/0/projects/parlel/api/teams/")).json()
    assert [t["slug"] for t in project_teams] == ["backend"]
    renamed = await http.request("PUT", "/api/0/teams/parlel/front-end/", json_body={"name": "FE"})
    assert renamed.json()["name"] == "FE"
    deleted = await http.request("DELETE", "/api/0/teams/parlel/backend/")
    assert deleted.code == 204
    assert (await http.request("GET", "/api/0/teams/parlel/backend/")).code == 404
    assert (await http.request("GET", "/api/0/projects/parlel/api/teams/")).json() == []


@pytest_twisted.ensureDeferred
async def test_project_update_and_delete(http):
    updated = await http.request("PUT", "/api/0/projects/parlel/parlel/",
                                 json_body={"name": "Renamed", "platform": "python",
                                            "isBookmarked": True})
    assert updated.code == 200, updated
    body = updated.json()
    assert (body["name"], body["platform"], body["isBookmarked"]) == ("Renamed", "python", True)
    await http.request("POST", "/api/0/organizations/parlel/projects/", json_body={"name": "other"})
    taken = await http.request("PUT", "/api/0/projects/parlel/parlel/", json_body={"slug": "other"})
    # Renaming to a taken slug is a field error, as in Sentry (409 is for creating one).
    assert (taken.code, taken.json()) == (
        400, {"slug": ["Another project (other) is already using that slug"]})
    bad = await http.request("PUT", "/api/0/projects/parlel/parlel/", json_body={"slug": "123"})
    assert bad.code == 400 and "slug" in bad.json()
    moved = await http.request("PUT", "/api/0/projects/parlel/parlel/", json_body={"slug": "web"})
    assert moved.json()["slug"] == "web"
    assert (await http.request("GET", "/api/0/projects/parlel/web/")).code == 200
    everything = (await http.request("GET", "/api/0/projects/")).json()
    assert {p["slug"] for p in everything} == {"web", "other"}
    assert everything[0]["organization"]["slug"] == "parlel"
    gone = await http.request("DELETE", "/api/0/projects/parlel/other/")
    assert gone.code == 204
    assert (await http.request("GET", "/api/0/projects/parlel/other/")).code == 404


@pytest_twisted.ensureDeferred
async def test_deleting_a_project_forgets_its_events(api, store):
    await send(api, error_event(), project=9)
    assert len(store.events(project_id=9)) == 1
    assert (await api.request("DELETE", "/api/0/projects/parlel/9/")).code == 204
    assert len(store.events()) == 0 and store.issue_count() == 0


@pytest_twisted.ensureDeferred
async def test_client_keys(http):
    (key,) = (await http.request("GET", "/api/0/projects/parlel/parlel/keys/")).json()
    assert (key["id"], key["public"], key["projectId"], key["isActive"]) == ("parlel", "parlel", 1, True)
    host = http.base.split("://", 1)[1]
    assert key["dsn"]["public"] == f"http://parlel@{host}/1"
    assert key["dsn"]["crons"] == f"{http.base}/api/1/cron/___MONITOR_SLUG___/parlel/"
    created = await http.request("POST", "/api/0/projects/parlel/parlel/keys/",
                                 json_body={"name": "CI", "rateLimit": {"window": 60, "count": 10}})
    assert created.code == 201, created
    new = created.json()
    assert len(new["public"]) == 32 and new["rateLimit"] == {"window": 60, "count": 10}
    path = f"/api/0/projects/parlel/parlel/keys/{new['id']}/"
    assert (await http.request("GET", path)).json()["name"] == "CI"
    off = (await http.request("PUT", path, json_body={"isActive": False, "name": "Off"})).json()
    assert (off["isActive"], off["name"]) == (False, "Off")
    inactive = (await http.request("GET", "/api/0/projects/parlel/parlel/keys/?status=inactive")).json()
    assert [k["id"] for k in inactive] == [new["id"]]
    org_keys = (await http.request("GET", "/api/0/organizations/parlel/project-keys/")).json()
    assert {k["id"] for k in org_keys} == {"parlel", new["id"]}
    assert (await http.request("DELETE", path)).code == 204
    assert (await http.request("GET", path)).code == 404
    bad = await http.request("POST", "/api/0/projects/parlel/parlel/keys/",
                             json_body={"rateLimit": "lots"})
    assert bad.code == 400 and "rateLimit" in bad.json()


@pytest_twisted.ensureDeferred
async def test_a_new_key_opens_strict_ingest(store):
    from treq.testing import StubTreq

    from conftest import Client
    from sentry_fake.application import Settings, build_root

    api = Client(StubTreq(build_root(store, Settings(strict_ingest=True))), "http://localhost")
    key = (await api.request("POST", "/api/0/projects/parlel/parlel/keys/", json_body={})).json()
    body = b'{}\n{"type":"event"}\n{"message":"strict"}'
    ok = await api.request("POST", "/api/1/envelope/", body=body, token=None,
                           headers={"X-Sentry-Auth": f"Sentry sentry_key={key['public']}"})
    assert ok.code == 200
    await api.request("PUT", f"/api/0/projects/parlel/parlel/keys/{key['id']}/",
                      json_body={"isActive": False})
    refused = await api.request("POST", "/api/1/envelope/", body=body, token=None,
                                headers={"X-Sentry-Auth": f"Sentry sentry_key={key['public']}"})
    assert refused.code == 403


@pytest_twisted.ensureDeferred
async def test_stats(api, store, clock):
    start = int(clock.seconds()) // 3600 * 3600
    await send(api, error_event())
    clock.advance(3600)
    await send(api, error_event())
    await send(api, {"message": "x"}, project=5)
    now = int(clock.seconds())
    project = (await api.request(
        "GET", f"/api/0/projects/parlel/parlel/stats/?since={start}&until={now}&resolution=1h")).json()
    assert project == [[start, 1], [start + 3600, 1]]
    org = (await api.request("GET", f"/api/0/organizations/parlel/stats/?since={start}&until={now}")).json()
    assert org == [[start, 1], [start + 3600, 2]]
    grouped = (await api.request(
        "GET", f"/api/0/organizations/parlel/stats/?since={start}&until={now}&group=project")).json()
    assert grouped == {"1": [[start, 1], [start + 3600, 1]], "5": [[start, 0], [start + 3600, 1]]}
    rejected = (await api.request(
        "GET", f"/api/0/projects/parlel/parlel/stats/?stat=rejected&since={start}&until={now}")).json()
    assert [count for _, count in rejected] == [0, 0]
    for query, detail in [("resolution=7m", "Invalid resolution"),
                          ("until=soon", "until must be a numeric timestamp."),
                          ("since=9&until=1", "start must be before or equal to end")]:
        answer = await api.request("GET", f"/api/0/projects/parlel/parlel/stats/?{query}")
        assert (answer.code, answer.json()) == (400, {"detail": detail})


@pytest_twisted.ensureDeferred
async def test_posting_to_a_project_path_creates_it(api):
    created = await api.request("POST", "/api/0/projects/parlel/checkout/", json_body={})
    assert created.code == 201
    assert (created.json()["slug"], created.json()["name"]) == ("checkout", "checkout")
    again = await api.request("POST", "/api/0/projects/parlel/checkout/",
                              json_body={"name": "Checkout"})
    assert (again.code, again.json()) == (409, {"detail": "A project with this slug already exists."})
    named = await api.request("POST", "/api/0/projects/parlel/web/",
                              json_body={"name": "Web", "platform": "javascript"})
    assert (named.json()["name"], named.json()["platform"]) == ("Web", "javascript")
    bad = await api.request("POST", "/api/0/projects/parlel/Not%20A%20Slug/", json_body={})
    assert bad.code == 400 and "slug" in bad.json()
    detail = await api.request("GET", "/api/0/projects/parlel/checkout/")
    assert detail.code == 200 and detail.json()["team"]["slug"] == "parlel"


@pytest_twisted.ensureDeferred
async def test_a_team_is_given_a_project_and_taken_off_it(api):
    await api.request("POST", "/api/0/organizations/parlel/teams/", json_body={"slug": "ops"})
    added = await api.request("POST", "/api/0/projects/parlel/parlel/teams/ops/")
    assert added.code == 201 and [t["slug"] for t in added.json()["teams"]] == ["parlel", "ops"]
    listed = await api.request("GET", "/api/0/teams/parlel/ops/projects/")
    assert [p["slug"] for p in listed.json()] == ["parlel"]
    again = await api.request("POST", "/api/0/projects/parlel/parlel/teams/ops/")
    assert [t["slug"] for t in again.json()["teams"]] == ["parlel", "ops"]
    removed = await api.request("DELETE", "/api/0/projects/parlel/parlel/teams/ops/")
    assert removed.code == 200 and [t["slug"] for t in removed.json()["teams"]] == ["parlel"]
    assert (await api.request("POST", "/api/0/projects/parlel/parlel/teams/nope/")).code == 404


@pytest.mark.parametrize("path", ["/api/0/organizations/parlel/alert-rules/",
                                  "/api/0/organizations/parlel/combined-rules/",
                                  "/api/0/organizations/parlel/dashboards/",
                                  "/api/0/projects/parlel/parlel/rules/"])
@pytest_twisted.ensureDeferred
async def test_nothing_to_alert_or_draw_is_an_empty_list(api, path):
    answer = await api.request("GET", path)
    assert (answer.code, answer.json()) == (200, [])
    assert (await api.request("GET", path.replace("parlel", "nope", 1))).code == 404
