"""
The live feeds on a real socket: what an open page is sent as events arrive, Spotlight's
C{POST /stream} and C{GET /stream} (its wire format, its backlog, resuming), the real Python
SDK with its C{spotlight} option, and the hub that watches the store for every stream.
"""

import base64
import json
import os
import sys
import uuid
from pathlib import Path

import pytest_twisted
import treq
from twisted.internet.task import Clock
from twisted.internet.utils import getProcessOutputAndValue

from sentry_fake.inspection.live import LiveHub, Stream
from sentry_fake.inspection.spotlight_wire import envelope_id, seq_of
from sentry_fake.testing import start_server
from sse_client import open_stream

APP = Path(__file__).parent / "clients" / "python_pages_app.py"


def event(message, level="error", **extra):
    return dict({"event_id": uuid.uuid4().hex, "message": message, "level": level}, **extra)


async def store_event(server, payload, project=1):
    answer = await treq.post(f"{server.url}/api/{project}/store/",
                             data=json.dumps(payload).encode(), persistent=False)
    assert answer.code == 200, await answer.text()
    await answer.content()


async def post_stream(server, body, headers=None):
    answer = await treq.post(f"{server.url}/stream", data=body, persistent=False,
                             headers=headers or {"Content-Type": "application/x-sentry-envelope"})
    return answer.code, answer.headers, await answer.content()


def reactor_():
    from twisted.internet import reactor

    return reactor


@pytest_twisted.ensureDeferred
async def test_an_open_stream_page_is_sent_the_issues_it_shows(server):
    reactor = reactor_()
    stream = await open_stream(reactor, server.port,
                               "/__parlel/live?view=issues&org=parlel&project=1&level=warning")
    await store_event(server, event("<b>elsewhere</b>", level="warning"), project=5)
    await store_event(server, event("an error, not shown", level="error"))
    await store_event(server, event("<b>disk</b> almost full", level="warning"))
    shown = await stream.wait_for(lambda e: e.event == "issue", reactor)
    assert stream.status == 200 and stream.header("content-type").startswith("text/event-stream")
    issue = shown.json()
    assert issue["id"] == "3"
    assert "&lt;b&gt;disk&lt;/b&gt; almost full" in issue["html"] and "<b>" not in issue["html"]
    assert issue["html"].startswith('<tr class="row level-warning" data-issue="3">')
    assert [e.json()["id"] for e in stream.events if e.event == "issue"] == ["3"]
    stream.transport.loseConnection()


@pytest_twisted.ensureDeferred
async def test_an_open_issue_page_is_sent_its_counts(server):
    reactor = reactor_()
    await store_event(server, event("payment declined"))
    issue_feed = await open_stream(reactor, server.port, "/__parlel/live?view=issue&issue=1")
    events_feed = await open_stream(reactor, server.port,
                                    "/__parlel/live?view=issue-events&issue=1")
    second = event("payment declined")
    await store_event(server, second)
    fields = (await issue_feed.wait_for(lambda e: e.event == "fields", reactor)).json()
    assert '<span title="2" class="count">2</span>' == fields["events"]
    notice = await issue_feed.wait_for(lambda e: e.event == "notice", reactor)
    assert notice.json() == {"count": 1}
    row = (await events_feed.wait_for(lambda e: e.event == "event", reactor)).json()
    assert row["id"] == second["event_id"] and f'data-event="{second["event_id"]}"' in row["html"]
    for feed in (issue_feed, events_feed):
        feed.transport.loseConnection()


@pytest_twisted.ensureDeferred
async def test_the_home_page_is_sent_counts_issues_and_events(server):
    reactor = reactor_()
    home = await open_stream(reactor, server.port, "/__parlel/live?view=home&org=parlel")
    await store_event(server, event("hello"))
    counts = (await home.wait_for(lambda e: e.event == "counts", reactor)).json()
    assert counts["events"] == '<span title="1" class="count">1</span>'
    assert (await home.wait_for(lambda e: e.event == "issue", reactor)).json()["id"] == "1"
    assert (await home.wait_for(lambda e: e.event == "event", reactor)).json()["id"]
    home.transport.loseConnection()


@pytest_twisted.ensureDeferred
async def test_a_stopping_server_ends_its_streams():
    reactor = reactor_()
    server = await start_server(reactor)
    stream = await open_stream(reactor, server.port, "/__parlel/live?view=home&org=parlel")
    spotlight = await open_stream(reactor, server.port, "/stream")
    await server.stop()
    await stream.closed
    await spotlight.closed
    assert stream.status == 200 and spotlight.status == 200


def test_the_hub_watches_the_store_only_while_streams_are_open_and_batches():
    class Store:
        def __init__(self):
            self.watchers = []

        def watch(self, callback):
            self.watchers.append(callback)

        def unwatch(self, callback):
            self.watchers.remove(callback)

    class Request:
        def __init__(self):
            from twisted.internet.defer import Deferred

            self.written, self.finished = [], Deferred()

        def write(self, data):
            self.written.append(data)

        def notifyFinish(self):
            return self.finished

    store, clock = Store(), Clock()
    hub = LiveHub(store, clock, interval=0.5, keepalive=10)
    got = []
    one, two = Request(), Request()
    hub.join(Stream(one, lambda records: [f"{len(records)}".encode()]))
    hub.join(Stream(two, lambda records: got.append(list(records)) or []))
    assert len(store.watchers) == 1
    for number in range(5):
        store.watchers[0](number)
    assert one.written == [] and got == []
    clock.advance(0.5)
    assert one.written == [b"5"] and got == [[0, 1, 2, 3, 4]]
    clock.advance(10)
    assert one.written[-1] == b": keep-alive\n\n"
    one.finished.callback(None)
    assert len(hub) == 1 and len(store.watchers) == 1
    two.finished.errback(ConnectionError("gone"))
    two.finished.addErrback(lambda _: None)
    assert len(hub) == 0 and store.watchers == [] and clock.getDelayedCalls() == []


def test_envelope_ids_carry_their_record():
    identifier = envelope_id(1795000000.123, 4242)
    assert seq_of(identifier) == 4242
    assert identifier.split("-")[2] == "7000" and len(identifier) == 36
    assert envelope_id(1795000000.124, 1) > envelope_id(1795000000.123, 9)
    assert seq_of("not-an-id") is None and seq_of(None) is None


ENVELOPE = (b'{"event_id":"%s","sent_at":"2026-12-01T00:00:00Z"}\n'
            b'{"type":"event"}\n'
            b'{"message":"through spotlight","level":"warning","sdk":{"name":"sentry.python",'
            b'"version":"2.75.0"},"contexts":{"trace":{"trace_id":"%s","span_id":"a1b2c3d4e5f60718"}}}\n'
            b'{"type":"attachment","filename":"a.bin","length":3}\n\xff\x00\xfe\n')


def spotlight_envelope():
    event_id, trace_id = uuid.uuid4().hex, uuid.uuid4().hex
    return event_id, trace_id, ENVELOPE % (event_id.encode(), trace_id.encode())


@pytest_twisted.ensureDeferred
async def test_spotlight_envelopes_are_ingested_without_a_key(server):
    event_id, _, body = spotlight_envelope()
    code, headers, content = await post_stream(server, body)
    assert code == 200 and json.loads(content) == {"id": event_id}
    assert headers.getRawHeaders("access-control-allow-origin") == ["*"]
    (stored,) = server.events()
    assert (stored["event_id"], stored["project"], stored["message"]) == \
        (event_id, 1, "through spotlight")
    with_dsn = (b'{"dsn":"http://other@127.0.0.1/7"}\n{"type":"event"}\n{"message":"to seven"}\n')
    code, _, _ = await post_stream(server, with_dsn, headers={"Content-Type": "text/plain"})
    assert code == 200
    assert [e["message"] for e in server.events(project=7)] == ["to seven"]
    preflight = await treq.request("OPTIONS", f"{server.url}/stream", persistent=False,
                                   headers={"Origin": "http://localhost:3000",
                                            "Access-Control-Request-Method": "POST"})
    assert preflight.code == 200
    assert "content-type" in preflight.headers.getRawHeaders("access-control-allow-headers")[0]
    code, _, content = await post_stream(server, b"not an envelope\n{")
    assert code == 400 and json.loads(content)["detail"]


@pytest_twisted.ensureDeferred
async def test_the_spotlight_stream_speaks_spotlights_wire_format(server):
    reactor = reactor_()
    first_id, trace_id, body = spotlight_envelope()
    assert (await post_stream(server, body))[0] == 200
    stream = await open_stream(reactor, server.port, "/stream?base64=1&client=spotlight-ui",
                               headers={"Origin": "http://localhost:5173"})
    backlog = await stream.wait_for(lambda e: True, reactor)
    assert stream.header("access-control-allow-origin") == "http://localhost:5173"
    assert backlog.event == "application/x-sentry-envelope;base64"
    header, items = backlog.json()
    assert header["event_id"] == first_id and header["__spotlight_envelope_id"] == backlog.id
    assert header["sdk"] == {"name": "sentry.python", "version": "2.75.0"}
    assert header["trace"] == {"trace_id": trace_id}
    assert [item[0]["type"] for item in items] == ["event", "attachment"]
    assert items[0][1]["message"] == "through spotlight" and items[0][1]["type"] == "event"
    assert base64.b64decode(items[1][1]["data"]) == b"\xff\x00\xfe"
    second_id, _, body = spotlight_envelope()
    await store_event(server, event("sent to the DSN"))
    assert (await post_stream(server, body))[0] == 200
    live = await stream.wait_for(
        lambda e: e.json()[0].get("event_id") == second_id, reactor)
    assert live.event == "application/x-sentry-envelope;base64"
    dsn_sent = [e for e in stream.events if e.json()[1][0][1].get("message") == "sent to the DSN"]
    assert len(dsn_sent) == 1
    stream.transport.loseConnection()

    resumed = await open_stream(reactor, server.port, "/stream",
                                headers={"Last-Event-ID": backlog.id, "Origin": "https://evil.example"})
    latest = await resumed.wait_for(lambda e: e.json()[0].get("event_id") == second_id, reactor)
    assert latest.event == "application/x-sentry-envelope"
    assert first_id not in [e.json()[0].get("event_id") for e in resumed.events]
    assert resumed.header("access-control-allow-origin") is None
    resumed.transport.loseConnection()


@pytest_twisted.ensureDeferred
async def test_the_python_sdk_with_spotlight_pointed_here(server):
    reactor = reactor_()
    stream = await open_stream(reactor, server.port, "/stream")
    out, err, code = await getProcessOutputAndValue(
        sys.executable, [str(APP), "spotlight", f"{server.url}/stream"], env=dict(os.environ))
    assert code == 0, err.decode()
    sent = json.loads(out)["exception"]
    (stored,) = await server.wait_for_events(1, timeout=10)
    assert stored["event_id"] == sent and stored["project"] == 1
    assert stored["exception"]["values"][-1]["type"] == "CheckoutError"
    seen = await stream.wait_for(lambda e: e.json()[0].get("event_id") == sent, reactor)
    payload = next(item[1] for item in seen.json()[1] if item[0]["type"] == "event")
    frames = payload["exception"]["values"][-1]["stacktrace"]["frames"]
    assert [frame["function"] for frame in frames][-2:] == ["spotlight", "checkout"]
    stream.transport.loseConnection()
