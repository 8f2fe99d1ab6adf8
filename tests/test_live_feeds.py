"""
The live feeds on a real socket: what an open page is sent as events arrive, Spotlight's
C{POST /stream} and C{GET /stream} (its wire format, its backlog, resuming), the real Python
SDK with its C{spotlight} option, and the hub that watches the store for every stream; clients
that stop reading: what the server holds for them (its transport's buffer and the stream's
backlog, measured), and how their streams end, while other clients get everything.
"""

import base64
import json
import os
import sys
import uuid
from pathlib import Path

import pytest_twisted
import treq
from twisted.internet.task import Clock, deferLater
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


# Clients that stop reading


class FakeTransport:
    def __init__(self):
        self.aborted = False

    def abortConnection(self):
        self.aborted = True


class ProducedRequest:
    """
    A request as a stream sees it: written to, finished, with a channel and a producer.
    """

    def __init__(self):
        from twisted.internet.defer import Deferred

        self.written, self.finished, self.producer = [], Deferred(), None
        self.channel = type("Channel", (), {"transport": FakeTransport()})()

    def write(self, data):
        self.written.append(data)

    def notifyFinish(self):
        return self.finished

    def registerProducer(self, producer, streaming):
        assert streaming and self.producer is None
        self.producer = producer

    def unregisterProducer(self):
        self.producer = None


class NoStore:
    def __init__(self):
        self.watchers = []

    def watch(self, callback):
        self.watchers.append(callback)

    def unwatch(self, callback):
        self.watchers.remove(callback)


def test_a_paused_stream_writes_nothing_and_sends_in_order_when_resumed():
    store, clock = NoStore(), Clock()
    hub = LiveHub(store, clock, interval=0.1, keepalive=1, stalled_after=30)
    request = ProducedRequest()
    stream = Stream(request, lambda records: [r.encode() for r in records],
                    first=iter([b"first", b"second"]))
    hub.join(stream)
    assert request.producer is stream and request.written == [b"first", b"second"]
    stream.pauseProducing()
    for number in range(3):
        store.watchers[0](f"m{number}")
    clock.advance(0.1)
    clock.advance(1)
    assert request.written == [b"first", b"second"] and len(stream.backlog) == 3
    stream.resumeProducing()
    assert request.written[2:] == [b"m0", b"m1", b"m2"] and stream.backlog.size == 0
    clock.advance(1)
    assert request.written[-1] == b": keep-alive\n\n"
    stream.pauseProducing()
    clock.advance(29)
    assert stream.open
    stream.resumeProducing()
    clock.advance(29)
    assert stream.open
    stream.stopProducing()
    assert not stream.open and len(hub) == 0 and request.producer is None
    assert store.watchers == [] and clock.getDelayedCalls() == []


def test_an_ordered_backlog_still_over_its_limit_at_the_next_delivery_closes_the_stream():
    from sentry_fake.inspection.backlogs import Later, OrderedBacklog

    store, clock = NoStore(), Clock()
    hub = LiveHub(store, clock)
    request = ProducedRequest()
    made = []

    def later(record):
        return Later(len(record), lambda: made.append(record) or record)

    stream = Stream(request, lambda records: [later(r) for r in records],
                    backlog=OrderedBacklog(limit=10))
    hub.join(stream)
    stream.pauseProducing()
    for record in (b"12345", b"67890", b"x"):
        store.watchers[0](record)
    clock.advance(0.2)
    # Over its limit in one delivery: kept, as what makes the messages (none made yet).
    assert stream.open and stream.backlog.size == 11 and made == []
    stream.resumeProducing()
    assert request.written == [b"12345", b"67890", b"x"] and stream.backlog.size == 0
    stream.pauseProducing()
    store.watchers[0](b"abcdefghijk")
    clock.advance(0.2)
    assert stream.open and stream.backlog.full
    store.watchers[0](b"y")
    clock.advance(0.2)
    assert not stream.open and request.channel.transport.aborted
    assert stream.closed_because == "over its backlog of 10 bytes"
    assert stream.backlog.size == 0 and len(hub) == 0 and request.written[3:] == []
    assert stream.done.called and request.producer is None and store.watchers == []


def test_a_stalled_stream_is_closed():
    store, clock = NoStore(), Clock()
    hub = LiveHub(store, clock, stalled_after=5)
    request = ProducedRequest()
    stream = Stream(request, lambda records: records)
    hub.join(stream)
    stream.pauseProducing()
    clock.advance(4.9)
    assert stream.open
    clock.advance(0.1)
    assert not stream.open and request.channel.transport.aborted
    assert stream.closed_because == "stalled for 5 s" and len(hub) == 0


def test_a_latest_backlog_keeps_the_newest_of_each_row_and_drops_the_oldest():
    from sentry_fake.inspection.backlogs import LatestBacklog, message_key
    from sentry_fake.inspection.live import sse

    def row(kind, key, html="x"):
        return sse(kind, json.dumps({"id": key, "html": html}, separators=(",", ":")).encode())

    counts = sse("counts", b'{"events":"1"}')
    assert message_key(row("issue", "3")) == b'issue "3"'
    assert message_key(row("issue", 'a"b')) == b'issue "a\\"b"'
    assert message_key(sse("region", b'{"name":"trace","html":""}')) == b'region "trace"'
    assert message_key(counts) == b"counts "
    backlog = LatestBacklog(limit=len(row("event", "e1")) * 3 + len(counts))
    for message in (counts, row("issue", "1", "old"), row("event", "e1"), row("issue", "1"),
                    sse("counts", b'{"events":"2"}')):
        backlog.add(message)
    assert [backlog.pop() for _ in range(3)] == [row("event", "e1"), row("issue", "1"),
                                                 sse("counts", b'{"events":"2"}')]
    assert backlog.pop() is None and backlog.size == 0 and backlog.dropped == 2
    for number in range(10):
        backlog.add(row("event", f"e{number}"))
    assert backlog.size <= backlog.limit
    assert [backlog.pop() for _ in range(len(backlog))][-1] == row("event", "e9")


def server_streams(monkeypatch):
    """
    The streams the server opens from now on, as it opens them.
    """
    opened = []
    join = LiveHub.join

    def recording(hub, stream):
        opened.append(stream)
        join(hub, stream)

    monkeypatch.setattr(LiveHub, "join", recording)
    return opened


def buffered(stream):
    """
    What the server holds for a stream's connection: its transport's buffer and its backlog.
    """
    channel = getattr(stream.request, "channel", None)
    transport = channel.transport if channel is not None else None
    held = stream.backlog.size
    if transport is not None:
        held += len(transport.dataBuffer) + transport._tempDataLen
    return held


async def stop_reading(reactor, port, path, opened):
    """
    A client of C{path} that reads nothing more once its answer's head is in, and the
    server's stream to it; small socket buffers on both ends, so that what the server sends
    piles up in the server.
    """
    import socket

    client = await open_stream(reactor, port, path)
    server_stream = opened[-1]
    client.transport.pauseProducing()
    client.transport.getHandle().setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    server_stream.request.channel.transport.getHandle().setsockopt(
        socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    return client, server_stream


def big_envelope(size):
    event_id = uuid.uuid4().hex
    blob = os.urandom(size)
    return event_id, (b'{"event_id":"%s"}\n{"type":"event"}\n{"message":"big %s"}\n'
                      b'{"type":"attachment","filename":"blob.bin","length":%d}\n'
                      % (event_id.encode(), event_id.encode(), len(blob)) + blob + b"\n")


async def health_time(server):
    import time

    started = time.monotonic()
    answer = await treq.get(f"{server.url}/health", persistent=False)
    await answer.content()
    assert answer.code == 200
    return time.monotonic() - started


@pytest_twisted.ensureDeferred
async def test_a_spotlight_client_that_stops_reading_is_held_to_its_backlog(server, monkeypatch):
    from sentry_fake.inspection.backlogs import ORDERED_MAX_BACKLOG

    reactor = reactor_()
    opened = server_streams(monkeypatch)
    reader = await open_stream(reactor, server.port, "/stream")
    stalled, slow = await stop_reading(reactor, server.port, "/stream", opened)
    peak = [0]
    send = slow.send

    def measured(records):
        send(records)
        peak[0] = max(peak[0], buffered(slow))

    slow.send = measured
    sent, slowest_health = [], 0.0
    for _ in range(16):
        event_id, body = big_envelope(900 * 1024)
        assert (await post_stream(server, body))[0] == 200
        sent.append(event_id)
        slowest_health = max(slowest_health, await health_time(server))
        peak[0] = max(peak[0], buffered(slow))
        # One envelope a delivery, so that what one delivery brings is known.
        await deferLater(reactor, 0.25, lambda: None)
    await reader.wait_for(lambda e: e.json()[0].get("event_id") == sent[-1], reactor, timeout=30)
    got = [e.json()[0]["event_id"] for e in reader.events]
    assert got == sent
    assert [seq_of(e.id) for e in reader.events] == sorted(seq_of(e.id) for e in reader.events)
    # An envelope is 1.2 MB on the wire: the backlog and one delivery over it, and what the
    # transport took before it paused the stream (its 64 KiB and the message that passed them).
    message = len(reader.events[0].data)
    assert ORDERED_MAX_BACKLOG < peak[0] <= ORDERED_MAX_BACKLOG + 3 * message
    assert slow.closed_because == f"over its backlog of {ORDERED_MAX_BACKLOG} bytes"
    # The client sees it once it reads again.
    stalled.transport.resumeProducing()
    await stalled.closed
    assert not slow.open and slow not in list(slow._hub) and len(slow._hub) == 1
    assert len(stalled.events) < len(sent)
    assert slowest_health < 1.0
    reader.transport.loseConnection()

    # Connecting again, as EventSource does, it is sent the latest envelopes again, as
    # the client reads them.
    again = await open_stream(reactor, server.port, "/stream")
    await again.wait_for(lambda e: e.json()[0].get("event_id") == sent[-1], reactor, timeout=30)
    assert [e.json()[0]["event_id"] for e in again.events] == sent
    again.transport.loseConnection()


@pytest_twisted.ensureDeferred
async def test_a_page_that_stops_reading_keeps_only_the_latest_rows(server, monkeypatch):
    from sentry_fake.inspection import backlogs, live

    monkeypatch.setattr(backlogs, "LATEST_MAX_BACKLOG", 16 * 1024)
    monkeypatch.setattr(live, "STALLED_AFTER", 5.0)
    reactor = reactor_()
    opened = server_streams(monkeypatch)
    reader = await open_stream(reactor, server.port, "/__parlel/live?view=home&org=parlel")
    stalled, slow = await stop_reading(reactor, server.port,
                                       "/__parlel/live?view=home&org=parlel", opened)
    peak = [0]
    send = slow.send

    def measured(records):
        send(records)
        peak[0] = max(peak[0], buffered(slow))

    slow.send = measured
    last, stored = None, 0
    for _ in range(8):
        # A delivery of 25 new issues and events: the rows a page shows.
        for _ in range(25):
            last = event(f"slow page {stored} " + uuid.uuid4().hex)
            await store_event(server, last)
            stored += 1
        assert await health_time(server) < 1.0
        await deferLater(reactor, 0.25, lambda: None)
    row = await reader.wait_for(lambda e: e.event == "event" and e.json()["id"] ==
                                last["event_id"], reactor)
    assert row.json()["html"]
    counts = [e.json() for e in reader.events if e.event == "counts"][-1]
    assert counts["events"] == f'<span title="{stored}" class="count">{stored}</span>'
    assert slow.open and slow.paused and slow.backlog.dropped > 0
    largest = max(len(e.data) for e in reader.events) + 100
    # Its backlog, and what the transport took before it paused the stream.
    assert peak[0] <= 16 * 1024 + 64 * 1024 + 2 * largest
    await deferLater(reactor, 5.0, lambda: None)
    assert slow.closed_because == "stalled for 5 s" and not slow.open
    assert slow not in list(slow._hub)
    stalled.transport.resumeProducing()
    await stalled.closed
    reader.transport.loseConnection()
