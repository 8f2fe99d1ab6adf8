"""
What a connection may send, and how slowly: each refusal is a clear answer on the wire, a slow
client is cut off at its deadline, and the server keeps answering everyone else meanwhile.
"""

import json
import socket
import time

import pytest
import pytest_twisted
from twisted.internet.threads import deferToThread

from sentry_fake.application import Settings
from sentry_fake.testing import start_server

ENVELOPE = b'{}\n{"type":"event"}\n{"message":"m"}'


def exchange(port: int, head: bytes, body: bytes = b"", timeout: float = 5) -> tuple[int, dict, bytes]:
    """
    Send C{head} and C{body} on a new connection and read the answer up to its close.
    """
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(head + body)
        return read_answer(sock)


def read_answer(sock: socket.socket) -> tuple[int, dict, bytes]:
    data = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {name.lower(): value.strip() for name, _, value in
               (line.partition(":") for line in lines[1:])}
    return status, headers, body


@pytest_twisted.async_yield_fixture
async def strict_server():
    from twisted.internet import reactor

    running = await start_server(reactor, Settings(head_timeout=1, min_body_rate=1000,
                                                   body_rate_window=1))
    yield running
    await running.stop()


@pytest.mark.parametrize("name, head, status", [
    ("request line", b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: localhost\r\n\r\n", 414),
    ("endless request line", b"GET /" + b"a" * 20000, 414),
    ("header line", b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: " + b"b" * 17000 + b"\r\n\r\n", 431),
    ("header fields", b"GET / HTTP/1.1\r\n" + b"".join(b"X-%d: v\r\n" % n for n in range(101))
     + b"\r\n", 431),
    ("header section", b"GET / HTTP/1.1\r\n" + b"".join(b"X-%d: %s\r\n" % (n, b"v" * 900)
                                                         for n in range(20)) + b"\r\n", 431),
    ("declared body", b"POST /api/1/envelope/ HTTP/1.1\r\nHost: localhost\r\nContent-Length: "
     + str(10 * 2**30).encode() + b"\r\n\r\n", 413),
])
@pytest_twisted.ensureDeferred
async def test_an_oversize_head_or_body_is_answered_not_dropped(server, name, head, status):
    started = time.monotonic()
    code, headers, body = await deferToThread(exchange, server.port, head)
    assert (code, headers["content-type"], headers["connection"]) == (
        status, "application/json", "close")
    assert json.loads(body)["detail"]
    # Answered at once: the 10 GB body is never waited for.
    assert time.monotonic() - started < 3
    assert (await deferToThread(exchange, server.port, b"GET /health HTTP/1.1\r\nHost: localhost\r\n"
                                b"Connection: close\r\n\r\n"))[0] == 200


def _dribble(port: int, data: bytes, pause: float, results: list) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        started = time.monotonic()
        try:
            for byte in data:
                sock.sendall(bytes([byte]))
                time.sleep(pause)
        except OSError:
            pass
        results.append((read_answer(sock), time.monotonic() - started))


@pytest.mark.parametrize("what, data", [
    ("head", b"POST /api/1/envelope/ HTTP/1.1\r\nHost: localhost\r\nX-Sentry-Auth: Sentry sentry_key=k"),
    ("body", b"POST /api/1/envelope/ HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100000\r\n\r\n"),
])
@pytest_twisted.ensureDeferred
async def test_a_client_that_sends_a_byte_at_a_time_is_cut_off(strict_server, what, data):
    results: list = []
    pause = 0.1 if what == "head" else 0.002
    if what == "body":
        data += b"x" * 2000  # two bytes a millisecond at best: far under the rate once slept
    dribbling = deferToThread(_dribble, strict_server.port, data, pause, results)
    # Meanwhile everybody else is answered at once.
    for _ in range(3):
        started = time.monotonic()
        code, _, _ = await deferToThread(exchange, strict_server.port,
                                         b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close"
                                         b"\r\n\r\n")
        assert code == 200 and time.monotonic() - started < 0.5
    await dribbling
    ((code, headers, body), seconds), = results
    assert code == 408 and headers["connection"] == "close" and json.loads(body)["detail"]
    assert seconds < 5


@pytest_twisted.ensureDeferred
async def test_a_fault_429_says_too_many_requests(live_api):
    answer = await live_api.request("POST", "/__parlel/faults", json_body={"status": 429})
    assert answer.code == 201
    raw = await deferToThread(
        lambda: socket.create_connection(("127.0.0.1", int(live_api.base.rsplit(":", 1)[1]))))
    try:
        raw.sendall(b"POST /api/1/envelope/ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
                    b"X-Sentry-Auth: Sentry sentry_key=parlel\r\nContent-Length: %d\r\n\r\n%s"
                    % (len(ENVELOPE), ENVELOPE))
        data = await deferToThread(raw.recv, 4096)
    finally:
        raw.close()
    assert data.startswith(b"HTTP/1.1 429 Too Many Requests\r\n")
