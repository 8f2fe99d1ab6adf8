"""
Normalization: what a stored event gets beyond what was sent.
"""

import pytest

from sentry_fake.errors import Invalid
from sentry_fake.store.normalize import build_event, document, event_tags, normalize_event_id

RECEIVED = 1_795_340_000.0  # an hour or so after the events below say they happened


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
    # Sentry writes the synthetic flag only on a synthetic exception's metadata.
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
    # Relay knows no level "warn": the level becomes the default.
    assert build({"level": "WARN"}).level == "error"
    assert build({"level": "warning"}).level == "warning"
    assert build({"level": "critical"}).level == "fatal"
    assert build({"level": 20}).level == "info"
    assert build({}).platform == "other"


def test_transactions():
    event = build({"type": "transaction", "transaction": "GET /", "spans": []}, "transaction")
    assert (event.type, event.title, event.level) == ("transaction", "GET /", "info")
    assert dict(event_tags(event))["transaction"] == "GET /"


def test_timestamps_in_every_form():
    assert build({"timestamp": 1795335618.78}).timestamp == 1795335618.78
    # Relay refuses numeric strings.
    assert build({"timestamp": "1795335618"}).timestamp == RECEIVED
    assert build({"timestamp": "garbage"}).timestamp == RECEIVED


def test_a_time_too_far_from_arrival_is_the_arrival_time():
    # As Relay: up to a minute ahead of the clock, and up to 30 days behind it.
    assert build({"timestamp": RECEIVED + 60}).timestamp == RECEIVED + 60
    assert build({"timestamp": RECEIVED + 61}).timestamp == RECEIVED
    assert build({"timestamp": RECEIVED - 30 * 86400}).timestamp == RECEIVED - 30 * 86400
    assert build({"timestamp": RECEIVED - 30 * 86400 - 1}).timestamp == RECEIVED


def test_the_events_own_level_replaces_a_level_tag():
    # Sentry's set_tag drops the tag of that name, then adds the event's level.
    event = build({"tags": [["level", "custom"], ["k", "v"]], "level": "info"})
    assert event_tags(event)[:2] == [["k", "v"], ["level", "info"]]
    assert [key for key, _ in event_tags(event)].count("level") == 1


def js_exception(frames, platform="node", **value):
    return {"platform": platform, "exception": {"values": [
        {"type": "TypeError", "value": "x is undefined", **value,
         "stacktrace": {"frames": frames}}]}}


APP_FRAMES = [
    {"filename": "/srv/node_modules/express/router.js", "module": "express.router",
     "function": "Layer.handle", "in_app": False},
    {"filename": "/srv/app/checkout.js", "module": "checkout", "function": "pay", "in_app": True},
    {"filename": "/srv/app/util.js", "module": "util", "function": None, "in_app": True},
]


def test_javascript_culprits_name_the_function_then_the_module():
    event = build(js_exception(APP_FRAMES))
    assert event.culprit == "?(util)"
    assert (event.metadata["function"], event.metadata["filename"]) == \
        ("pay", "/srv/app/checkout.js")
    assert build(js_exception(APP_FRAMES[:2], platform="javascript")).culprit == "pay(checkout)"
    # Without in-app frames the last frame stands in; other platforms say "module in function".
    assert build(js_exception(APP_FRAMES[:1])).culprit == "Layer.handle(express.router)"
    assert build({**js_exception(APP_FRAMES[:2]), "platform": "python"}).culprit == \
        "checkout in pay"
    # The event's own culprit, then its transaction, win.
    assert build({**js_exception(APP_FRAMES), "transaction": "GET /pay"}).culprit == "GET /pay"


def test_library_frames_are_not_the_culprit_even_if_the_sdk_says_in_app():
    frames = [{"filename": "/srv/app/main.py", "module": "main", "function": "run", "in_app": True},
              {"filename": "/venv/lib/site-packages/requests/api.py", "module": "requests.api",
               "function": "get", "in_app": True}]
    event = build({**js_exception(frames), "platform": "python"})
    assert event.culprit == "main in run"
    assert event.metadata["in_app_frame_mix"] == "mixed"


def test_synthetic_exceptions_are_named_after_the_crash_function():
    synthetic = {"type": "generic", "handled": True, "synthetic": True}
    frames = [{"filename": "/srv/app.mjs", "module": "app", "function": "main", "in_app": True}]
    event = build({**js_exception(frames, mechanism=synthetic), "message": "sync late",
                   "level": "warning"})
    assert (event.type, event.title, event.culprit, event.level) == \
        ("error", "main", "", "warning")
    assert event.metadata == {"value": "x is undefined", "type": "TypeError", "synthetic": True,
                              "filename": "/srv/app.mjs", "function": "main",
                              "in_app_frame_mix": "in-app-only"}
    # The JavaScript SDKs' captureMessage: no type; a crash signal without frames: its type.
    no_type = build({"platform": "node", "exception": {"values": [
        {"value": "sync late", "mechanism": synthetic, "stacktrace": {"frames": frames}}]}})
    assert (no_type.title, no_type.metadata["type"]) == ("main", "Error")
    signal = build({"exception": {"values": [
        {"type": "SIGSEGV", "value": "Signal 11", "mechanism": synthetic}]}})
    # Without a frame to name it, Sentry titles a synthetic exception "<unknown>".
    assert signal.title == "<unknown>"


def test_titles_are_cut_at_256_characters():
    long = "x" * 300
    assert build({"message": long}).title == "x" * 253 + "..."
    assert build({"exception": {"values": [{"type": "E", "value": long}]}}).title == \
        "E: " + "x" * 253 + "..."
    assert build({"exception": {"values": [{"type": "E", "value": "y" * 2000}]}}) \
        .metadata["value"] == "y" * 1021 + "..."
    assert build({"message": "  first line\nsecond"}).title == "first line"


def test_type_and_value_read_from_a_value_alone():
    event = build({"exception": {"values": [{"value": "KeyError: 'user'"}]}})
    assert (event.title, event.metadata["type"], event.metadata["value"]) == \
        ("KeyError: 'user'", "KeyError", "'user'")
    assert build({"exception": {"values": [{"mechanism": {"type": "x"}}]}}).type == "default"


def test_message_events_take_their_culprit_from_a_stack_trace_or_the_request():
    frames = [{"filename": "jobs.py", "module": "jobs", "function": "nightly", "in_app": True}]
    assert build({"message": "done", "stacktrace": {"frames": frames}}).culprit == \
        "jobs in nightly"
    assert build({"message": "done", "request": {"url": "https://shop.example/cart"}}).culprit == \
        "https://shop.example/cart"
    assert build({"message": "done", "stacktrace": {"frames": frames}}).metadata == \
        {"title": "done", "in_app_frame_mix": "in-app-only"}


def test_frame_mix_covers_every_stack_trace():
    event = build({"exception": {"values": [{"type": "E", "stacktrace": {"frames": [
        {"function": "a", "in_app": True}]}}]},
        "threads": {"values": [{"stacktrace": {"frames": [{"function": "b"}]}}]}})
    assert event.metadata["in_app_frame_mix"] == "mixed"


def test_an_exception_group_is_named_after_its_one_kind_of_member():
    def member(exception_id, parent_id=None, group=False, **value):
        mechanism = {"type": "chained", "exception_id": exception_id, "is_exception_group": group}
        if parent_id is not None:
            mechanism["parent_id"] = parent_id
        return {**value, "mechanism": mechanism}

    event = build({"exception": {"values": [
        member(1, 0, type="ValueError", value="bad"),
        member(0, group=True, type="ExceptionGroup", value="1 error")]}})
    assert event.title == "ValueError: bad"
