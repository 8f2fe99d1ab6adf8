"""
Server-sent event streams fed by the store's C{watch} callback: one watcher for every open
stream (the hub), which gathers what was stored and hands it to the streams a few times a
second, so a burst of events costs each stream one message per issue, not one per event,
and nothing ever reads the whole store.

Each stream is a push producer on its request: the connection pauses it when the client stops
reading (the socket's and the transport's buffers are full) and resumes it once they drained.
While paused a stream writes nothing; it keeps what it would have sent in a bounded backlog:

- an ordered one (Spotlight's, whose envelopes must arrive in order, each once): every message,
  kept as what it is made from (the items the store keeps) and made only when the connection
  takes it.  A stream still over C{ORDERED_MAX_BACKLOG} (in L{backlogs}) bytes when the next delivery comes (its
  client did not catch up within a delivery) is closed, its connection aborted with what it
  buffers; a client that connects again is sent the latest envelopes;
- a latest-only one (the pages' feeds, whose messages are rows, counts and regions a newer one
  replaces): only the newest message of each row, count or region, up to
  C{LATEST_MAX_BACKLOG} bytes, the oldest dropped past that.

A stream paused for L{STALLED_AFTER} seconds on end is closed too.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Iterator

from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IPushProducer
from twisted.logger import Logger
from zope.interface import implementer

from .backlogs import LatestBacklog, Later, Message, OrderedBacklog

#: What a stream sends for the records stored since its last delivery.
Deliver = Callable[[list[Any]], Iterable[Message]]

#: A stream whose client reads nothing for this many seconds (its connection paused all along)
#: is closed.
STALLED_AFTER = 60.0

_log = Logger()


def sse(event: str, data: bytes, identifier: str | None = None) -> bytes:
    """
    One server-sent event (C{data} must be one line, as JSON is).
    """
    head = f"id: {identifier}\n" if identifier else ""
    return f"{head}event: {event}\ndata: ".encode("utf-8") + data + b"\n\n"


def start_stream(request: Any, first: bytes = b"retry: 3000\n\n") -> None:
    """
    Answer a request with a stream of events that stays open.
    """
    request.setResponseCode(200)
    request.setHeader(b"content-type", b"text/event-stream; charset=utf-8")
    request.setHeader(b"cache-control", b"no-cache")
    request.setHeader(b"x-accel-buffering", b"no")
    request.write(first)


@implementer(IPushProducer)
class Stream:
    """
    One open event stream: a request still being answered, and what it sends for new records.
    C{done} fires when it ends (Klein then finishes the request, if the client is still there).

    C{first} is sent before anything else, as the client reads (it is read lazily: a long
    backlog is never all in memory); C{backlog} keeps what comes while the client is not
    reading (an L{OrderedBacklog} unless told).
    """

    def __init__(self, request: Any, deliver: Deliver, first: Iterable[Message] = (),
                 backlog: OrderedBacklog | LatestBacklog | None = None) -> None:
        self.request = request
        self._deliver = deliver
        self._first: Iterator[Message] | None = iter(first)
        self.backlog = backlog if backlog is not None else OrderedBacklog()
        self.open = True
        #: Whether the connection asked to stop writing (its client is not reading).
        self.paused = False
        #: Why the server closed it (over its backlog, stalled), if it did.
        self.closed_because: str | None = None
        self.done: Deferred[None] = Deferred()
        self._hub: LiveHub | None = None
        self._clock: Any = None
        self._stalled_after = STALLED_AFTER
        self._stall: Any = None
        self._registered = False

    def attach(self, hub: LiveHub, clock: Any, stalled_after: float) -> None:
        """
        Become the request's producer (so the connection says when to pause) and send
        what comes first.
        """
        self._hub, self._clock, self._stalled_after = hub, clock, stalled_after
        register = getattr(self.request, "registerProducer", None)
        if register is not None:
            register(self, True)
            self._registered = True
            channel = getattr(self.request, "channel", None)
            if getattr(channel, "_waitingForTransport", False):
                self.pauseProducing()
        self._drain()

    def send(self, records: list[Any]) -> None:
        """
        Send what the records stored since the last delivery make, or keep it if the client
        is not reading; a stream still over its backlog since the last delivery is closed.
        """
        if self.open and self.paused and self.backlog.full:
            self.abort(f"over its backlog of {self.backlog.limit} bytes")
            return
        for chunk in self._deliver(records):
            self.write(chunk)

    def write(self, data: Message) -> None:
        if not self.open:
            return
        if self.paused or self._first is not None or len(self.backlog):
            self.backlog.add(data)
            return
        self.request.write(data.make() if isinstance(data, Later) else data)

    def ping(self) -> None:
        """
        A comment that keeps an idle stream open (skipped while anything waits).
        """
        if self.open and not self.paused and self._first is None and not len(self.backlog):
            self.request.write(b": keep-alive\n\n")

    def _drain(self) -> None:
        while self.open and not self.paused:
            if self._first is not None:
                chunk = next(self._first, None)
                if chunk is None:
                    self._first = None
                    continue
            else:
                chunk = self.backlog.pop()
                if chunk is None:
                    return
            self.request.write(chunk.make() if isinstance(chunk, Later) else chunk)

    # IPushProducer

    def pauseProducing(self) -> None:
        self.paused = True
        if self._stall is None and self._clock is not None and self.open:
            self._stall = self._clock.callLater(self._stalled_after, self.abort,
                                                f"stalled for {self._stalled_after:g} s")

    def resumeProducing(self) -> None:
        self.paused = False
        self._stop_stall()
        self._drain()

    def stopProducing(self) -> None:
        self._end()

    # Ending

    def _stop_stall(self) -> None:
        if self._stall is not None and self._stall.active():
            self._stall.cancel()
        self._stall = None

    def _end(self) -> None:
        self.close()
        if self._hub is not None:
            self._hub.leave(self)

    def abort(self, why: str) -> None:
        """
        Close the stream and drop its connection with whatever it buffers (the client stopped
        reading).
        """
        if not self.open:
            return
        self.closed_because = why
        _log.info("closing a live stream: {why}", why=why)
        channel = getattr(self.request, "channel", None)
        transport = getattr(channel, "transport", None)
        self._end()
        if transport is not None:
            transport.abortConnection()

    def close(self) -> None:
        self.open = False
        self._stop_stall()
        self._first = None
        self.backlog.clear()
        if self._registered:
            self._registered = False
            if getattr(self.request, "channel", None) is not None:
                self.request.unregisterProducer()
            else:
                self.request.producer = None
        if not self.done.called:
            self.done.callback(None)


class LiveHub:
    """
    Watches the store while any stream is open, and delivers to each what was stored, at most
    every C{interval} seconds; a comment every C{keepalive} seconds keeps idle streams open
    through proxies and shows a closed connection.  A stream paused for C{stalled_after}
    seconds is closed.
    """

    log = Logger()

    def __init__(self, store: Any, clock: Any, interval: float = 0.2,
                 keepalive: float = 15.0, stalled_after: float | None = None) -> None:
        self._store = store
        self._clock = clock
        self._interval = interval
        self._keepalive = keepalive
        self._stalled_after = STALLED_AFTER if stalled_after is None else stalled_after
        self._streams: list[Stream] = []
        self._pending: list[Any] = []
        self._delivery: Any = None
        self._ping: Any = None

    def __len__(self) -> int:
        return len(self._streams)

    def __iter__(self) -> Iterator[Stream]:
        return iter(list(self._streams))

    def join(self, stream: Stream) -> None:
        """
        Deliver to C{stream} from now on, until its request finishes (or L{close}).
        """
        if not self._streams:
            self._store.watch(self._stored)
            self._ping = self._clock.callLater(self._keepalive, self._keep_alive)
        self._streams.append(stream)
        stream.request.notifyFinish().addBoth(lambda _: self.leave(stream))
        stream.attach(self, self._clock, self._stalled_after)

    def leave(self, stream: Stream) -> None:
        stream.close()
        if stream in self._streams:
            self._streams.remove(stream)
            if not self._streams:
                self._store.unwatch(self._stored)
                self._pending = []
                for call in (self._delivery, self._ping):
                    if call is not None and call.active():
                        call.cancel()
                self._delivery = self._ping = None

    def close(self) -> None:
        """
        End every stream and its connection (the server is stopping); a stream whose client
        is not reading is dropped at once.
        """
        for stream in list(self._streams):
            if stream.paused:
                stream.abort("the server is stopping")
                continue
            channel = getattr(stream.request, "channel", None)
            if channel is not None and hasattr(channel, "persistent"):
                channel.persistent = False
            self.leave(stream)

    def _stored(self, record: Any) -> None:
        self._pending.append(record)
        if self._delivery is None:
            self._delivery = self._clock.callLater(self._interval, self._deliver)

    def _deliver(self) -> None:
        self._delivery = None
        records, self._pending = self._pending, []
        for stream in list(self._streams):
            try:
                stream.send(records)
            except Exception:
                self.log.failure("live stream failed; closing it")
                self.leave(stream)

    def _keep_alive(self) -> None:
        for stream in list(self._streams):
            stream.ping()
        self._ping = self._clock.callLater(self._keepalive, self._keep_alive)
