"""
The ingest routes in memory: what SDKs send, and what a broken request gets back.
"""

import gzip
import json
import zlib

import brotli
import pytest
import pytest_twisted

EVENT_ID = "9ec79c33ec9942ab8353589fcb2e04dc"
AUTH = {"X-Sentry-Auth": "Sentry sentry_key=parlel, sentry_version=7, sentry_client=test/1"}


def envelope(*items, headers=None):
    lines = [json.dumps(headers if headers is not None else {"event_id": EVENT_ID}).encode()]
    for item_headers, payload in items:
        lines.append(json.dumps(item_headers).encode())
        lines.append(payload)
    return b"\n".join(lines) + b"\n"


def event_item(payload=None, **headers):
    body = json.dumps(payload or {"message": "hello", "level": "warning"}).encode()
    return dict({"type": "event", "length": len(body)}, **headers), body


async def post(api, path, body, headers=AUTH, **kw):
    return await api.request("POST", path, body=body, headers=headers, token=None, **kw)


@pytest.mark.parametrize("encoding, encode", [
    (None, lambda data: data), ("gzip", gzip.compress), ("deflate", zlib.compress),
    ("br", brotli.compress),
])
@pytest_twisted.ensureDeferred
async def test_envelope_in_every_encoding(api, store, encoding, encode):
    headers = dict(AUTH, **({"Content-Encoding": encoding} if encoding else {}))
    answer = await post(api, "/api/1/envelope/", encode(envelope(event_item())), headers)
    assert answer.code == 200, answer
    assert answer.json() == {"id": EVENT_ID}
    assert answer.header("content-type") == "application/json"
    assert answer.header("access-control-allow-origin") == "*"
    assert [event.event_id for event in store.events()] == [EVENT_ID]


@pytest_twisted.ensureDeferred
async def test_envelope_without_trailing_slash_and_query_auth(api, store):
    body = b'{"event_id":"%s"}\n{"type":"event"}\n{"message":"node"}' % EVENT_ID.encode()
    answer = await post(api, "/api/1/envelope?sentry_key=parlel&sentry_version=7", body, {})
    assert answer.code == 200, answer
    assert store.event(EVENT_ID).title == "node"


@pytest_twisted.ensureDeferred
async def test_envelope_authenticated_by_its_dsn_header(api, store):
    body = envelope(event_item(), headers={"event_id": EVENT_ID, "dsn": "http://parlel@h/1"})
    answer = await post(api, "/api/1/envelope/", body, {})
    assert answer.code == 200, answer


@pytest_twisted.ensureDeferred
async def test_every_item_type_is_kept(api, store):
    types = ["session", "sessions", "attachment", "client_report", "check_in", "log", "span",
             "profile", "replay_event", "replay_recording", "feedback", "user_report",
             "statsd", "something_new"]
    items = [event_item()] + [({"type": t, "filename": "f"}, b'{"n":1}') for t in types]
    answer = await post(api, "/api/1/envelope/", envelope(*items))
    assert answer.code == 200, answer
    assert [item.type for item in store.items()] == ["event"] + types
    assert all(item.event_id == EVENT_ID for item in store.items())
    assert len(store.events()) == 1


@pytest_twisted.ensureDeferred
async def test_transaction_is_an_event_without_an_issue(api, store):
    body = json.dumps({"type": "transaction", "transaction": "GET /", "spans": [],
                       "start_timestamp": 1795000000.0, "timestamp": 1795000001.0}).encode()
    answer = await post(api, "/api/1/envelope/", envelope(({"type": "transaction"}, body)))
    assert answer.code == 200, answer
    (event,) = store.events()
    assert (event.type, event.issue_id) == ("transaction", None)
    assert store.issue_count() == 0


@pytest_twisted.ensureDeferred
async def test_envelope_without_event_answers_empty_object(api, store):
    answer = await post(api, "/api/1/envelope/",
                        envelope(({"type": "session"}, b'{"sid":"x","status":"ok"}'), headers={}))
    assert (answer.code, answer.json()) == (200, {})
    assert [item.type for item in store.items()] == ["session"]


@pytest_twisted.ensureDeferred
async def test_unknown_project_is_created_on_first_use(api, store):
    answer = await post(api, "/api/77/envelope/", envelope(event_item()))
    assert answer.code == 200, answer
    assert store.event(EVENT_ID).project_id == 77
    assert store.directory.project_by_id(77).slug == "project-77"


@pytest_twisted.ensureDeferred
async def test_store_endpoint(api, store):
    body = json.dumps({"event_id": EVENT_ID, "message": "legacy"}).encode()
    answer = await post(api, "/api/1/store/", gzip.compress(body),
                        dict(AUTH, **{"Content-Encoding": "gzip"}))
    assert (answer.code, answer.json()) == (200, {"id": EVENT_ID})
    assert store.event(EVENT_ID).title == "legacy"
    answer = await post(api, "/api/store/", json.dumps({"message": "keyed"}).encode())
    assert answer.code == 200, answer
    assert store.event(answer.json()["id"]).project_id == 1


@pytest_twisted.ensureDeferred
async def test_cors_preflight(api):
    answer = await api.request("OPTIONS", "/api/1/envelope/", token=None)
    assert answer.code == 200
    assert answer.header("access-control-allow-origin") == "*"
    assert "x-sentry-auth" in answer.header("access-control-allow-headers")


@pytest.mark.parametrize("body, headers, status, words", [
    (b"", AUTH, 400, "empty request body"),
    (b"garbage\n", AUTH, 400, "invalid event envelope"),
    (b'{}\n{"type":"event"}\n{not json}\n', AUTH, 400, "invalid event payload"),
    (b'{}\n{"type":"event"}\n[1]\n', AUTH, 400, "must be a JSON object"),
    (b'{"event_id":"zz"}\n', AUTH, 400, "invalid event id"),
    (b'{}\n{"type":"event"}\n{}\n{"type":"event"}\n{}\n', AUTH, 400, "duplicate"),
    (b'{}\n', {"X-Sentry-Auth": "Sentry sentry_version=7"}, 401, "missing sentry_key"),
    (b"{}\n", dict(AUTH, **{"Content-Encoding": "gzip"}), 400, "bad gzip"),
    (b"{}\n", dict(AUTH, **{"Content-Encoding": "zstd"}), 400, "unsupported content encoding"),
])
@pytest_twisted.ensureDeferred
async def test_bad_envelopes(api, store, body, headers, status, words):
    answer = await post(api, "/api/1/envelope/", body, headers)
    assert answer.code == status, answer
    assert answer.header("content-type") == "application/json"
    assert words in json.dumps(answer.json())
    assert len(store.events()) == 0 and len(store.items()) == 0


@pytest_twisted.ensureDeferred
async def test_oversize_items_and_bodies(api, store):
    big = json.dumps({"message": "x" * (store.limits.event + 10)}).encode()
    answer = await post(api, "/api/1/envelope/", envelope(({"type": "event"}, big)))
    assert answer.code == 413, answer
    assert "size limits for type 'event'" in answer.json()["detail"]
    bomb = gzip.compress(b"{}\n" + b" " * (store.limits.envelope + 1))
    answer = await post(api, "/api/1/envelope/", bomb, dict(AUTH, **{"Content-Encoding": "gzip"}))
    assert answer.code == 413, answer
    assert answer.json()["causes"] == ["A payload reached size limit."]
    assert len(store.events()) == 0


@pytest_twisted.ensureDeferred
async def test_wrong_method_and_unknown_route(api):
    answer = await api.request("GET", "/api/1/envelope/", token=None)
    assert answer.code == 405 and answer.json() == {"detail": 'Method "GET" not allowed.'}
    answer = await api.request("POST", "/api/1/nowhere/", token=None)
    assert answer.code == 404 and answer.header("content-type") == "application/json"


@pytest.mark.parametrize("strict_key, status", [("parlel", 200), ("unknown", 403)])
@pytest_twisted.ensureDeferred
async def test_strict_ingest_checks_the_key(store, strict_key, status):
    from treq.testing import StubTreq

    from conftest import Client
    from sentry_fake.application import Settings, build_root

    api = Client(StubTreq(build_root(store, Settings(strict_ingest=True))), "http://localhost")
    headers = {"X-Sentry-Auth": f"Sentry sentry_key={strict_key}, sentry_version=7"}
    answer = await post(api, "/api/1/envelope/", envelope(event_item()), headers)
    assert answer.code == status, answer
    answer = await post(api, "/api/2/envelope/", envelope(event_item()), AUTH)
    assert answer.code == 403, answer
    assert answer.json()["detail"] == "event submission rejected"
