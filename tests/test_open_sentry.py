"""
The Open Sentry ingest dialect, C{POST /v1/ingest}: each item type stored as Sentry events, and
every refusal with its exact answer, over a real socket, with the server healthy afterwards.
"""

import gzip
import json
import re

import pytest
import pytest_twisted

from sentry_fake.ingest.open_sentry_items import parse_stack_text
from records import create_project

KEY = {"X-Open-Sentry-Key": "parlel"}
HEX32 = re.compile(r"^[0-9a-f]{32}$")


async def ingest(api, body, headers=KEY, path="/v1/ingest"):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return await api.request("POST", path, body=data,
                             headers=dict(headers, **{"Content-Type": "application/json"}),
                             token=None)


@pytest_twisted.ensureDeferred
async def test_an_error_becomes_an_event_in_an_issue(api, store):
    item = {
        "type": "error", "message": "checkout failed", "platform": "javascript",
        "release": "shop@2.0.0", "environment": "production", "tags": {"region": "eu", "n": 3},
        "user": {"id": "42", "email": "a@example.com"}, "extra": {"cart": 3},
        "exception": {"type": "TypeError", "value": "x is undefined",
                      "stacktrace": "TypeError: x is undefined\n"
                                    "    at pay (/app/src/pay.js:10:5)\n"
                                    "    at Object.<anonymous> (/app/node_modules/lib/run.js:2:1)"},
    }
    answer = await ingest(api, item)
    assert answer.code == 202, answer
    event_id = answer.json()["id"]
    assert HEX32.match(event_id) and set(answer.json()) == {"id"}
    event = store.event(event_id)
    assert (event.type, event.level, event.title) == ("error", "error", "TypeError: x is undefined")
    assert (event.release, event.environment, event.platform) == ("shop@2.0.0", "production",
                                                                  "javascript")
    assert "pay" in event.culprit and "/app/src/pay.js" in event.culprit  # the in-app frame
    issue = store.issue(event.issue_id)
    assert issue.title == "TypeError: x is undefined"
    detail = await api.request("GET", f"/api/0/projects/parlel/parlel/events/{event_id}/")
    body = detail.json()
    assert ["region", "eu"] in [[t["key"], t["value"]] for t in body["tags"]]
    assert ["n", "3"] in [[t["key"], t["value"]] for t in body["tags"]]
    assert body["user"]["email"] == "a@example.com"
    [captured] = store.items("event")
    assert captured.event_id == event_id

    again = await ingest(api, dict(item, tags={}))
    assert store.event(again.json()["id"]).issue_id == event.issue_id


@pytest_twisted.ensureDeferred
async def test_error_defaults_and_frames(api, store):
    answer = await ingest(api, {"type": "error", "exception": {
        "type": "ValueError", "value": "bad", "stacktrace": [
            {"file": "app.py", "func": "main", "line": 3}, {"filename": "lib.py", "lineno": 9}]},
        "level": "WARNING", "fingerprint": ["{{ default }}", 7],
        "timestamp": "2026-11-17T03:04:05Z"})
    assert answer.code == 202, answer
    event = store.event(answer.json()["id"])
    assert event.level == "warning" and event.timestamp == 1794884645.0
    document = json.loads(event.raw)
    assert document["fingerprint"] == ["{{ default }}", "7"]
    frames = document["exception"]["values"][0]["stacktrace"]["frames"]
    assert frames[0] == {"filename": "app.py", "function": "main", "lineno": 3}
    # Open Sentry's exception fields are all optional: an empty one is an error still.
    message = await ingest(api, {"type": "error", "message": "plain", "exception": {},
                                 "id": "9ec79c33-ec99-42ab-8353-589fcb2e04dc"})
    assert message.json() == {"id": "9ec79c33ec9942ab8353589fcb2e04dc"}
    assert store.event(message.json()["id"]).level == "error"
    assert store.event(message.json()["id"]).timestamp == store.now()


def test_stack_text_in_three_dialects():
    v8 = parse_stack_text("Error: x\n    at inner (/a.js:1:2)\n    at /b.js:3:4")
    assert [(f["function"], f["filename"], f["lineno"]) for f in v8] == [("?", "/b.js", 3),
                                                                        ("inner", "/a.js", 1)]
    gecko = parse_stack_text("inner@http://x/a.js:1:2\n@http://x/b.js:3:4")
    assert [f["function"] for f in gecko] == ["?", "inner"]
    python = parse_stack_text('Traceback (most recent call last):\n'
                              '  File "/srv/app.py", line 4, in main\n    run()\n'
                              '  File "/usr/lib/python3/site-packages/x.py", line 9, in run\n')
    assert [(f["function"], f["in_app"]) for f in python] == [("main", True), ("run", False)]
    assert parse_stack_text("nothing to see") == []


@pytest_twisted.ensureDeferred
async def test_a_transaction_with_spans(api, store):
    answer = await ingest(api, {"type": "transaction", "name": "GET /cart", "op": "http.server",
                                "traceId": "cart-trace", "durationMs": 250,
                                "start": 1_795_000_000.0, "end": 1_795_000_000.25,
                                "status": "internal_error", "environment": "staging",
                                "spans": [{"spanId": "span-1", "op": "db",
                                           "description": "SELECT 1",
                                           "durationMs": 20, "data": {"rows": 1}},
                                          {"span_id": "b" * 16, "op": "http.client",
                                           "duration": 100, "start": 1_795_000_000.1,
                                           "end": 1_795_000_000.2}]})
    assert answer.code == 202, answer
    event = store.event(answer.json()["id"])
    assert (event.type, event.title, event.issue_id) == ("transaction", "GET /cart", None)
    doc = json.loads(event.raw)
    trace = doc["contexts"]["trace"]
    assert (trace["op"], trace["status"]) == ("http.server", "internal_error")
    assert (doc["start_timestamp"], doc["timestamp"]) == (1_795_000_000.0, 1_795_000_000.25)
    db, client = doc["spans"]
    assert (db["start_timestamp"], db["timestamp"]) == (1_795_000_000.0, 1_795_000_000.02)
    assert db["parent_span_id"] == trace["span_id"] and db["trace_id"] == trace["trace_id"]
    assert db["data"] == {"rows": 1} and client["op"] == "http.client"
    assert HEX32.match(trace["trace_id"]) and client["span_id"] == "b" * 16
    only_duration = await ingest(api, {"type": "transaction", "name": "job",
                                       "trace_id": "cart-trace", "duration": 1500})
    doc = json.loads(store.event(only_duration.json()["id"]).raw)
    assert doc["timestamp"] - doc["start_timestamp"] == 1.5
    assert doc["timestamp"] == store.now()
    # The same correlation id, whatever its form, is the same trace.
    assert doc["contexts"]["trace"]["trace_id"] == trace["trace_id"]


@pytest_twisted.ensureDeferred
async def test_an_ai_generation_is_a_gen_ai_transaction(api, store):
    answer = await ingest(api, {"type": "ai_generation", "model": "gpt-4o", "provider": "openai",
                                "prompt": [{"role": "user", "content": "hi"}],
                                "completion": "hello!", "input_tokens": 12, "output_tokens": 30,
                                "cost": 0.0042, "latency_ms": 850, "metadata": {"user": "u1"}})
    assert answer.code == 202, answer
    event = store.event(answer.json()["id"])
    assert (event.type, event.title) == ("transaction", "chat gpt-4o")
    doc = json.loads(event.raw)
    assert doc["contexts"]["trace"]["op"] == "gen_ai.chat"
    assert round(doc["timestamp"] - doc["start_timestamp"], 3) == 0.85
    [span] = doc["spans"]
    assert (span["op"], span["description"]) == ("gen_ai.chat", "chat gpt-4o")
    data = span["data"]
    assert data["gen_ai.request.model"] == "gpt-4o" and data["gen_ai.provider.name"] == "openai"
    assert json.loads(data["gen_ai.request.messages"]) == [{"role": "user", "content": "hi"}]
    assert data["gen_ai.response.text"] == "hello!"
    assert (data["gen_ai.usage.input_tokens"], data["gen_ai.usage.output_tokens"],
            data["gen_ai.usage.total_tokens"]) == (12, 30, 42)
    assert data["gen_ai.cost.total_tokens"] == 0.0042
    assert data["gen_ai.metadata.user"] == "u1" and doc["extra"]["metadata"] == {"user": "u1"}


@pytest_twisted.ensureDeferred
async def test_an_array_answers_every_id_and_goes_to_the_key_project(api, store):
    other = create_project(store, "Other")
    [key] = store.directory.keys_of(other)
    items = [{"type": "error", "message": f"n{i}"} for i in range(19)]
    items = [dict(item, exception={"value": item["message"]}) for item in items]
    items.append({"type": "ai_generation", "provider": "p", "model": "m", "inputTokens": 1,
                  "input": "x", "output": "y"})
    answer = await ingest(api, items, {"X-Sentry-Clone-Key": key.public})
    assert answer.code == 202, answer
    body = answer.json()
    assert len(body["ids"]) == 20 and body["id"] == body["ids"][0]
    assert {store.event(i).project_id for i in body["ids"]} == {other.id}
    by_query = await ingest(api, [{"type": "error", "exception": {"value": "q"}}], {},
                            path=f"/v1/ingest?key={key.public}")
    assert by_query.code == 202 and len(by_query.json()["ids"]) == 1


@pytest_twisted.ensureDeferred
async def test_gzip_bodies_and_preflight(api, store):
    body = gzip.compress(json.dumps({"type": "error", "message": "zipped",
                                     "exception": {"type": "Zipped", "value": "zipped"}}).encode())
    answer = await api.request("POST", "/v1/ingest", body=body,
                               headers=dict(KEY, **{"Content-Encoding": "gzip"}), token=None)
    assert answer.code == 202 and store.event(answer.json()["id"]).title == "Zipped: zipped"
    preflight = await api.request("OPTIONS", "/v1/ingest", token=None)
    assert preflight.code == 200
    assert "x-open-sentry-key" in preflight.header("access-control-allow-headers")


@pytest_twisted.ensureDeferred
async def test_every_refusal_over_a_real_socket(live_api, server):
    store = server.store
    disabled = create_project(store, "Disabled")
    [off] = store.directory.keys_of(disabled)
    off.is_active = False
    cases = [
        (b"{not json", KEY, 400, "Invalid JSON"),
        (b"", KEY, 400, "Invalid JSON"),
        (b'"a string"', KEY, 400, "Invalid payload"),
        (b"[]", KEY, 400, "Invalid payload"),
        (json.dumps([{"type": "error", "message": "m"}] * 21).encode(), KEY, 400,
         "Invalid payload"),
        (b'{"type": "log", "message": "m"}', KEY, 400, "Invalid payload"),
        (b'{"message": "no type"}', KEY, 400, "Invalid payload"),
        (b'{"type": "error"}', KEY, 400, "Invalid payload"),
        (b'{"type": "error", "message": "no exception"}', KEY, 400, "Invalid payload"),
        (b'{"type": "error", "exception": "text"}', KEY, 400, "Invalid payload"),
        (b'{"type": "error", "exception": {}, "level": "loud"}', KEY, 400, "Invalid payload"),
        (b'{"type": "error", "exception": {}, "tags": [1]}', KEY, 400, "Invalid payload"),
        (b'{"type": "transaction"}', KEY, 400, "Invalid payload"),
        (b'{"type": "transaction", "traceId": "t", "durationMs": 5}', KEY, 400,
         "Invalid payload"),
        (b'{"type": "transaction", "name": "t", "durationMs": 5}', KEY, 400, "Invalid payload"),
        (b'{"type": "transaction", "name": "t", "traceId": "t"}', KEY, 400, "Invalid payload"),
        (b'{"type": "transaction", "name": "t", "traceId": "t", "start": 10, "end": 12}', KEY,
         400, "Invalid payload"),
        (b'{"type": "transaction", "name": "t", "traceId": 7, "durationMs": 5}', KEY, 400,
         "Invalid payload"),
        (b'{"type": "transaction", "name": "t", "traceId": "t", "durationMs": "5"}', KEY, 400,
         "Invalid payload"),
        (b'{"type": "transaction", "name": "t", "traceId": "t", "durationMs": 5, '
         b'"start": 10, "end": 5}', KEY, 400, "Invalid payload"),
        (b'{"type": "transaction", "name": "t", "traceId": "t", "durationMs": 5, '
         b'"spans": [{"op": "db", "durationMs": 1}]}', KEY, 400, "Invalid payload"),
        (b'{"type": "transaction", "name": "t", "traceId": "t", "durationMs": 5, '
         b'"spans": [{"spanId": "s", "durationMs": 1}]}', KEY, 400, "Invalid payload"),
        (b'{"type": "transaction", "name": "t", "traceId": "t", "durationMs": 5, '
         b'"spans": [{"spanId": "s", "op": "db"}]}', KEY, 400, "Invalid payload"),
        (b'{"type": "ai_generation", "provider": "p", "inputTokens": 1}', KEY, 400,
         "Invalid payload"),
        (b'{"type": "ai_generation", "model": "m", "inputTokens": 1}', KEY, 400,
         "Invalid payload"),
        (b'{"type": "ai_generation", "provider": "p", "model": "m"}', KEY, 400,
         "Invalid payload"),
        (b'{"type": "ai_generation", "provider": "p", "model": "m", "input_tokens": -1}', KEY,
         400, "Invalid payload"),
        (b'{"type": "ai_generation", "provider": "p", "model": "m", "inputTokens": 1.5}', KEY,
         400, "Invalid payload"),
        (b'[{"type": "error", "exception": {}}, 5]', KEY, 400, "Invalid payload"),
        (b'{"type": "error", "message": "m"}', {}, 401, "Missing auth key"),
        (b'{"type": "error", "message": "m"}', {"X-Open-Sentry-Key": ""}, 401,
         "Missing auth key"),
        (b'{"type": "error", "message": "m"}', {"X-Open-Sentry-Key": "unknown"}, 403,
         "Invalid DSN key"),
        (b'{"type": "error", "message": "m"}', {"X-Open-Sentry-Key": off.public}, 403,
         "Invalid DSN key"),
        (b'{"type":"error","message":"' + b"x" * (256 * 1024) + b'"}', KEY, 413,
         "Payload too large"),
    ]
    for body, headers, code, message in cases:
        answer = await ingest(live_api, body, headers)
        assert (answer.code, answer.json()) == (code, {"error": message}), body[:80]
        assert answer.header("content-type") == "application/json"
    assert list(store.events()) == []
    health = await live_api.request("GET", "/health", token=None)
    assert (health.code, health.json()) == (200, {"status": "ok"})
    fine = await ingest(live_api, {"type": "error", "exception": {"value": "still serving"}})
    assert fine.code == 202 and store.event(fine.json()["id"]).title == "Error: still serving"


@pytest.mark.parametrize("size, code", [(256 * 1024, 202), (256 * 1024 + 1, 413)])
@pytest_twisted.ensureDeferred
async def test_the_size_limit_is_on_the_raw_body(api, size, code):
    prefix, suffix = b'{"type":"error","exception":{},"extra":{"pad":"', b'"}}'
    body = prefix + b"x" * (size - len(prefix) - len(suffix)) + suffix
    answer = await ingest(api, body)
    assert answer.code == code, answer


@pytest_twisted.ensureDeferred
async def test_open_sentrys_own_examples_in_its_camel_case(api, store):
    transaction = await ingest(api, {
        "type": "transaction", "name": "GET /api/checkout", "traceId": "trace-abc-123",
        "durationMs": 245, "status": "ok", "environment": "production",
        "spans": [{"spanId": "span-1", "op": "db.query", "description": "SELECT * FROM orders",
                   "durationMs": 40, "parentSpanId": "root-span-id"}],
        "timestamp": "2026-05-30T12:00:02.000Z"})
    assert transaction.code == 202, transaction
    doc = json.loads(store.event(transaction.json()["id"]).raw)
    assert round(doc["timestamp"] - doc["start_timestamp"], 3) == 0.245
    [span] = doc["spans"]
    assert round(span["timestamp"] - span["start_timestamp"], 3) == 0.04
    assert re.fullmatch(r"[0-9a-f]{16}", span["span_id"])
    assert re.fullmatch(r"[0-9a-f]{16}", span["parent_span_id"])
    assert span["parent_span_id"] != doc["contexts"]["trace"]["span_id"]
    error = await ingest(api, {"type": "error", "exception": {
        "type": "TypeError", "value": "Cannot read property 'x' of undefined",
        "stacktrace": {"frames": [{"filename": "app/page.tsx", "function": "loadData",
                                   "lineno": 42, "colno": 12, "inApp": True}]}}})
    assert error.code == 202, error
    frames = json.loads(store.event(error.json()["id"]).raw)["exception"]["values"][0][
        "stacktrace"]["frames"]
    assert frames == [{"filename": "app/page.tsx", "function": "loadData", "lineno": 42,
                       "colno": 12, "in_app": True}]
    generation = await ingest(api, {"type": "ai_generation", "provider": "openrouter",
                                    "model": "gpt-4o", "inputTokens": 100,
                                    "cachedInputTokens": 60, "cacheWriteTokens": 40,
                                    "totalCostUsd": 0.01, "latencyMs": 900})
    assert generation.code == 202, generation
    doc = json.loads(store.event(generation.json()["id"]).raw)
    data = doc["spans"][0]["data"]
    assert (data["gen_ai.usage.input_tokens"], data["gen_ai.usage.input_tokens.cached"],
            data["gen_ai.usage.input_tokens.cache_write"], data["gen_ai.cost.total_tokens"]) == \
        (100, 60, 40, 0.01)
    assert round(doc["timestamp"] - doc["start_timestamp"], 3) == 0.9
