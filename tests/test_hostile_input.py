"""
Input that once made the server stall or fail after accepting it: each now gets a clear
answer, and whatever was accepted stays readable.
"""

import json

import pytest
import pytest_twisted

AUTH = {"X-Sentry-Auth": "Sentry sentry_key=parlel, sentry_version=7"}


async def send(api, payload):
    answer = await api.request("POST", "/api/1/store/", body=json.dumps(payload).encode(),
                               headers=AUTH, token=None)
    assert answer.code == 200, answer
    return answer.json()["id"]


@pytest.mark.parametrize("timestamp", [1e308, 10**30, "nan", "inf", -5, "9999999999999"])
@pytest_twisted.ensureDeferred
async def test_impossible_timestamps_become_the_receive_time(api, store, timestamp):
    event_id = await send(api, {"message": "when?", "timestamp": timestamp})
    assert store.event(event_id).timestamp == store.event(event_id).received
    detail = await api.request("GET", f"/api/0/projects/parlel/parlel/events/{event_id}/")
    assert detail.code == 200, detail


@pytest_twisted.ensureDeferred
async def test_odd_threads_and_spans_still_read_back(api):
    first = await send(api, {"message": "threads", "threads": {"values": [
        {"crashed": True, "stacktrace": {"frames": 7}}]}})
    second = await send(api, {"type": "transaction", "transaction": "t", "spans": 1,
                              "start_timestamp": 1795000000, "timestamp": 1795000001})
    for event_id in (first, second):
        answer = await api.request("GET", f"/api/0/organizations/parlel/eventids/{event_id}/")
        assert answer.code == 200, answer


@pytest_twisted.ensureDeferred
async def test_a_stack_text_built_to_backtrack_is_read_in_linear_time(api, store):
    stack = "Error: x\n    at " + "a (" * 20000 + "\n    at main (/app/main.js:3:9)"
    answer = await api.request("POST", "/v1/ingest", token=None,
                               headers={"X-Open-Sentry-Key": "parlel"},
                               json_body={"type": "error", "message": "deep",
                                          "exception": {"type": "Error", "value": "x",
                                                        "stacktrace": stack}})
    assert answer.code == 202, answer
    from sentry_fake.store.normalize import document

    (event,) = store.events()
    frames = document(event)["exception"]["values"][0]["stacktrace"]["frames"]
    assert frames[-1]["function"] == "main" and frames[-1]["lineno"] == 3


@pytest.mark.parametrize("query, detail", [
    ("since=0&until=10000000&resolution=10s", "Too many data points"),
    ("until=inf", "until must be a numeric timestamp."),
    ("since=nan", "since must be a numeric timestamp"),
])
@pytest_twisted.ensureDeferred
async def test_stats_windows_are_bounded(api, query, detail):
    answer = await api.request("GET", f"/api/0/projects/parlel/parlel/stats/?{query}")
    assert answer.code == 400 and answer.json()["detail"].startswith(detail)


@pytest.mark.parametrize("path", ["/api/0/projects/parlel/parlel/issues/",
                                  "/api/0/organizations/parlel/issues/",
                                  "/api/0/projects/parlel/parlel/events/?query=x"])
@pytest_twisted.ensureDeferred
async def test_absurd_cursors_are_invalid(api, path):
    joiner = "&" if "?" in path else "?"
    answer = await api.request("GET", f"{path}{joiner}cursor=0:99999999999999999999999:0")
    assert (answer.code, answer.json()) == (400, {"detail": "Invalid cursor parameter."})


def test_the_seeded_key_is_the_same_in_every_run():
    from twisted.internet.task import Clock

    from sentry_fake.store.service import StoreService

    first, second = StoreService(Clock()), StoreService(Clock())
    assert first.directory.key("parlel").secret == second.directory.key("parlel").secret
    assert len(first.directory.key("parlel").secret) == 32


def nested(depth: int):
    value: object = "bottom"
    for _ in range(depth):
        value = {"a": value}
    return value


#: JSON nested 1 100 objects deep (as text: the standard library cannot write it).
DEEP = '{"a":' * 1100 + '"bottom"' + "}" * 1100
TOKEN_HEADERS = {"Authorization": "Bearer t", "Content-Type": "application/json"}
CSP = '{"csp-report": {"document-uri": "https://a.example", "x": %s}}' % DEEP


DEEP_REQUESTS = [
    ("store", "POST", "/api/1/store/", '{"message": "deep", "extra": %s}' % DEEP, AUTH),
    ("envelope event", "POST", "/api/1/envelope/",
     '{}\n{"type":"event"}\n{"message": "deep", "extra": %s}' % DEEP, AUTH),
    ("envelope header", "POST", "/api/1/envelope/",
     '{"event_id": "%s", "trace": %s}\n{"type":"event"}\n{}' % ("a" * 32, DEEP), AUTH),
    ("security", "POST", "/api/1/security/?sentry_key=parlel", CSP,
     {"Content-Type": "application/csp-report"}),
    ("nel", "POST", "/api/1/nel/?sentry_key=parlel", '[{"body": %s}]' % DEEP,
     {"Content-Type": "application/reports+json"}),
    ("release", "POST", "/api/0/organizations/parlel/releases/",
     '{"version": "1", "projects": ["parlel"], "x": %s}' % DEEP, TOKEN_HEADERS),
    ("team", "POST", "/api/0/organizations/parlel/teams/", '{"slug": "t", "x": %s}' % DEEP,
     TOKEN_HEADERS),
    ("issue update", "PUT", "/api/0/issues/1/", '{"statusDetails": %s}' % DEEP, TOKEN_HEADERS),
    ("bundle assemble", "POST", "/api/0/organizations/parlel/artifactbundle/assemble/",
     '{"checksum": "%s", "chunks": [], "projects": ["parlel"], "x": %s}' % ("0" * 40, DEEP),
     TOKEN_HEADERS),
    ("dif assemble", "POST", "/api/0/projects/parlel/parlel/files/difs/assemble/",
     '{"%s": {"name": "x", "chunks": [], "x": %s}}' % ("0" * 40, DEEP), TOKEN_HEADERS),
    ("faults", "POST", "/__parlel/faults", '{"status": 429, "x": %s}' % DEEP, {}),
    ("issue search", "GET", "/api/0/projects/parlel/parlel/issues/?query="
     + "(" * 5000 + "is:unresolved" + ")" * 5000, None, TOKEN_HEADERS),
]

READS = ["/__parlel/events", "/__parlel/items", "/api/0/projects/parlel/parlel/events/?full=true",
         "/api/0/projects/parlel/parlel/issues/?query=", "/"]


async def _reads_answer(api, event_ids=()):
    for path in READS + [f"/__parlel/events/{event_id}" for event_id in event_ids] + [
            f"/api/0/projects/parlel/parlel/events/{event_id}/" for event_id in event_ids]:
        answer = await api.request("GET", path)
        assert answer.code == 200, (path, answer)


@pytest.mark.parametrize("name, method, path, body, headers", DEEP_REQUESTS,
                         ids=[request[0] for request in DEEP_REQUESTS])
@pytest_twisted.ensureDeferred
async def test_deep_nesting_is_refused_clearly(api, name, method, path, body, headers):
    await send(api, {"message": "an issue to update"})
    answer = await api.request(method, path, body=body.encode() if isinstance(body, str) else body,
                               headers=headers, token=None)
    assert answer.code == 400, answer
    assert answer.json().get("detail") or answer.json().get("error"), answer
    await _reads_answer(api)


@pytest_twisted.ensureDeferred
async def test_what_nests_as_deep_as_accepted_reads_back_everywhere(api):
    from sentry_fake.jsoncodec import MAX_DEPTH

    # The payload's own object is one level; what it holds nests the rest.
    deepest = await send(api, {"message": "deepest", "extra": nested(MAX_DEPTH - 1)})
    refused = await api.request("POST", "/api/1/store/", headers=AUTH, token=None,
                                body=json.dumps({"message": "one more",
                                                 "extra": nested(MAX_DEPTH)}).encode())
    assert refused.code == 400
    await _reads_answer(api, [deepest])


@pytest.mark.parametrize("path", ["/api/0/organizations/%ff/", "/api/1/envelope%ff/",
                                  "/__parlel/events/%ff", "/%ff"])
@pytest_twisted.ensureDeferred
async def test_a_path_that_is_not_utf8_is_a_json_400(api, path):
    answer = await api.request("GET", path)
    assert answer.code == 400 and answer.header("content-type") == "application/json"
    assert answer.json() == {"detail": "Non-UTF-8 encoding in URL."}


@pytest_twisted.ensureDeferred
async def test_a_bulk_update_that_matches_nothing_changes_nothing(api):
    answer = await api.request("PUT", "/api/0/organizations/parlel/issues/?query=is:resolved",
                               json_body={"assignedTo": ""})
    assert answer.code == 204 and answer.content == b""


@pytest.mark.parametrize("version", ["inf", "1e999", "nan"])
@pytest_twisted.ensureDeferred
async def test_an_impossible_protocol_version_is_refused(api, version):
    answer = await api.request("POST", "/api/1/store/", body=b'{"message": "x"}', token=None,
                               headers={"X-Sentry-Auth": f"Sentry sentry_key=parlel, "
                                                         f"sentry_version={version}"})
    assert answer.code == 400 and answer.json()["detail"]


@pytest.mark.parametrize("method, path, body, slug", [
    ("POST", "/api/0/teams/parlel/parlel/projects/", {"name": "web", "slug": "web\n"}, "web"),
    ("POST", "/api/0/organizations/parlel/teams/", {"slug": " ops\n"}, "ops"),
    ("PUT", "/api/0/projects/parlel/parlel/", {"slug": "renamed\n"}, "renamed"),
])
@pytest_twisted.ensureDeferred
async def test_a_slug_is_trimmed_before_it_is_checked(api, method, path, body, slug):
    # Sentry's serializers trim what they are sent: a line break at the end is no part of it.
    answer = await api.request(method, path, json_body=body)
    assert answer.code in (200, 201), answer
    assert answer.json()["slug"] == slug
    again = f"/api/0/projects/parlel/{slug}/" if method == "PUT" else path
    refused = await api.request(method, again, json_body={**body, "slug": "a\nb"})
    assert refused.code == 400 and "slug" in refused.json()
