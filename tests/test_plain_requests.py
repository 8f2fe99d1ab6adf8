"""
The hot path's HTTP: a whole, plain request in one read is answered without twisted.web's
request machinery, with the very answer twisted.web gives it; anything else is left to
twisted.web.
"""

import gzip
import json
import socket
import time

import pytest
import pytest_twisted
from twisted.internet.threads import deferToThread

from sentry_fake import site
from sentry_fake.application import Settings
from sentry_fake import plain_requests
from sentry_fake.plain_requests import read_plain
from sentry_fake.testing import start_server

EVENT_ID = "9ec79c33ec9942ab8353589fcb2e04dc"
ENVELOPE = (b'{"event_id":"%s"}\n{"type":"event"}\n{"message":"plain","level":"info"}'
            % EVENT_ID.encode())
LIMITS = dict(max_body=1 << 20, max_line=site.MAX_REQUEST_LINE, max_head=site.MAX_HEADERS_SIZE,
              max_fields=site.MAX_HEADER_FIELDS)


def post(target: bytes = b"/api/1/envelope/", body: bytes = ENVELOPE,
         extra: bytes = b"X-Sentry-Auth: Sentry sentry_key=parlel, sentry_version=7\r\n",
         host: bytes = b"127.0.0.1") -> bytes:
    return (b"POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-sentry-envelope\r\n"
            b"%sContent-Length: %d\r\n\r\n" % (target, host, extra, len(body)) + body)


def read(data: bytes):
    return read_plain(None, data, **LIMITS)


def test_an_sdk_request_is_read_whole():
    request = read(post(b"/api/1/envelope/?sentry_key=parlel&sentry_version=7",
                        extra=b"User-Agent:   sentry.python/2.75.0 \t\r\n"))
    assert request is not None
    assert request.path == b"/api/1/envelope/"
    assert request.args == {b"sentry_key": [b"parlel"], b"sentry_version": [b"7"]}
    assert request.getHeader(b"user-agent") == b"sentry.python/2.75.0"
    assert request.getHeader("Host") == "127.0.0.1"
    assert request.content.getvalue() == ENVELOPE


@pytest.mark.parametrize("name, data", [
    ("a GET", b"GET /api/1/envelope/ HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("HTTP/1.0", post().replace(b"HTTP/1.1", b"HTTP/1.0", 1)),
    ("a part of the head", post()[:40]),
    ("two requests", post() + post()),
    ("a chunked body", post(extra=b"Transfer-Encoding: chunked\r\n")),
    ("Expect", post(extra=b"Expect: 100-continue\r\n")),
    ("Connection: close", post(extra=b"Connection: close\r\n")),
    ("no Content-Length", b"POST /api/1/envelope/ HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("two Content-Lengths", post(extra=b"Content-Length: %d\r\n" % len(ENVELOPE))),
    ("a signed Content-Length", post().replace(b"Content-Length: ", b"Content-Length: +")),
    ("a folded header", post(extra=b"X-Long: a\r\n b\r\n")),
    ("a control character", post(extra=b"X-Odd: a\x01b\r\n")),
    ("a header without a colon", post(extra=b"X-Odd\r\n")),
    ("a space before the colon", post(extra=b"X-Odd : v\r\n")),
    ("too many fields", post(extra=b"".join(b"X-%d: v\r\n" % n for n in range(101)))),
    ("a long request line", post(b"/api/1/envelope/?" + b"a" * 9000)),
    ("a large head", post(b"/api/1/envelope/?" + b"a" * 8000,
                          extra=b"X-Big: " + b"b" * 8500 + b"\r\n")),
    ("a body over the limit", post(body=b"x" * ((1 << 20) + 1))),
    ("a blank line first", b"\r\n" + post()),
])
def test_anything_else_is_left_to_twisted_web(name, data):
    assert read(data) is None


def test_answer_headers_are_written_as_twisted_web_writes_them():
    # Text or bytes, a name in any case, a value with a line break in it (folded, never a
    # header of its own), one set twice (in its first place): as twisted.web's Headers.
    from twisted.web.http_headers import Headers

    request = read(post())
    expected = Headers({b"server": [request.answer_headers[b"server"]],
                        b"date": [request.answer_headers[b"date"]]})
    for name, value in (("x-sentry-rate-limits", "60::organization"),
                        (b"WWW-authenticate", b"Bearer"), (b"content-md5", "v\u00e9"),
                        ("X-Sentry-Rate-Limits", b"1:error:key\r\nInjected: yes")):
        request.setHeader(name, value)
        expected.setRawHeaders(name, [value])
    expected.setRawHeaders(b"content-length", [b"2"])
    written = b"".join(b"%s: %s\r\n" % (name, value)
                       for name, values in expected.getAllRawHeaders() for value in values)
    answer = plain_requests.response(request, b"{}")
    assert answer == b"HTTP/1.1 200 OK\r\n" + written + b"\r\n{}"
    assert b"\r\nInjected" not in answer and b"WWW-Authenticate: Bearer" in answer


def test_a_whole_head_whose_body_is_to_come_is_told_apart():
    assert read(post()[:-5]) is plain_requests.BODY_TO_COME
    assert read(post().partition(b"\r\n\r\n")[0] + b"\r\n\r\n") is plain_requests.BODY_TO_COME
    # Only a head that would be read: not one over its limits, or declined.
    assert read(post(extra=b"Expect: 100-continue\r\n")[:-5]) is None
    assert read(post(body=b"x" * ((1 << 20) + 1))[:-5]) is None


def test_a_value_of_many_spaces_is_read_in_linear_time():
    # A lazy value before optional spaces, matched whole, backtracks quadratically.
    data = post(extra=b"X-Spaces: a" + b" " * 7000 + b"b\r\n")
    started = time.process_time()
    request = read(data)
    assert time.process_time() - started < 0.05
    assert request is not None and request.getHeader(b"x-spaces") == b"a" + b" " * 7000 + b"b"
    # Past the header section's limit nothing is looked at.
    started = time.process_time()
    assert read(post(extra=b"X-Spaces: a" + b" " * 24700 + b"b\r\n")) is None
    assert time.process_time() - started < 0.05


def test_the_query_is_read_as_twisted_web_reads_it():
    request = read(post(b"/api/1/envelope/?sentry_key=abc;sentry_version=7&flag&x=%FF"))
    assert request.args == {b"sentry_key": [b"abc"], b"sentry_version": [b"7"], b"x": [b"\xff"]}


def exchange(port: int, data: bytes, split: bool) -> bytes:
    """
    Send one request, whole or in two writes (which twisted.web reads), and read the answer.
    """
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if split:
            sock.sendall(data[:20])
            time.sleep(0.05)
            sock.sendall(data[20:])
        else:
            sock.sendall(data)
        return read_answer(sock)


def read_answer(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"the connection closed before an answer: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lengths = [int(line.split(b":")[1]) for line in head.split(b"\r\n")
               if line.lower().startswith(b"content-length:")]
    if not lengths:  # chunked
        while not body.endswith(b"0\r\n\r\n"):
            body += sock.recv(65536)
        return head + b"\r\n\r\n" + body
    while len(body) < lengths[0]:
        body += sock.recv(65536)
    return head + b"\r\n\r\n" + body


def without_date(answer: bytes) -> bytes:
    return b"\r\n".join(line for line in answer.split(b"\r\n") if not line.startswith(b"Date: "))


@pytest_twisted.async_yield_fixture
async def counted(monkeypatch):
    """
    A server, and the requests its channels answered on the plain path.
    """
    from twisted.internet import reactor

    answered = []
    plain = site.SentryChannel._answer_plain

    def counting(self, data, **hold):
        done = plain(self, data, **hold)
        if done is not site.HELD:
            answered.append(done)
        return done

    monkeypatch.setattr(site.SentryChannel, "_answer_plain", counting)
    running = await start_server(reactor, Settings())
    yield running, answered
    await running.stop()


ANSWERED_ALIKE = [
    ("an event", post()),
    ("the same event again", post()),
    ("a bad envelope", post(body=b"not an envelope")),
    ("an event compressed", post(body=gzip.compress(ENVELOPE),
                                 extra=b"Content-Encoding: gzip\r\nX-Sentry-Auth: Sentry "
                                       b"sentry_key=parlel, sentry_version=7\r\n")),
    ("the key in the query", post(b"/api/1/envelope/?sentry_key=parlel&sentry_version=7",
                                  extra=b"")),
    ("a new project", post(b"/api/77/envelope/")),
    ("the store endpoint", post(b"/api/1/store/", body=b'{"event_id": "%s", "message": "stored"}' % ("7" * 32).encode())),
    ("an unknown key", post(extra=b"X-Sentry-Auth: Sentry sentry_key=nobody\r\n")),
    ("a key not in UTF-8", post(b"/api/1/envelope/?sentry_key=%FF", extra=b"")),
    ("a query separated by ;", post(b"/api/1/envelope/?sentry_key=parlel;sentry_version=7",
                                    extra=b"")),
    ("a query item without =", post(b"/api/1/envelope/?sentry_key", extra=b"")),
]


LEFT_TO_TWISTED_WEB = [
    ("another Host name", post(host=b"evil.example")),
    ("a management route", post(b"/api/0/organizations/")),
    ("a page", post(b"/organizations/parlel/issues/")),
]


@pytest.mark.parametrize("name, data, plain", [(*case, True) for case in ANSWERED_ALIKE]
                         + [(*case, False) for case in LEFT_TO_TWISTED_WEB])
@pytest_twisted.ensureDeferred
async def test_the_plain_path_answers_as_twisted_web_does(counted, name, data, plain):
    server, answered = counted
    slow = await deferToThread(exchange, server.port, data, True)
    whole = await deferToThread(exchange, server.port, data, False)
    # The split request is read by twisted.web; the whole one on the plain path, unless it is
    # not the hot path's to answer.
    assert answered == [False, plain]
    assert without_date(whole) == without_date(slow)
    assert whole.startswith(b"HTTP/1.1 ")


def keep_alive(port: int, parts: list[bytes]) -> list[bytes]:
    answers = []
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        for part in parts:
            if part.endswith(b"SPLIT"):
                part = part[:-5]
                sock.sendall(part[:30])
                time.sleep(0.05)
                sock.sendall(part[30:])
            else:
                sock.sendall(part)
            answers.append(read_answer(sock))
    return answers


@pytest_twisted.ensureDeferred
async def test_a_connection_goes_back_to_the_plain_path_between_requests(counted):
    server, answered = counted
    events = [post(body=ENVELOPE.replace(EVENT_ID.encode(), b"%032x" % n)) for n in range(6)]
    answers = await deferToThread(keep_alive, server.port, [
        events[0], events[1], events[2] + b"SPLIT", events[3], events[4] + b"SPLIT", events[5]])
    assert [answer.split(b"\r\n")[0] for answer in answers] == [b"HTTP/1.1 200 OK"] * 6
    assert [json.loads(answer.partition(b"\r\n\r\n")[2])["id"] for answer in answers] == [
        "%032x" % n for n in range(6)]
    # Two answered at once, the split one by twisted.web, which then hands the connection
    # back: the next answered at once again, and so on.
    assert answered == [True, True, False, True, False, True]
    assert {"%032x" % n for n in range(6)} <= {event.event_id for event in server.store.events()}


@pytest_twisted.ensureDeferred
async def test_two_requests_in_one_read_are_both_answered_in_order(counted):
    server, answered = counted
    events = [post(body=ENVELOPE.replace(EVENT_ID.encode(), b"%032x" % n)) for n in range(3)]

    def answers_in(data: bytes) -> list[bytes]:
        found = []
        while b"\r\n\r\n" in data:
            head, _, rest = data.partition(b"\r\n\r\n")
            length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length:")))
            if len(rest) < length:
                break
            found.append(head + b"\r\n\r\n" + rest[:length])
            data = rest[length:]
        return found

    def pipelined(port: int) -> list[bytes]:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(events[0] + events[1])
            data = b""
            while len(answers_in(data)) < 2:
                data += sock.recv(65536)
            sock.sendall(events[2])
            return answers_in(data) + [read_answer(sock)]

    answers = await deferToThread(pipelined, server.port)
    assert [json.loads(answer.partition(b"\r\n\r\n")[2])["id"] for answer in answers] == [
        "%032x" % n for n in range(3)]
    assert answered == [False, True]


@pytest_twisted.ensureDeferred
async def test_while_stopping_every_request_is_answered_503_by_twisted_web(counted):
    server, answered = counted
    server.service.getServiceNamed("gate")._root.close()
    answer = await deferToThread(exchange, server.port, post(), False)
    assert answer.startswith(b"HTTP/1.1 503 ") and b"Connection: close" in answer
    assert answered == [False]


@pytest_twisted.ensureDeferred
async def test_with_an_access_log_every_request_is_left_to_twisted_web(monkeypatch):
    from twisted.internet import reactor

    answered = []
    plain = site.SentryChannel._answer_plain
    monkeypatch.setattr(site.SentryChannel, "_answer_plain",
                        lambda self, data, **hold: answered.append(plain(self, data, **hold))
                        or answered[-1])
    logged = []
    monkeypatch.setattr(site.Site, "log", lambda self, request: logged.append(request.path))
    running = await start_server(reactor, Settings(access_log=True))
    try:
        answer = await deferToThread(exchange, running.port, post(), False)
    finally:
        await running.stop()
    assert answer.startswith(b"HTTP/1.1 200 ")
    assert answered == [False] and logged == [b"/api/1/envelope/"]


@pytest_twisted.ensureDeferred
async def test_a_bug_past_the_routes_answers_500_and_the_connection_goes_on(counted, monkeypatch):
    from sentry_fake.ingest.surface import Ingest

    server, answered = counted

    def broken(self, request, error):
        raise RuntimeError("a bug in the error answer")

    monkeypatch.setattr(Ingest, "answer_error", broken)
    answers = await deferToThread(keep_alive, server.port, [post(body=b"not an envelope"),
                                                            post()])
    assert answers[0].startswith(b"HTTP/1.1 500 ")
    assert json.loads(answers[0].partition(b"\r\n\r\n")[2]) == {"detail": "Internal Error"}
    assert answers[1].startswith(b"HTTP/1.1 200 ")
    assert answered == [True, True]


@pytest_twisted.ensureDeferred
async def test_the_python_sdk_is_answered_on_the_plain_path(counted):
    # The real sentry-sdk, in a child process: what it sends (compressed envelopes over a
    # kept-alive connection) is stored, and its envelopes were answered on the plain path.
    import os
    import sys
    from pathlib import Path

    from twisted.internet.utils import getProcessOutputAndValue

    server, answered = counted
    app = Path(__file__).parent / "clients" / "python_sdk_app.py"
    out, err, code = await getProcessOutputAndValue(sys.executable, [str(app), server.dsn,
                                                                     "no-brotli"],
                                                    env=dict(os.environ))
    assert code == 0, err.decode()
    sent = json.loads(out)
    stored = {event.event_id for event in server.store.events()}
    assert {sent["exception"], sent["message"], sent["attachment"]} <= stored
    # Whichever of its requests arrive whole in one read (most, as a rule: one split in two
    # reads is read by twisted.web).
    assert True in answered, answered


def in_writes(port: int, parts: list[bytes]) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for part in parts:
            sock.sendall(part)
            time.sleep(0.05)
        return read_answer(sock)


@pytest_twisted.ensureDeferred
async def test_a_head_and_then_its_body_are_answered_on_the_plain_path(counted):
    # As the Python SDK writes a request: its head, then its body.  A body that needs more
    # than one more read is left to twisted.web, with everything read so far.
    server, answered = counted
    head, _, body = post().partition(b"\r\n\r\n")
    whole = await deferToThread(in_writes, server.port, [head + b"\r\n\r\n", body])
    third = await deferToThread(in_writes, server.port,
                                [head + b"\r\n\r\n", body[:10], body[10:]])
    assert whole.startswith(b"HTTP/1.1 200 ") and third.startswith(b"HTTP/1.1 200 ")
    assert answered == [True, False]
    assert without_date(whole) == without_date(third)
