"""
Ingest over a real socket: chunked bodies, bodies over the wire limit, and a server that keeps
serving after every kind of bad input.
"""

import gzip
import socket

import pytest_twisted
from twisted.internet.threads import deferToThread

from sentry_fake.application import Settings
from sentry_fake.store.limits import Limits
from sentry_fake.testing import start_server

ENVELOPE = b'{"event_id":"4a3f0c1d2e3f40718293a4b5c6d7e8f9"}\n{"type":"event"}\n{"message":"chunked"}'


def raw_http(port: int, request: bytes) -> bytes:
    """
    Send bytes as they are and read the whole answer (the connection is closed by us after).
    """
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(request)
        conn.shutdown(socket.SHUT_WR)
        chunks = []
        while True:
            data = conn.recv(65536)
            if not data:
                break
            chunks.append(data)
    return b"".join(chunks)


def chunked(body: bytes, size: int = 7) -> bytes:
    parts = [b"%x\r\n%s\r\n" % (len(body[i:i + size]), body[i:i + size])
             for i in range(0, len(body), size)]
    return b"".join(parts) + b"0\r\n\r\n"


@pytest_twisted.ensureDeferred
async def test_chunked_body_without_length_or_type_like_node(server):
    request = (b"POST /api/1/envelope/?sentry_version=7&sentry_key=parlel&sentry_client=sentry.javascript.node%2F11.12.0 HTTP/1.1\r\n"
               b"Host: 127.0.0.1\r\nuser-agent: sentry.javascript.node/11.12.0\r\n"
               b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + chunked(ENVELOPE))
    answer = await deferToThread(raw_http, server.port, request)
    assert answer.startswith(b"HTTP/1.1 200"), answer
    assert b'{"id":"4a3f0c1d2e3f40718293a4b5c6d7e8f9"}' in answer
    assert server.store.event("4a3f0c1d2e3f40718293a4b5c6d7e8f9").title == "chunked"


@pytest_twisted.ensureDeferred
async def test_bad_input_gets_json_errors_and_the_server_keeps_serving():
    from twisted.internet import reactor
    import treq

    running = await start_server(reactor, Settings(limits=Limits(request_body=4096, envelope=8192)))
    auth = {"X-Sentry-Auth": "Sentry sentry_key=parlel, sentry_version=7"}
    try:
        cases = [
            ("POST", "/api/1/store/", b"{not json", auth, 400),
            ("POST", "/api/1/envelope/", b"\x00\x01garbage", auth, 400),
            ("POST", "/api/1/envelope/", b"{}\n" + b"x" * 5000, auth, 413),
            ("POST", "/api/1/envelope/", gzip.compress(b"{}\n" + b" " * 100_000),
             dict(auth, **{"Content-Encoding": "gzip"}), 413),
            ("GET", "/api/1/envelope/", None, auth, 405),
            ("GET", "/api/0/organizations/", None, {}, 401),
        ]
        for method, path, body, headers, status in cases:
            response = await treq.request(method, running.url + path, data=body, headers=headers,
                                          persistent=False)
            assert response.code == status, (path, status, await response.content())
            assert response.headers.getRawHeaders("content-type") == ["application/json"]
            assert "detail" in await response.json()
        # A chunked body over the limit is refused too, though no length announced it.
        request = (b"POST /api/1/envelope/?sentry_key=parlel HTTP/1.1\r\nHost: localhost\r\n"
                   b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                   + chunked(b"{}\n" + b"y" * 6000, 1000))
        answer = await deferToThread(raw_http, running.port, request)
        assert answer.startswith(b"HTTP/1.1 413"), answer
        health = await treq.get(running.url + "/health", persistent=False)
        assert (health.code, await health.json()) == (200, {"status": "ok"})
        assert len(running.store.events()) == 0
    finally:
        await running.stop()


@pytest_twisted.ensureDeferred
async def test_idle_and_slow_connections_are_closed():
    from twisted.internet import reactor

    running = await start_server(reactor, Settings(idle_timeout=0.3))

    def hold_open(payload: bytes) -> bytes:
        with socket.create_connection(("127.0.0.1", running.port), timeout=10) as conn:
            conn.sendall(payload)
            # No more bytes: the server must give up on us and close the connection.
            return conn.recv(65536)

    try:
        assert await deferToThread(hold_open, b"") == b""
        half = await deferToThread(hold_open, b"POST /api/1/envelope/ HTTP/1.1\r\nHost: localhost\r\n"
                                              b"Content-Length: 1000\r\n\r\n{}")
        assert b" 200 " not in half
        health = await deferToThread(raw_http, running.port,
                                     b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        assert health.startswith(b"HTTP/1.1 200")
    finally:
        await running.stop()
