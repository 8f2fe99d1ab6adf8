"""
The management API against Sentry's published OpenAPI schema: every operation the fake serves
that the schema documents is called over a store holding every kind of object in its several
states (a new project and one with events, issues unresolved, ignored, assigned to a user and
to a team, releases with commits and deploys and without, monitors with and without a
schedule, ...), and each answer must have a documented status and a body that validates.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import attrs
import pytest
import pytest_twisted

import openapi_schema
from openapi_schema import documented_statuses, documents_body, template_of, violations
from scenario import AUTH, ORG, PROJECT, envelope, every_record, event_item, ok

if not openapi_schema.location().exists():
    pytest.skip(f"Sentry's OpenAPI schema is not at {openapi_schema.location()} "
                "(set SENTRY_OPENAPI to its openapi-derefed.json)", allow_module_level=True)

REPLAY_ID = "9" * 32
REPLAY_EVENT = {"type": "replay_event", "replay_id": REPLAY_ID, "event_id": REPLAY_ID,
                "segment_id": 0, "replay_type": "session", "timestamp": 1795000010.0,
                "replay_start_timestamp": 1795000000.0, "urls": ["https://shop/"],
                "error_ids": ["f" * 32], "trace_ids": ["a" * 32], "platform": "javascript",
                "environment": "prod", "release": "shop@1.0",
                "sdk": {"name": "sentry.javascript.browser", "version": "11.0.0"},
                "user": {"id": "42", "email": "jane@example.com"}}
PROFILE_ID = "8" * 32
PROFILE = {"event_id": PROFILE_ID, "version": "1", "platform": "python", "release": "shop@1.0",
           "environment": "prod", "timestamp": "2026-11-18T10:00:00Z",
           "os": {"name": "Linux", "version": "6.1", "build_number": ""},
           "device": {"architecture": "x86_64"}, "runtime": {"name": "CPython", "version": "3.12"},
           "transaction": {"id": "f" * 32, "name": "/checkout", "trace_id": "a" * 32,
                           "active_thread_id": "1"},
           "profile": {"samples": [{"stack_id": 0, "thread_id": "1",
                                    "elapsed_since_start_ns": "1000"}],
                       "stacks": [[0]], "frames": [{"function": "main", "module": "app"}],
                       "thread_metadata": {"1": {"name": "MainThread"}}}}
PROFILER_ID = "7" * 32
CHUNK = {"version": "2", "profiler_id": PROFILER_ID, "chunk_id": "6" * 32,
         "platform": "python", "release": "shop@1.0", "environment": "prod",
         "client_sdk": {"name": "sentry.python", "version": "2.75.0"},
         "profile": {"samples": [{"stack_id": 0, "thread_id": "1", "timestamp": 1795000001.5}],
                     "stacks": [[0]], "frames": [{"function": "work", "in_app": True}],
                     "thread_metadata": {"1": {"name": "MainThread"}}}}
NIGHTLY = {"schedule": {"type": "crontab", "value": "0 3 * * *"}, "checkin_margin": 5,
           "max_runtime": 30, "timezone": "UTC"}


def python_error(**extra: Any) -> dict[str, Any]:
    """
    An error event with what the Python SDK sends: breadcrumbs, request, contexts, user, sdk.
    """
    return {
        "platform": "python", "level": "error", "release": "shop@1.0", "environment": "prod",
        "server_name": "web-1", "transaction": "/checkout", "logger": "shop.checkout",
        "user": {"id": "42", "email": "jane@example.com", "ip_address": "10.0.0.1"},
        "tags": {"tenant": "acme"}, "extra": {"cart": 3},
        "request": {"url": "https://shop.example/checkout", "method": "POST",
                    "headers": {"User-Agent": "curl/8"}, "query_string": "a=1"},
        "contexts": {"runtime": {"name": "CPython", "version": "3.12.1"},
                     "trace": {"trace_id": "a" * 32, "span_id": "b" * 16, "op": "http.server"}},
        "breadcrumbs": {"values": [{"timestamp": 1795000000.0, "category": "cart",
                                    "message": "cart loaded", "level": "info"}]},
        "sdk": {"name": "sentry.python", "version": "2.75.0",
                "packages": [{"name": "pypi:sentry-sdk", "version": "2.75.0"}]},
        "exception": {"values": [{"type": "KeyError", "value": "'sku'",
                                  "mechanism": {"type": "generic", "handled": True},
                                  "stacktrace": {"frames": [
                                      {"function": "checkout", "module": "shop.checkout",
                                       "filename": "shop/checkout.py", "lineno": 12,
                                       "in_app": True, "context_line": "cart['sku']",
                                       "vars": {"cart": "{}"}}]}}]},
        **extra}


def transaction() -> dict[str, Any]:
    return {"type": "transaction", "transaction": "/checkout", "platform": "python",
            "start_timestamp": 1795000000.0, "timestamp": 1795000000.25,
            "contexts": {"trace": {"trace_id": "c" * 32, "span_id": "d" * 16,
                                   "op": "http.server", "status": "ok"}},
            "spans": [{"span_id": "e" * 16, "parent_span_id": "d" * 16, "trace_id": "c" * 32,
                       "op": "db", "description": "SELECT 1", "start_timestamp": 1795000000.0,
                       "timestamp": 1795000000.1}]}


@attrs.frozen
class Seeded:
    """
    What the contract scenario made, by the names of Sentry's path parameters.
    """

    ids: dict[str, str]


async def seed(api, clock) -> Seeded:
    await every_record(api, clock)
    error_id = "f" * 32
    body = envelope(event_item(dict(python_error(), event_id=error_id)),
                    ({"type": "attachment", "filename": "cart.json",
                      "content_type": "application/json"}, b'{"sku": null}'),
                    header={"event_id": error_id})
    await ok(api.request("POST", "/api/1/envelope/", body=body, headers=AUTH, token=None))
    await ok(api.request("POST", "/api/1/envelope/", headers=AUTH, token=None, body=envelope(
        ({"type": "transaction"}, json.dumps(transaction()).encode()))))
    clock.advance(1)
    check_in = {"monitor_slug": "nightly-export", "status": "ok", "duration": 2.5,
                "environment": "prod", "monitor_config": NIGHTLY}
    await ok(api.request("POST", "/api/1/envelope/", headers=AUTH, token=None, body=envelope(
        ({"type": "check_in"}, json.dumps(check_in).encode()))))
    await ok(api.request("POST", f"{PROJECT}/user-feedback/", json_body={
        "event_id": error_id, "name": "Jane", "email": "jane@example.com",
        "comments": "It broke"}))
    await ok(api.request("POST", "/api/1/envelope/", headers=AUTH, token=None, body=envelope(
        ({"type": "replay_event"}, json.dumps(REPLAY_EVENT).encode()),
        ({"type": "replay_recording"}, b'{"segment_id": 0}\n' + json.dumps(
            [{"type": 4, "timestamp": 1795000000000, "data": {"href": "https://shop/"}}]
        ).encode()), header={"event_id": REPLAY_ID})))
    await ok(api.request("POST", "/api/1/envelope/", headers=AUTH, token=None, body=envelope(
        ({"type": "profile"}, json.dumps(PROFILE).encode()),
        ({"type": "profile_chunk"}, json.dumps(CHUNK).encode()))))
    found = (await ok(api.request("GET", f"/api/0/organizations/parlel/eventids/{error_id}/")
                      )).json()
    issue = found["groupId"]
    assigned = (await ok(api.request("PUT", f"/api/0/issues/{issue}/",
                                     json_body={"assignedTo": "#parlel"}))).json()
    await ok(api.request("POST", f"{ORG}/projects/", json_body={"name": "Empty"}), 201)
    # Sentry makes a monitor only from a check-in with a schedule; the fake's monitors made
    # without one (a state Sentry cannot reach) show a null schedule, outside the schema.
    for slug in ("nightly-a", "other-a"):
        await ok(api.request("DELETE", f"{ORG}/monitors/{slug}/"), 202)
    [attachment] = (await ok(api.request(
        "GET", f"{PROJECT}/events/{error_id}/attachments/"))).json()
    version = "shop@2.0-a"
    [file, *_] = (await ok(api.request("GET", f"{ORG}/releases/{quote(version)}/files/"))).json()
    [key, *_] = (await ok(api.request("GET", f"{PROJECT}/keys/"))).json()
    return Seeded(ids={
        "organization_id_or_slug": "parlel", "project_id_or_slug": "parlel",
        "team_id_or_slug": "parlel", "issue_id": issue, "event_id": error_id,
        "attachment_id": attachment["id"], "monitor_id_or_slug": "nightly-export",
        "version": quote(version, safe=""), "file_id": file["id"], "key_id": key["id"],
        "key": "tenant", "short_id": assigned["shortId"], "trace_id": "c" * 32,
        "replay_id": REPLAY_ID, "profile_id": PROFILE_ID})


@attrs.frozen
class Case:
    method: str
    path: str
    status: int
    query: str = ""
    body: Any = None
    ids: dict[str, str] = attrs.field(factory=dict)

    @property
    def name(self) -> str:
        return f"{self.method} {self.path}{'?' + self.query if self.query else ''} {self.status}"


O = "/api/0/organizations/{organization_id_or_slug}"
P = "/api/0/projects/{organization_id_or_slug}/{project_id_or_slug}"
T = "/api/0/teams/{organization_id_or_slug}/{team_id_or_slug}"
I = O + "/issues/{issue_id}"
R = O + "/releases/{version}"
M = O + "/monitors/{monitor_id_or_slug}"

CASES = [
    Case("GET", "/api/0/organizations/", 200),
    Case("GET", O + "/", 200),
    Case("GET", O + "/", 404, ids={"organization_id_or_slug": "nobody"}),
    Case("GET", O + "/dashboards/", 200),
    Case("GET", O + "/environments/", 200),
    Case("GET", O + "/eventids/{event_id}/", 200),
    Case("GET", O + "/eventids/{event_id}/", 404, ids={"event_id": "0" * 32}),
    Case("GET", O + "/issues/", 200, "query="),
    Case("GET", O + "/issues/", 200, "query=is:unresolved&groupStatsPeriod=24h&project=-1"),
    Case("GET", O + "/issues/", 400, "query=is:nonsense"),
    Case("PUT", O + "/issues/", 200, "query=", {"status": "resolved"}),
    Case("PUT", O + "/issues/", 204, "id=999999", {"status": "resolved"}),
    Case("DELETE", O + "/issues/", 204, "query=is:unresolved"),
    Case("GET", O + "/members/", 200),
    Case("GET", O + "/monitors/", 200),
    Case("GET", M + "/", 200),
    Case("GET", M + "/", 404, ids={"monitor_id_or_slug": "absent"}),
    Case("PUT", M + "/", 200, body={"name": "Nightly export", "isMuted": True}),
    Case("DELETE", M + "/", 202),
    Case("GET", M + "/checkins/", 200),
    Case("GET", O + "/project-keys/", 200),
    Case("GET", O + "/projects/", 200),
    Case("POST", O + "/projects/", 201, body={"name": "Payments", "platform": "python"}),
    Case("POST", O + "/projects/", 409, body={"name": "parlel"}),
    Case("GET", O + "/releases/", 200, "status="),
    Case("POST", O + "/releases/", 201, body={"version": "shop@3.0", "projects": ["parlel"]}),
    Case("POST", O + "/releases/", 208, body={"version": "shop@1.0", "projects": ["parlel"]}),
    Case("POST", O + "/releases/", 400, body={"version": "", "projects": ["parlel"]}),
    Case("GET", R + "/", 200),
    Case("GET", R + "/", 200, ids={"version": "shop%401.0"}),
    Case("GET", R + "/", 404, ids={"version": "absent"}),
    Case("PUT", R + "/", 200, body={"ref": "main", "dateReleased": "2026-11-30T12:00:00Z"}),
    Case("DELETE", R + "/", 204),
    Case("GET", R + "/commits/", 200),
    Case("GET", R + "/deploys/", 200),
    Case("POST", R + "/deploys/", 201, body={"environment": "production", "name": "d1"}),
    Case("GET", R + "/files/", 200),
    Case("GET", R + "/files/{file_id}/", 200),
    Case("GET", O + "/replay-count/", 200, "data_source=discover&query=issue.id:[1]"),
    Case("GET", O + "/repos/", 200),
    Case("GET", O + "/shortids/{short_id}/", 200),
    Case("GET", O + "/stats_v2/", 200, "field=sum(quantity)&groupBy=category&groupBy=outcome"
                                        "&groupBy=reason&statsPeriod=1d&interval=1h"),
    Case("GET", O + "/stats_v2/", 200, "field=sum(times_seen)&field=sum(quantity)&category=error"
                                        "&outcome=accepted&project=-1&statsPeriod=2h&interval=5m"),
    Case("GET", O + "/stats_v2/", 404, "field=sum(quantity)&category=error&statsPeriod=1d",
         ids={"organization_id_or_slug": "nobody"}),
    Case("GET", O + "/stats-summary/", 200, "field=sum(quantity)&statsPeriod=1d"),
    Case("GET", O + "/stats-summary/", 200, "field=sum(times_seen)&statsPeriod=1d&reason=none"
                                             "&outcome=accepted&category=error"),
    Case("GET", O + "/teams/", 200),
    Case("POST", O + "/teams/", 201, body={"slug": "payments"}),
    Case("GET", P + "/", 200),
    Case("GET", P + "/", 200, ids={"project_id_or_slug": "empty"}),
    Case("GET", P + "/", 404, ids={"project_id_or_slug": "absent"}),
    Case("PUT", P + "/", 200, body={"name": "Shop", "platform": "python"}),
    Case("DELETE", P + "/", 204, ids={"project_id_or_slug": "empty"}),
    Case("GET", P + "/events/", 200),
    Case("GET", P + "/events/{event_id}/", 200),
    Case("GET", P + "/events/{event_id}/attachments/", 200),
    Case("GET", P + "/events/{event_id}/attachments/{attachment_id}/", 200),
    Case("GET", P + "/files/dsyms/", 200),
    Case("GET", P + "/keys/", 200),
    Case("POST", P + "/keys/", 201, body={"name": "ci", "rateLimit": {"window": 60,
                                                                       "count": 100}}),
    Case("GET", P + "/keys/{key_id}/", 200),
    Case("PUT", P + "/keys/{key_id}/", 200, body={"name": "renamed", "isActive": False}),
    Case("DELETE", P + "/keys/{key_id}/", 204),
    Case("GET", P + "/monitors/{monitor_id_or_slug}/", 200),
    Case("PUT", P + "/monitors/{monitor_id_or_slug}/", 200, body={"status": "disabled"}),
    Case("DELETE", P + "/monitors/{monitor_id_or_slug}/", 202),
    Case("GET", P + "/monitors/{monitor_id_or_slug}/checkins/", 200),
    Case("GET", P + "/releases/", 200),
    Case("GET", P + "/releases/{version}/commits/", 200),
    Case("GET", P + "/releases/{version}/files/", 200),
    Case("GET", P + "/releases/{version}/files/{file_id}/", 200),
    Case("GET", P + "/stats/", 200),
    Case("GET", P + "/stats/", 200, "stat=received&resolution=1h"),
    Case("GET", P + "/teams/", 200),
    Case("POST", P + "/teams/{team_id_or_slug}/", 201, ids={"team_id_or_slug": "ops-a"}),
    Case("DELETE", P + "/teams/{team_id_or_slug}/", 200),
    Case("GET", T + "/", 200),
    Case("PUT", T + "/", 200, body={"slug": "core", "name": "Core"}),
    Case("DELETE", T + "/", 204, ids={"team_id_or_slug": "ops-a"}),
    Case("GET", T + "/projects/", 200),
    Case("POST", T + "/projects/", 201, body={"name": "Mobile", "platform": "android"}),
    Case("POST", T + "/projects/", 409, body={"name": "parlel"}),
    Case("GET", P + "/user-feedback/", 200),
    Case("POST", P + "/user-feedback/", 200, body={
        "event_id": "f" * 32, "name": "Ann", "email": "ann@example.com", "comments": "Again"}),
    Case("GET", P + "/issues/", 200, "query="),
    Case("PUT", P + "/issues/", 200, "id={issue_id}", {"status": "resolved"}),
    Case("DELETE", P + "/issues/", 204, "id={issue_id}"),
    Case("GET", I + "/tags/{key}/values/", 200),
    Case("GET", I + "/", 200),
    Case("GET", I + "/", 200, ids={"issue_id": "{short_id}"}),
    Case("GET", I + "/", 404, ids={"issue_id": "999999"}),
    Case("PUT", I + "/", 200, body={"status": "ignored", "statusDetails": {
        "ignoreCount": 10}}),
    Case("PUT", I + "/", 200, body={"assignedTo": "user:1", "isBookmarked": True}),
    Case("PUT", I + "/", 400, body={"assignedTo": "user:999"}),
    Case("DELETE", I + "/", 202),
    Case("GET", I + "/autofix/", 200),
    Case("POST", I + "/autofix/", 403, body={}),
    Case("GET", I + "/events/", 200),
    Case("GET", I + "/events/{event_id}/", 200),
    Case("GET", I + "/events/{event_id}/", 200, ids={"event_id": "latest"}),
    Case("GET", I + "/external-issues/", 200),
    Case("GET", I + "/hashes/", 200),
    Case("GET", I + "/tags/{key}/", 200),
    Case("GET", O + "/events/", 200,
         "dataset=spans&field=span.op&field=span.duration&field=timestamp&sort=-span.duration"),
    Case("GET", O + "/events/", 200, "dataset=spans&field=span.op&field=count()"
                                     "&field=p95(span.duration)&sort=-count()"),
    Case("GET", O + "/events/", 200, "dataset=errors&field=issue&field=title&field=count()"
                                     "&field=last_seen()&sort=-count"),
    Case("GET", O + "/events/", 200, "dataset=transactions&field=transaction"
                                     "&field=transaction.duration"),
    Case("GET", O + "/events/", 200, "dataset=logs&field=sentry.item_id&field=message"
                                     "&field=timestamp&sort=-timestamp"),
    Case("GET", O + "/events/", 400, "dataset=nope&field=id"),
    Case("GET", O + "/events/", 400, "dataset=errors&field=title&sort=-count()"),
    Case("GET", O + "/events/", 403, "dataset=spans&field=id&project=999"),
    Case("GET", O + "/trace-meta/{trace_id}/", 200),
    Case("GET", O + "/trace/{trace_id}/", 200),
    Case("GET", O + "/trace-items/attributes/", 200, "itemType=spans"),
    Case("GET", O + "/trace-items/attributes/", 200, "itemType=logs&attributeType=string"),
    Case("GET", O + "/replays/", 200),
    Case("GET", O + "/replays/{replay_id}/", 200),
    Case("GET", O + "/replays/{replay_id}/", 404, ids={"replay_id": "0" * 32}),
    Case("GET", P + "/replays/{replay_id}/recording-segments/", 200),
    Case("GET", P + "/profiling/profiles/{profile_id}/", 200),
    Case("GET", P + "/profiling/profiles/{profile_id}/", 404, ids={"profile_id": "0" * 32}),
    Case("GET", O + "/profiling/chunks/", 200, f"project=1&profiler_id={PROFILER_ID}"),
    Case("GET", O + "/replay-count/", 200, "query=issue.id:[{issue_id}]&data_source=discover"),
]


def _fill(text: str, ids: dict[str, str]) -> str:
    for name, value in ids.items():
        text = text.replace("{" + name + "}", value)
    return text


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
@pytest_twisted.ensureDeferred
async def test_operation_answers_as_documented(api, clock, case: Case):
    seeded = await seed(api, clock)
    ids = dict(seeded.ids, **{name: _fill(value, seeded.ids) for name, value in case.ids.items()})
    url = _fill(case.path, ids) + ("?" + _fill(case.query, ids) if case.query else "")
    headers = {"Content-Type": "application/json"} if case.body is not None else None
    body = json.dumps(case.body).encode() if case.body is not None else None
    answer = await api.request(case.method, url, body=body, headers=headers)
    template = template_of(case.path)
    assert answer.code == case.status, answer
    assert answer.code in documented_statuses(case.method, template), (
        f"{answer.code} is not a status Sentry documents for {case.method} {case.path}")
    if answer.code == 204:
        assert answer.content == b""
        return
    assert answer.header("Content-Type").startswith("application/json")
    if documents_body(case.method, template, answer.code):
        broken = violations(case.method, template, answer.code, answer.json())
        assert not broken, "\n".join(broken[:40])
    elif answer.code >= 400:
        error = answer.json()  # Sentry's {"detail": ...}, or a field -> messages map
        assert isinstance(error, dict) and error, answer
    elif answer.content:
        answer.json()  # an answer the schema shows no body for (208's release) is still JSON


def _served_and_documented() -> set[tuple[str, str]]:
    from sentry_fake.management.app import app
    from sentry_fake.application import build_root  # noqa: F401  (registers every route)

    served = {(method, template_of(rule.rule))
              for rule in app.url_map.iter_rules() for method in rule.methods or ()}
    return served & set(openapi_schema.operations())


def test_every_documented_operation_the_fake_serves_has_a_case():
    covered = {(case.method, template_of(case.path)) for case in CASES}
    missing = sorted(_served_and_documented() - covered)
    assert not missing, f"no contract case for: {missing}"


def test_every_case_names_a_documented_operation():
    unknown = [case.name for case in CASES
               if (case.method, template_of(case.path)) not in openapi_schema.operations()]
    assert not unknown
