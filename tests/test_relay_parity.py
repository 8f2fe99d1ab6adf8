"""
Differential: every event the fake stores reads back as Sentry's own Relay normalizes it (with
the tags Sentry's event manager adds, see L{relay_oracle}), field by field, both as stored
(C{GET /__parlel/events/{id}}) and as the API's event detail shows it.

The events: what the real Python SDK and @sentry/node send (captured from child processes),
crafted edge cases, and events hypothesis makes up.  The differences the fake keeps on purpose
are in C{docs/normalization.md}, each with a test at the end of this module.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
import pytest_twisted
from hypothesis import HealthCheck, given, settings, strategies as st
from twisted.internet.utils import getProcessOutputAndValue

from sentry_fake.management.event_shapes import full_event
from sentry_fake.store.normalize import describe

from conftest import NOW
from npm_clients import child_environment, installed
from relay_oracle import differences, expected_document, leaves, relay

pytest.importorskip("sentry_relay")

AUTH = {"X-Sentry-Auth": ["Sentry sentry_key=parlel, sentry_version=7"],
        "Content-Type": ["application/json"]}
CLIENTS = Path(__file__).parent / "clients"
#: What the store decides itself, compared on their own (see L{_store_decisions}).
DECIDED = ("title", "culprit", "metadata", "location", "hashes", "issue_id")
#: The API's links to an issue's other events depend on what else the store holds.
NEIGHBOURS = ("nextEventID", "previousEventID")
UA_WINDOWS = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/120.0.0.0 Safari/537.36")
UA_IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 "
             "(KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1")
UA_MAC = ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like "
          "Gecko) Chrome/131.0.0.0 Safari/537.36")


def _crafted() -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def event(**fields: Any) -> None:
        fields.setdefault("timestamp", NOW - 100)
        found.append(fields)

    for value in ["WARN", "warning", "critical", "log", "fatal", 20, 40, "info ", "", "sample",
                  "Error", True, 0, 15, 20.0]:
        event(level=value, message="level")
    for value in [" 1.0 ", "", "a/b", "..", "latest", "a\nb", 123, "x" * 300, "a b", "1.0\t",
                  1.5, "a\\b", True, "x" * 200]:
        event(release=value)
    for value in ["prod", " prod ", "a/b", "", "x" * 70, 12, "None", "ab\n", "a\tb", {"x": 1}]:
        event(environment=value)
    for value in ["", "a" * 100, 123]:
        event(logger=value)
    for value in ["python", "bogus", "", 3]:
        event(platform=value)
    for extra in [{"dist": "x"}, {"dist": " x ", "release": "r"}, {"dist": "x" * 70, "release": "r"},
                  {"dist": 5}, {"server_name": "h", "site": "s", "tags": {"a": "b"}},
                  {"server_name": "s", "tags": {"server_name": "b"}}, {"culprit": 5},
                  {"transaction": 5}, {"checksum": "abc", "transaction": "/x", "foo": "bar"}]:
        event(**extra)
    for value in [{"b": "1", "a": "2"}, [["b", "1"], ["a", "2"]], [["k", "1"], ["k", "2"]],
                  {"k": 1.5, "i": 3, "t": True, "n": None}, {"k": "v" * 250},
                  {"a:b": "c", "a/b": "c", "a b ": "c", "": "v"}, [["k"]], "str",
                  [None, ["a", "b"]], {"release": "r", "level": "l", "environment": "e",
                                       "user": "u", "url": "u"},
                  {"k": "a\nb"}, {"k": " v "}, {"o": {"k": 1}, "e": ""}]:
        event(tags=value, release="tagged@1")
    for value in [NOW + 61, NOW - 31 * 86400, NOW + 30, "2026-11-22T08:18:25Z", "1795335618",
                  "garbage", 1795335618000, "2026-11-22T08:18:25+01:00", True, NOW + 61.25,
                  253402300800]:
        event(timestamp=value)
    for value in [{"id": 1}, {"ip_address": "bad"}, {}, {"email": "x"}, "s",
                  {"username": "u", "email": "e@x"}, {"id": 1.5}, {"data": {"a": 1}, "foo": "b"},
                  {"name": "n", "geo": {"city": "c"}}, {"ip_address": "::1"},
                  {"ip_address": "10.1.2.3", "email": "a@b"}]:
        event(user=value)
    for value in [{"url": "http://x/p?a=1&b=2#frag", "method": "get",
                   "headers": {"user-agent": "curl/8", "Cookie": "a=1", "X-Forwarded-For": "1"},
                   "query_string": "z=1", "cookies": "c=2", "data": {"x": 1},
                   "env": {"REMOTE_ADDR": "1.1.1.1"}},
                  {"url": "/relative?x=1", "headers": [["A", "1"], ["a", "2"]]}, {"url": 5}, "str",
                  {"url": "http://x/p", "query_string": {"a": "1"}, "method": "BOGUS METHOD"},
                  {"url": "https://x.example/checkout?id=1", "headers": {"User-Agent": UA_WINDOWS}},
                  {"url": "https://x.example/", "headers": [["User-Agent", UA_MAC]]},
                  {"headers": {"Cookie": "a=1; b=2"}}]:
        event(request=value, message="request")
    event(platform="javascript", request={"url": "https://shop.example/cart#top",
                                          "headers": {"User-Agent": UA_IPHONE}})
    for value in [{"os": {"name": "Linux", "version": "5", "kernel_version": "k"}},
                  {"runtime": {"name": "CPython"}}, {"device": {"model": "m", "family": "f"}},
                  {"gpu": {"name": "g", "vendor_name": "v"}}, {"app": {"device_app_hash": "h"}},
                  {"custom": {"a": 1, "n": None}}, {"os": "string"},
                  {"foo": {"type": "os", "name": "X"}}, {"trace": {"trace_id": "bad", "span_id": "x"}},
                  {"trace": {"trace_id": "A" * 32, "span_id": "B" * 16, "op": "o"}},
                  {"os": {"raw_description": "Linux 5"}},
                  {"runtime": {"raw_description": "Python 3.11.7 (main)"}},
                  {"monitor": {"id": "i", "slug": "s"}}, {"x": []},
                  {"browser": {"name": "F"}, "runtime": {"version": "1"},
                   "os": {"version": "2", "rooted": True}}]:
        event(contexts=value, message="contexts")
    event(exception={"values": [
        {"value": "KeyError: 'x'"}, {"type": "E", "value": "v" * 300},
        {"type": "T", "stacktrace": {"frames": [
            {"filename": "a.py", "function": "f", "in_app": True,
             "vars": {"a": {"b": {"c": {"d": {"e": {"f": 1}}}}}}}]}}]})
    event(exception=[{"type": "E", "value": 5, "mechanism": {"type": "generic", "handled": False}}])
    event(exception={"values": [{"type": "Error", "value": "late", "mechanism": {
        "type": "generic", "synthetic": True}, "stacktrace": {"frames": [
            {"filename": "app.js", "function": "?", "in_app": True}]}}]}, platform="node")
    event(message="m" * 9000)
    event(logentry={"message": "hello %s", "params": ["x"]})
    event(message={"message": "m"})
    event(breadcrumbs=[{"message": "b", "level": "warn", "timestamp": "2026-11-22T08:00:00Z"},
                       {"type": "http", "data": {"url": "u"}}])
    event(extra={"a": {"b": {"c": {"d": {"e": {"f": {"g": 1}}}}}}, "n": None, "e": {}, "l": []})
    event(fingerprint=["a", 1, 1.5, True, None, {"x": 1}])
    event(modules={"a": "1", "b": 2}, sdk={"name": "s", "version": "1", "integrations": []})
    return found


CRAFTED = _crafted()


class Tally:
    """
    How many fields the suite compared, over all its events.
    """

    compared = 0

    @classmethod
    def add(cls, value: Any) -> None:
        cls.compared += leaves(value)


def _store_decisions(payload: dict[str, Any], normalized: dict[str, Any],
                     stored: dict[str, Any]) -> None:
    # Title, culprit and metadata are Sentry's post-Relay steps, derived from the normalized
    # event: deriving them from the payload as sent must give the same.
    kind = stored["type"]
    title, culprit, metadata, _ = describe(normalized, kind)
    assert (stored["title"], stored["metadata"]) == (title, metadata), payload
    if not isinstance(payload.get("culprit"), (str, type(None))):
        return
    assert stored["culprit"] == culprit, payload


async def _compare(api, store, payload: dict[str, Any], client_ip: str | None = None) -> None:
    sent = await api.request("POST", "/api/1/store/", body=json.dumps(payload).encode(),
                             headers=AUTH, token=None)
    assert sent.code == 200, sent
    event_id = sent.json()["id"]
    stored = (await api.request("GET", f"/__parlel/events/{event_id}", token=None)).json()
    oracle_payload = payload
    if client_ip and isinstance(payload.get("user"), dict) \
            and payload["user"].get("ip_address") == "{{auto}}":
        oracle_payload = dict(payload, user=dict(payload["user"], ip_address=client_ip))
    expected = expected_document(oracle_payload, event_id, stored["received"])
    normalized = relay(dict(oracle_payload, event_id=event_id), stored["received"])
    _store_decisions(payload, normalized, stored)
    for key in DECIDED:
        stored.pop(key, None)
        expected.pop(key, None)
    message = stored.pop("message", None)
    assert message == (normalized.get("logentry") or {}).get("formatted"), payload
    found = list(differences(stored, expected))
    assert not found, (payload, found)
    Tally.add(expected)
    detail = (await api.request(
        "GET", f"/api/0/projects/parlel/parlel/events/{event_id}/")).json()
    event = store.event(event_id)
    decided = {"timestamp": event.timestamp, "title": event.title, "culprit": event.culprit,
               "metadata": event.metadata, "hashes": list(event.hashes)}
    shown = json.loads(json.dumps(full_event(event, {**expected, **decided})))
    for key in NEIGHBOURS:
        detail.pop(key, None)
        shown.pop(key, None)
    found = list(differences(detail, shown))
    assert not found, (payload, found)
    Tally.add(shown)


@pytest.mark.parametrize("index", range(len(CRAFTED)))
@pytest_twisted.ensureDeferred
async def test_crafted_events_read_back_as_relay_normalizes_them(api, store, index):
    await _compare(api, store, CRAFTED[index])


_TEXT = st.text(alphabet=st.sampled_from("aZ09 ._-:/\\\n@"), max_size=12)
_SCALAR = st.one_of(st.none(), _TEXT, st.integers(-5, 60), st.booleans(),
                    st.sampled_from([1.5, 20.0, "warning", "WARN", "critical", "log"]))
_EVENTS = st.fixed_dictionaries({}, optional={
    "level": _SCALAR, "release": _SCALAR, "environment": _SCALAR, "logger": _SCALAR,
    "server_name": _SCALAR, "transaction": _SCALAR,
    "platform": st.sampled_from(["python", "node", "javascript", "other", "bogus"]),
    "message": _TEXT,
    "tags": st.one_of(st.dictionaries(_TEXT, _SCALAR, max_size=4),
                      st.lists(st.lists(_SCALAR, min_size=2, max_size=2), max_size=4)),
    "user": st.fixed_dictionaries({}, optional={
        "id": _SCALAR, "email": _TEXT, "username": _TEXT,
        "ip_address": st.sampled_from(["10.0.0.9", "::1", "bad"])}),
    "request": st.fixed_dictionaries({}, optional={
        "url": st.sampled_from(["https://a.example/p?q=1#f", "http://b.example/", "/x?y"]),
        "method": st.sampled_from(["get", "POST", "bad method"]),
        "headers": st.sampled_from([{"User-Agent": UA_WINDOWS}, [["user-agent", UA_IPHONE]],
                                    {"User-Agent": UA_MAC, "Cookie": "a=1"}, {}])}),
    "contexts": st.dictionaries(st.sampled_from(["os", "runtime", "browser", "device", "gpu",
                                                 "app", "custom"]),
                                st.dictionaries(st.sampled_from(["name", "version", "model",
                                                                 "family", "vendor_name",
                                                                 "device_app_hash"]),
                                                _TEXT, max_size=3), max_size=3),
    "timestamp": st.sampled_from([NOW - 10, NOW + 120, NOW - 40 * 86400, "2026-11-22T08:18:25Z",
                                  "12345"]),
    "exception": st.lists(st.fixed_dictionaries({"type": _TEXT.filter(str.strip),
                                                  "value": _TEXT}, optional={
        "mechanism": st.fixed_dictionaries({"type": _TEXT.filter(str.strip),
                                            "handled": st.booleans()})}),
        min_size=1, max_size=2).map(lambda values: {"values": values}),
})


@settings(max_examples=int(os.environ.get("SENTRY_FAKE_FUZZ_EXAMPLES", "150")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(payload=_EVENTS)
@pytest_twisted.ensureDeferred
async def test_generated_events_read_back_as_relay_normalizes_them(api, store, payload):
    await _compare(api, store, payload)


async def _sdk_payloads(server) -> list[dict[str, Any]]:
    node, _ = installed("node", "@sentry/node")
    runs = [(sys.executable, [str(CLIENTS / "python_sdk_app.py"), server.dsn, "brotli"],
             dict(os.environ), None),
            (sys.executable, [str(CLIENTS / "python_shop_app.py"), server.dsn],
             dict(os.environ), None),
            (node, ["app.mjs", server.dsn], child_environment(), str(CLIENTS / "node"))]
    for executable, args, env, path in runs:
        out, err, code = await getProcessOutputAndValue(executable, args, env=env, path=path)
        assert code == 0, err.decode()
    return [json.loads(event.raw) for event in server.store.events()]


@pytest_twisted.ensureDeferred
async def test_what_real_sdks_send_reads_back_as_relay_normalizes_it(server, api, store):
    payloads = await _sdk_payloads(server)
    platforms = {payload.get("platform") for payload in payloads}
    assert {"python", "node"} <= platforms
    compared = 0
    for payload in payloads:
        if payload.get("type") == "transaction":
            continue  # see test_transactions_relay_would_refuse_are_kept
        # The SDK's own time, and an arrival a moment later, as when it was sent.
        payload = dict(payload, timestamp=NOW - 5)
        payload.pop("event_id", None)
        await _compare(api, store, payload)
        compared += 1
    assert compared >= 8


# The differences kept on purpose (docs/normalization.md).

@pytest_twisted.ensureDeferred
async def test_sentrys_own_tags_are_named_as_the_api_shows_them(api, store):
    payload = {"release": "shop@1", "dist": "7", "user": {"id": "u1"}, "message": "named"}
    sent = await api.request("POST", "/api/1/store/", body=json.dumps(payload).encode(),
                             headers=AUTH, token=None)
    stored = (await api.request("GET", f"/__parlel/events/{sent.json()['id']}", token=None)).json()
    assert ["release", "shop@1"] in stored["tags"] and ["user", "id:u1"] in stored["tags"]
    sentry = expected_document(payload, sent.json()["id"], stored["received"])
    from relay_oracle import event_manager
    raw = event_manager(relay(dict(payload, event_id=sent.json()["id"]), stored["received"]))
    assert ["sentry:release", "shop@1"] in raw["tags"] and ["dist", "7"] in sentry["tags"]


@pytest_twisted.ensureDeferred
async def test_an_automatic_ip_address_is_the_clients(api, store):
    payload = {"user": {"id": "u2", "ip_address": "{{auto}}"}, "message": "auto"}
    sent = await api.request("POST", "/api/1/store/", body=json.dumps(payload).encode(),
                             headers=AUTH, token=None)
    stored = (await api.request("GET", f"/__parlel/events/{sent.json()['id']}", token=None)).json()
    assert stored["user"]["ip_address"] != "{{auto}}"
    assert relay(dict(payload), stored["received"])["user"]["ip_address"] == "{{auto}}"
    await _compare(api, store, payload, client_ip=stored["user"]["ip_address"])


@pytest_twisted.ensureDeferred
async def test_transactions_relay_would_refuse_are_kept(api, store):
    from sentry_relay import ProcessingErrorInvalidTransaction

    payload = {"type": "transaction", "transaction": "GET /", "start_timestamp": NOW - 1,
               "timestamp": NOW - 2}
    with pytest.raises(ProcessingErrorInvalidTransaction):
        relay(payload, NOW)
    body = b'{}\n{"type":"transaction"}\n' + json.dumps(payload).encode()
    sent = await api.request("POST", "/api/1/envelope/", body=body, headers=AUTH, token=None)
    assert sent.code == 200
    assert [event.type for event in store.events()] == ["transaction"]


@pytest_twisted.ensureDeferred
async def test_android_devices_keep_their_model_name(api, store):
    agent = ("Mozilla/5.0 (Linux; Android 13; SM-S901B) AppleWebKit/537.36 (KHTML, like Gecko) "
             "Chrome/112.0.0.0 Mobile Safari/537.36")
    payload = {"request": {"headers": {"User-Agent": agent}}, "message": "android"}
    sent = await api.request("POST", "/api/1/store/", body=json.dumps(payload).encode(),
                             headers=AUTH, token=None)
    stored = (await api.request("GET", f"/__parlel/events/{sent.json()['id']}", token=None)).json()
    relayed = relay(dict(payload), stored["received"])
    assert relayed["contexts"]["device"]["name"] == "Galaxy S22"
    assert "name" not in stored["contexts"]["device"]
    assert stored["contexts"]["device"]["model"] == relayed["contexts"]["device"]["model"]


def test_the_suite_compares_fields():
    # Runs last in this module (pytest keeps the order): the comparisons above covered fields.
    assert Tally.compared > 1000
