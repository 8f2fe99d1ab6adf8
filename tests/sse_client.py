"""
A small server-sent events client for the tests, on a plain TCP connection of the test's
reactor: it sends one GET, reads the head, then splits the body into events.
"""

from __future__ import annotations

import json
from typing import Any

from twisted.internet.defer import Deferred
from twisted.internet.endpoints import TCP4ClientEndpoint, connectProtocol
from twisted.internet.protocol import Protocol


class SSE:
    def __init__(self, event: str, data: str, identifier: str | None) -> None:
        self.event, self.data, self.id = event, data, identifier

    def json(self) -> Any:
        return json.loads(self.data)

    def __repr__(self) -> str:
        return f"<SSE {self.event} {self.data[:80]!r}>"


def _dechunk(body: bytes) -> tuple[bytes, bytes]:
    """
    The data of the complete chunks at the front of a chunked body, and what is left.
    """
    out = b""
    while True:
        line_end = body.find(b"\r\n")
        if line_end < 0:
            return out, body
        size = int(body[:line_end].split(b";")[0] or b"0", 16)
        if len(body) < line_end + 2 + size + 2:
            return out, body
        out += body[line_end + 2:line_end + 2 + size]
        body = body[line_end + 2 + size + 2:]


class SSEProtocol(Protocol):
    def __init__(self, request: bytes) -> None:
        self.request = request
        self.head: bytes | None = None
        self.raw = b""
        self.text = b""
        self.events: list[SSE] = []
        self.comments = 0
        self.waiting: list[tuple[Any, Deferred]] = []
        self.closed: Deferred[None] = Deferred()
        #: Fires once the head of the answer is in (the server is streaming to us).
        self.ready: Deferred[None] = Deferred()

    def connectionMade(self) -> None:
        self.transport.write(self.request)

    def dataReceived(self, data: bytes) -> None:
        self.raw += data
        if self.head is None:
            end = self.raw.find(b"\r\n\r\n")
            if end < 0:
                return
            self.head, self.raw = self.raw[:end], self.raw[end + 4:]
            self.ready.callback(None)
        chunk, self.raw = _dechunk(self.raw)
        self.text += chunk
        while b"\n\n" in self.text:
            block, self.text = self.text.split(b"\n\n", 1)
            self._event(block.decode("utf-8"))
        for test, waiter in list(self.waiting):
            found = [event for event in self.events if test(event)]
            if found and not waiter.called:
                self.waiting.remove((test, waiter))
                waiter.callback(found[0])

    def _event(self, block: str) -> None:
        fields: dict[str, list[str]] = {}
        for line in block.split("\n"):
            if not line:
                continue
            if line.startswith(":"):
                self.comments += 1
                continue
            name, _, value = line.partition(":")
            fields.setdefault(name, []).append(value[1:] if value.startswith(" ") else value)
        if "data" in fields:
            self.events.append(SSE((fields.get("event") or ["message"])[0],
                                   "\n".join(fields["data"]), (fields.get("id") or [None])[0]))

    def connectionLost(self, reason: Any) -> None:
        if not self.ready.called:
            self.ready.errback(ConnectionError("closed before an answer"))
        if not self.closed.called:
            self.closed.callback(None)

    def header(self, name: str) -> str | None:
        for line in (self.head or b"").split(b"\r\n")[1:]:
            key, _, value = line.partition(b":")
            if key.strip().lower() == name.lower().encode():
                return value.strip().decode("latin-1")
        return None

    @property
    def status(self) -> int | None:
        return int(self.head.split(b" ")[1]) if self.head else None

    def wait_for(self, test: Any, reactor: Any, timeout: float = 10) -> Deferred:
        """
        The first event (received already or later) that passes C{test}; fails after
        C{timeout} seconds.
        """
        found = [event for event in self.events if test(event)]
        done: Deferred = Deferred()
        if found:
            done.callback(found[0])
            return done
        self.waiting.append((test, done))

        def expire() -> None:
            if not done.called:
                self.waiting.remove((test, done))
                done.errback(TimeoutError(f"no such event within {timeout} s; got {self.events}"))

        call = reactor.callLater(timeout, expire)
        done.addBoth(lambda result: (call.active() and call.cancel(), result)[1])
        return done


async def open_stream(reactor: Any, port: int, path: str,
                      headers: dict[str, str] | None = None) -> SSEProtocol:
    lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Accept: text/event-stream"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    protocol = SSEProtocol(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
    await connectProtocol(TCP4ClientEndpoint(reactor, "127.0.0.1", port), protocol)
    await protocol.ready
    return protocol
