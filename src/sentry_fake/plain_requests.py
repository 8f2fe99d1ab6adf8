"""
The hot path's HTTP: a request that arrives whole and plain is answered without building
twisted.web's request machinery for it.

An SDK sends an envelope as one small keep-alive C{POST} with a C{Content-Length}, usually in
one read.  For such a request, twisted.web's parser (a callback per header line, a L{Headers}
object, a request with its producers, timers and notifications) costs more than storing the
event.  L{read_plain} recognises a request that is exactly one complete C{POST} in HTTP/1.1
whose every line is well formed by a grammar stricter than twisted.web's own; L{PlainRequest}
offers the few request methods the ingest routes use; L{response} writes the answer as
twisted.web would (the same status line, the same headers in the same order).

A whole head whose body is still to come (a client that writes them apart, as the Python SDK
does) is L{BODY_TO_COME}: the channel holds it for the next read.  Anything else (another
method, a partial or pipelined request, a chunked body, C{Expect}, C{Connection: close}, a body
or head over its limit, a line the grammar does not take, an answer that is not ready at once)
goes to twisted.web, which answers as it always has.
"""

from __future__ import annotations

import re
import time
from io import BytesIO
from typing import Any
from twisted.internet.interfaces import ISSLTransport
from twisted.web.http import RESPONSES, datetimeToString, parse_qs
from twisted.web.http_headers import Headers
from twisted.web.server import version as _SERVER

#: A whole head taken: C{POST}, a target of visible ASCII, HTTP/1.1, then header fields, each a
#: token, a colon and a value without control characters other than a tab (checked in one
#: pass, linear in the head: no field can be read two ways).
_HEAD = re.compile(rb"POST ([!-~]+) HTTP/1\.1\r\n"
                   rb"((?:[!#$%&'*+\-.^_`|~0-9A-Za-z]+:[^\x00-\x08\x0a-\x1f\x7f]*\r\n)*)\r\n")
#: Fields that ask for more than a whole, plain request (twisted.web handles them).
_DECLINED = frozenset({b"transfer-encoding", b"expect", b"upgrade", b"te", b"trailer"})


class _BodyToCome:
    """
    What L{read_plain} says of a whole, plain head whose body has not all arrived.
    """


BODY_TO_COME = _BodyToCome()


class PlainRequest:
    """
    One whole, plain request: what the ingest routes read of a request and set on its answer.
    """

    __slots__ = ("channel", "method", "uri", "path", "clientproto", "content", "code",
                 "code_message", "public_url", "finished", "answer_headers", "_headers",
                 "_query", "_args")

    def __init__(self, channel: Any, target: bytes, headers: dict[bytes, bytes],
                 body: bytes) -> None:
        self.channel = channel
        self.method = b"POST"
        self.uri = target
        self.path, _, self._query = target.partition(b"?")
        self.clientproto = b"HTTP/1.1"
        self.content = BytesIO(body)
        self.code = 200
        self.code_message: bytes | None = None
        self.public_url: str | None = None
        self.finished = False
        self._headers = headers
        self._args: dict[bytes, list[bytes]] | None = None
        #: The answer's headers, by name in lower case, in the order first set: as
        #: twisted.web's request starts its answer, Server and Date first.
        self.answer_headers = {b"server": _SERVER, b"date": _date(time.time())}

    @property
    def args(self) -> dict[bytes, list[bytes]]:
        if self._args is None:
            # twisted.web's own reading of the query (C{&} and C{;} separate, bytes kept).
            self._args = parse_qs(self._query, 1) if self._query else {}
        return self._args

    def getHeader(self, name: bytes | str) -> bytes | str | None:
        if isinstance(name, str):
            # As twisted.web's: a name given as text gets its value as text.
            value = self._headers.get(name.encode("latin-1").lower())
            return value.decode("utf8") if value is not None else None
        return self._headers.get(name.lower())

    def setHeader(self, name: bytes | str, value: bytes | str) -> None:
        # As twisted.web's Headers take them: a name in ISO-8859-1 and a value in UTF-8 when
        # given as text, and a line break in a value made a space.
        if isinstance(name, str):
            name = name.encode("iso-8859-1")
        if isinstance(value, str):
            value = value.encode("utf-8")
        if b"\r" in value or b"\n" in value:
            value = b" ".join(value.splitlines())
        self.answer_headers[name.lower()] = value

    def setResponseCode(self, code: int, message: bytes | None = None) -> None:
        self.code = code
        self.code_message = message

    def getClientAddress(self) -> Any:
        return self.channel.transport.getPeer()

    def getHost(self) -> Any:
        return self.channel.transport.getHost()

    def isSecure(self) -> bool:
        return ISSLTransport(self.channel.transport, None) is not None


def read_plain(channel: Any, data: bytes, max_body: int, max_line: int, max_head: int,
               max_fields: int) -> PlainRequest | _BodyToCome | None:
    """
    The request C{data} is, when it is exactly one whole, plain request within the limits of
    the site (its body, request line, header section and number of fields); L{BODY_TO_COME}
    when it is such a request but for the end of its body; else C{None}.
    """
    end = data.find(b"\r\n\r\n")
    # Every line of the head, the request line too, counts against max_head (as twisted.web
    # counts them): nothing longer is looked at.
    if end < 0 or end > max_head + 2 * max_fields:
        return None
    fields = data.count(b"\r\n", 0, end)
    if data.find(b"\r\n", 0, end + 2) > max_line or fields > max_fields or \
            end - 2 * fields > max_head:
        return None
    head = _HEAD.fullmatch(data, 0, end + 4)
    if head is None:
        return None
    headers: dict[bytes, bytes] = {}
    length = None
    for field in head.group(2).split(b"\r\n")[:-1]:
        name, _, value = field.partition(b":")
        name = name.lower()
        value = value.strip(b" \t")
        if name == b"content-length":
            if length is not None or not value.isdigit():
                return None
            length = int(value)
        elif name in _DECLINED:
            return None
        elif name == b"connection" and value.lower() != b"keep-alive":
            return None
        headers[name] = value
    if length is None or length > max_body:
        return None
    if len(data) < end + 4 + length:
        return BODY_TO_COME
    if len(data) != end + 4 + length:
        return None  # part of a request, or more than one
    return PlainRequest(channel, head.group(1), headers, data[end + 4:])


_DATE: list[Any] = [None, b""]
#: Header names in lower case -> as twisted.web writes them (a few distinct ones are set).
_CANONICAL_NAMES: dict[bytes, bytes] = {}


def _canonical_name(name: bytes) -> bytes:
    """
    A header's name as twisted.web writes it (capitalized canonically; a name that is not a
    token is refused as it refuses it).
    """
    canonical = _CANONICAL_NAMES.get(name)
    if canonical is None:
        [(canonical, _)] = Headers({name: [b""]}).getAllRawHeaders()
        if len(_CANONICAL_NAMES) < 1000:
            _CANONICAL_NAMES[name] = canonical
    return canonical


def _date(now: float) -> bytes:
    second = int(now)
    if _DATE[0] != second:
        _DATE[0], _DATE[1] = second, datetimeToString(second)
    return _DATE[1]


def response(request: PlainRequest, body: bytes) -> bytes:
    """
    The whole answer to C{request}, as twisted.web writes it: the status line, then its headers
    in the order they were first set (C{Server} and C{Date} first, C{Content-Length} last
    unless the route set it), canonically capitalized.
    """
    code = request.code
    message = request.code_message or RESPONSES.get(code, b"Unknown Status")
    headers = request.answer_headers
    headers[b"content-length"] = b"%d" % len(body)
    parts = [b"HTTP/1.1 %d %s\r\n" % (code, message)]
    for name, value in headers.items():
        parts.append(b"%s: %s\r\n" % (_canonical_name(name), value))
    parts.append(b"\r\n")
    parts.append(body)
    return b"".join(parts)
