"""
Server-sent event streams fed by the store's C{watch} callback: one watcher for every open
stream (the hub), which gathers what was stored and hands it to the streams a few times a
second, so a burst of events costs each stream one message per issue, not one per event,
and nothing ever reads the whole store.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

from twisted.internet.defer import Deferred
from twisted.logger import Logger

#: What a stream sends for the records stored since its last delivery.
Deliver = Callable[[list[Any]], Iterable[bytes]]


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


class Stream:
    """
    One open event stream: a request still being answered, and what it sends for new records.
    C{done} fires when it ends (Klein then finishes the request, if the client is still there).
    """

    def __init__(self, request: Any, deliver: Deliver) -> None:
        self.request = request
        self._deliver = deliver
        self.open = True
        self.done: Deferred[None] = Deferred()

    def send(self, records: list[Any]) -> None:
        for chunk in self._deliver(records):
            self.write(chunk)

    def write(self, data: bytes) -> None:
        if self.open:
            self.request.write(data)

    def close(self) -> None:
        self.open = False
        if not self.done.called:
            self.done.callback(None)


class LiveHub:
    """
    Watches the store while any stream is open, and delivers to each what was stored, at most
    every C{interval} seconds; a comment every C{keepalive} seconds keeps idle streams open
    through proxies and shows a closed connection.
    """

    log = Logger()

    def __init__(self, store: Any, clock: Any, interval: float = 0.2,
                 keepalive: float = 15.0) -> None:
        self._store = store
        self._clock = clock
        self._interval = interval
        self._keepalive = keepalive
        self._streams: list[Stream] = []
        self._pending: list[Any] = []
        self._delivery: Any = None
        self._ping: Any = None

    def __len__(self) -> int:
        return len(self._streams)

    def join(self, stream: Stream) -> None:
        """
        Deliver to C{stream} from now on, until its request finishes (or L{close}).
        """
        if not self._streams:
            self._store.watch(self._stored)
            self._ping = self._clock.callLater(self._keepalive, self._keep_alive)
        self._streams.append(stream)
        stream.request.notifyFinish().addBoth(lambda _: self.leave(stream))

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
        End every stream and its connection (the server is stopping).
        """
        for stream in list(self._streams):
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
            stream.write(b": keep-alive\n\n")
        self._ping = self._clock.callLater(self._keepalive, self._keep_alive)
