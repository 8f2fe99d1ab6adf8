"""
The pure event serializers: entries in Sentry's order and shapes, without a reactor.
"""

import json

from sentry_fake.management import event_entries, event_shapes
from sentry_fake.store.normalize import build_event, document

NOW = 1_795_000_000.0


def stored(payload, item_type="event"):
    raw = json.dumps(payload).encode()
    event = build_event(1, payload, raw, item_type, NOW)
    return event, document(event)


def test_entries_follow_sentrys_display_order():
    _, doc = stored({
        "debug_meta": {"images": [{"type": "elf", "code_file": "a.so"}]},
        "request": {"url": "http://x/"},
        "breadcrumbs": [{"timestamp": NOW, "message": "m"}],
        "csp": {"blocked_uri": "http://evil/", "effective_directive": "script-src"},
        "threads": {"values": [{"id": 1, "crashed": True,
                                "stacktrace": {"frames": [{"function": "run"}]}}]},
        "stacktrace": {"frames": [{"function": "f"}]},
        "exception": {"values": [{"type": "E", "value": "v"}]},
        "message": "hello",
    })
    assert [entry["type"] for entry in event_entries.entries(doc)] == [
        "message", "exception", "stacktrace", "threads", "csp", "breadcrumbs", "request",
        "debugmeta"]


def test_frames_paths_addresses_and_context():
    trace = event_entries.stacktrace({"frames": [
        {"abs_path": "https://cdn.example.com/static/app.js?v=1", "function": "a",
         "instruction_addr": "0x1a", "in_app": False},
        {"filename": "lib.rs", "instruction_addr": 0x1234567, "symbol_addr": "4096",
         "lineno": 10, "context_line": "x", "post_context": ["y"]},
    ], "frames_omitted": [1, 2]})
    first, second = trace["frames"]
    assert (first["filename"], first["absPath"]) == ("/static/app.js",
                                                     "https://cdn.example.com/static/app.js?v=1")
    assert (second["filename"], second["absPath"]) == ("lib.rs", "lib.rs")
    # Addresses are padded to the longest one in the trace, as Sentry shows them.
    assert first["instructionAddr"] == "0x000001a" and second["symbolAddr"] == "0x0001000"
    assert second["instructionAddr"] == "0x1234567"
    assert second["context"] == [[10, "x"], [11, "y"]] and first["context"] == []
    assert trace["framesOmitted"] == [1, 2] and trace["hasSystemFrames"] is False
    assert event_entries.stacktrace({"frames": []}) is None


def test_messages_formatting():
    assert event_entries.message({"logentry": {"message": "a {} b", "params": [1]}}) == \
        {"formatted": "a 1 b", "message": "a {} b", "params": [1]}
    assert event_entries.message({"message": "plain"}) == \
        {"formatted": "plain", "message": None, "params": []}
    assert event_entries.message({"logentry": {"formatted": "done", "message": "done"}}) == \
        {"formatted": "done", "message": None, "params": []}
    assert event_entries.message({}) is None


def test_request_pairs_and_body_inference():
    request = event_entries.request({"request": {
        "url": "http://x/p", "query_string": {"b": "2", "a": "1"},
        "headers": [["x-trace", "1"], ["Cookie", "ignored=1"]],
        "cookies": {"z": "1", "a": "2"}, "data": "k=v&l=w", "method": "get"}})
    assert request["query"] == [["a", "1"], ["b", "2"]]
    assert request["headers"] == [["X-Trace", "1"]]
    assert request["cookies"] == [["a", "2"], ["z", "1"]]
    assert request["data"] == {"k": "v", "l": "w"}
    assert request["inferredContentType"] == "application/x-www-form-urlencoded"
    assert request["method"] == "GET" and request["env"] is None
    plain = event_entries.request({"request": {
        "url": "http://x/", "data": "just text",
        "headers": {"Content-Type": "text/plain; charset=utf-8"}}})
    assert plain["data"] == "just text" and plain["inferredContentType"] == "text/plain"


def test_list_entry_and_full_event_of_a_transaction():
    event, doc = stored({"type": "transaction", "transaction": "GET /", "spans": [],
                         "start_timestamp": NOW - 1, "timestamp": NOW,
                         "user": {"username": "kim", "data": {"k": 1}}}, "transaction")
    entry = event_shapes.list_entry(event, doc)
    assert entry["groupID"] is None and entry["event.type"] == "transaction"
    assert entry["user"]["username"] == "kim" and entry["user"]["data"] == {"k": 1}
    full = event_shapes.full_event(event, doc, next_id="n", previous_id="p")
    assert full["entries"] == [{"type": "spans", "data": []}]
    assert (full["nextEventID"], full["previousEventID"]) == ("n", "p")
    assert full["startTimestamp"] == NOW - 1 and full["release"] is None
    assert full["user"]["id"] is None and full["size"] == len(event.raw)


def test_tags_are_sorted_without_sentry_prefix():
    assert event_shapes.tags([["sentry:release", "1"], ["a", "x"], ["user", "email:a@b"]]) == [
        {"key": "a", "value": "x"}, {"key": "release", "value": "1"},
        {"key": "user", "value": "email:a@b", "query": 'user.email:"a@b"'}]
