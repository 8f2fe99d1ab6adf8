"""
Normalization: what a stored event gets beyond what was sent.
"""

import pytest

from sentry_fake.errors import Invalid
from sentry_fake.store.normalize import build_event, document, event_tags, normalize_event_id

RECEIVED = 1_795_000_000.0


def build(payload, item_type="event", header_id=None, client_ip="10.0.0.1"):
    import json

    return build_event(1, payload, json.dumps(payload).encode(), item_type, RECEIVED,
                       header_id, client_ip)


def test_event_ids_are_normalized():
    assert normalize_event_id("30305181-3A0E-42BB-8DEE-BFFC406474BF") == "303051813a0e42bb8deebffc406474bf"
    assert normalize_event_id("nope") is None
    assert build({}, header_id="30305181-3a0e-42bb-8dee-bffc406474bf").event_id == \
        "303051813a0e42bb8deebffc406474bf"
    generated = build({}).event_id
    assert len(generated) == 32 and int(generated, 16) >= 0
    with pytest.raises(Invalid):
        build({"event_id": "not-an-id"})


def test_exception_event():
    event = build({
        "level": "error", "platform": "python", "timestamp": "2026-11-22T08:18:25.125959Z",
        "release": "myapp@1.0.0", "environment": "production", "server_name": "vm",
        "exception": {"values": [{"type": "ZeroDivisionError", "value": "division by zero",
                                  "mechanism": {"type": "generic", "handled": True},
                                  "stacktrace": {"frames": [
                                      {"filename": "sdk1.py", "function": "<module>", "module": "__main__", "in_app": True},
                                      {"filename": "sdk1.py", "function": "divide", "module": "__main__", "in_app": True}]}}]},
        "user": {"id": "u1", "ip_address": "{{auto}}"},
        "contexts": {"runtime": {"name": "CPython", "version": "3.11.7"}},
    })
    assert event.type == "error"
    assert event.title == "ZeroDivisionError: division by zero"
    assert event.culprit == "__main__ in divide"
    assert event.metadata == {"type": "ZeroDivisionError", "value": "division by zero",
                              "filename": "sdk1.py", "function": "divide",
                              "in_app_frame_mix": "in-app-only"}
    assert event.timestamp == pytest.approx(1795335505.125959)
    assert event.user == {"id": "u1", "ip_address": "10.0.0.1"}
    tags = dict(event_tags(event))
    assert tags["level"] == "error" and tags["environment"] == "production"
    assert tags["release"] == "myapp@1.0.0" and tags["user"] == "id:u1"
    assert tags["runtime"] == "CPython 3.11.7" and tags["handled"] == "yes"
    doc = document(event)
    assert doc["event_id"] == event.event_id and doc["received"] == RECEIVED
    assert doc["exception"]["values"][0]["type"] == "ZeroDivisionError"


def test_message_events():
    assert build({"message": "hello world"}).title == "hello world"
    event = build({"logentry": {"message": "hello %s", "params": ["cli"]}})
    assert (event.type, event.title, event.message, event.level) == \
        ("default", "hello cli", "hello cli", "error")
    assert build({}).title == "<unlabeled event>"
    assert build({"message": "x" * 300}).title.endswith("...")


def test_levels_and_platform():
    assert build({"level": "WARN"}).level == "warning"
    assert build({"level": "critical"}).level == "fatal"
    assert build({"level": 20}).level == "info"
    assert build({}).platform == "other"


def test_transactions():
    event = build({"type": "transaction", "transaction": "GET /", "spans": []}, "transaction")
    assert (event.type, event.title, event.level) == ("transaction", "GET /", "info")
    assert dict(event_tags(event))["transaction"] == "GET /"


def test_timestamps_in_every_form():
    assert build({"timestamp": 1795335618.78}).timestamp == 1795335618.78
    assert build({"timestamp": "1795335618"}).timestamp == 1795335618.0
    assert build({"timestamp": "garbage"}).timestamp == RECEIVED


def test_tags_as_pairs_keep_precedence_over_derived():
    event = build({"tags": [["level", "custom"], ["k", "v"]], "level": "info"})
    assert event_tags(event)[:2] == [["level", "custom"], ["k", "v"]]
    assert [key for key, _ in event_tags(event)].count("level") == 1
