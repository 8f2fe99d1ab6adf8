"""
The HTTP connection: the site, its channel and its requests, bounded in size and in time.

A client gets a clear answer, never a silently dropped connection, when it sends more than the
server takes, and a slow one is cut off rather than allowed to hold a connection forever:

- a request line over 8 KiB is answered C{414}; a header line over 16 KiB, a header section
  over 16 KiB or more than 100 header fields C{431};
- a declared body over the site's limit is answered C{413} at once, before any of it is read
  (a chunked one as soon as it passes the limit);
- the head of a request must arrive within C{head_timeout} seconds of its first byte, and a
  body must keep coming at C{min_rate} bytes a second or more (measured over windows of
  C{rate_window} seconds), or the client is answered C{408} and disconnected; an idle
  connection is closed after the site's C{timeout}.

A request that arrives whole and plain in one read (an SDK's envelope, usually) is answered
through L{sentry_fake.plain_requests} when the site's resource can answer it at once, and by
twisted.web otherwise; once twisted.web reads a connection, it keeps reading it until it is
between requests again with nothing buffered.
"""

from __future__ import annotations

from io import BytesIO
from typing import Any

from twisted.internet.defer import Deferred
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web.http import HTTPChannel
from twisted.web.resource import IResource
from twisted.web.server import Request, Site

from .jsoncodec import dumps
from .plain_requests import BODY_TO_COME, read_plain, response

JSON = b"application/json"
_log = Logger()
#: The longest request line (method, target and version) taken.
MAX_REQUEST_LINE = 8 * 1024
#: The longest header line, and the largest header section.
MAX_HEADER_LINE = MAX_HEADERS_SIZE = 16 * 1024
#: The most header fields a request may have.
MAX_HEADER_FIELDS = 100

#: What L{SentryChannel._answer_plain} says of a request it holds for the next read.
HELD = object()

_REASONS = {408: b"Request Timeout", 413: b"Payload Too Large", 414: b"URI Too Long",
            431: b"Request Header Fields Too Large"}


class SentryRequest(Request):
    """
    A request whose body is bounded on the wire: a chunked body that passes the site's
    C{max_request_body} is read and dropped, and the route answers 413 instead of buffering
    gigabytes (a declared one is refused by the channel before it is read).
    """

    defaultContentType = JSON
    body_too_large = False
    #: Whether the client went away before the answer was finished.
    gone = False
    _received = 0

    def connectionLost(self, reason: Any) -> None:
        self.gone = True
        super().connectionLost(reason)

    def _limit(self) -> int:
        site = getattr(self.channel, "site", None)
        return getattr(site, "max_request_body", 20 * 1024 * 1024)

    def gotLength(self, length: int | None) -> None:
        if length is not None and length > self._limit():
            self.body_too_large = True
            self.content = BytesIO()
            return
        super().gotLength(length)

    def handleContentChunk(self, data: bytes) -> None:
        if self.body_too_large:
            return
        self._received += len(data)
        if self._received > self._limit():
            self.body_too_large = True
            self.content.close()
            self.content = BytesIO()
            return
        self.content.write(data)


class SentryChannel(HTTPChannel):
    """
    An HTTP/1.1 channel that answers what it refuses, and times the head and the body.
    """

    MAX_LENGTH = MAX_HEADER_LINE
    maxHeaders = MAX_HEADER_FIELDS
    totalHeadersSize = MAX_HEADERS_SIZE

    _in_head = False
    _head_size = 0
    _head_fields = 0
    _refused = False
    _head_deadline: Any = None
    _body_check: Any = None
    _body_bytes = 0
    #: Whether twisted.web's reading of this connection is between requests with nothing
    #: buffered, so that a whole, plain request can be answered at once.
    _plain = True
    #: The first read of a whole, plain head whose body is still to come: held for one more
    #: read (twisted.web reads it, and what follows, if that does not end the request).
    _held: bytes | None = None
    #: While the answer to a whole, plain request is still to come (L{Deferred}), what
    #: arrived since, to be read after it; C{None} otherwise.
    _waiting: list[bytes] | None = None

    def _settings(self) -> tuple[float, float, float, int]:
        site = self.site
        return site.head_timeout, site.min_rate, site.rate_window, site.max_request_body

    def _refuse(self, status: int, detail: str) -> None:
        """
        Answer C{status} with a JSON C{detail} and close the connection; read nothing more.
        """
        if self._refused:
            return
        self._refused = True
        self._stop_clocks()
        body = dumps({"detail": detail})
        self.transport.write(b"HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
                             b"Content-Length: %d\r\nConnection: close\r\n\r\n"
                             % (status, _REASONS[status], len(body)) + body)
        self.loseConnection()

    def _stop_clocks(self) -> None:
        for call in (self._head_deadline, self._body_check):
            if call is not None and call.active():
                call.cancel()
        self._head_deadline = self._body_check = None

    def dataReceived(self, data: bytes) -> None:
        if self._refused:
            return
        if self._waiting is not None:
            # The answer to the request before is still to come: what follows waits for it.
            self._waiting.append(data)
            return
        if self._plain:
            held, self._held = self._held, None
            if held is not None:
                data = held + data
            done = self._answer_plain(data, may_hold=held is None)
            if done is HELD:
                self._held = data
                self.resetTimeout()
                return
            if done:
                return
            # From now on twisted.web reads this connection, starting with these bytes.
            self._plain = False
        super().dataReceived(data)

    def _answer_plain(self, data: bytes, may_hold: bool = False) -> Any:
        """
        Answer C{data} at once if it is one whole, plain request the site's resource can
        answer at once: C{True}.  L{HELD} (nothing done) if C{may_hold} and it is all of
        such a request but the end of its body; C{False} (nothing done) otherwise.
        """
        answer_now = getattr(self.site.resource, "answer_now", None)
        if answer_now is None or self.site._access_log or self.transport.disconnecting:
            return False
        request = read_plain(self, data, self.site.max_request_body, MAX_REQUEST_LINE,
                             self.totalHeadersSize, self.maxHeaders)
        if request is BODY_TO_COME:
            return HELD if may_hold else False
        if request is None:
            return False
        try:
            body = answer_now(request)
        except Exception:
            # A bug past the routes' own error answers: a 500 all the same, and the
            # connection goes on.
            _log.failure("answering {uri}", uri=request.uri.decode("ascii", "replace"))
            request.setResponseCode(500)
            request.setHeader(b"content-type", JSON)
            body = dumps({"detail": "Internal Error"})
        if body is None:
            return False
        self.resetTimeout()
        if isinstance(body, Deferred):
            self._waiting = []
            body.addBoth(self._answer_later, request)
            return True
        self.transport.write(response(request, body))
        return True

    def _answer_later(self, body: Any, request: Any) -> None:
        """
        Write the answer that came at the end of the turn; what arrived meanwhile is read on
        the next turn (not now: this runs inside the store's write of the turn's records).
        """
        if isinstance(body, Failure):
            _log.failure("answering {uri}", body, uri=request.uri.decode("ascii", "replace"))
            request.setResponseCode(500)
            request.setHeader(b"content-type", JSON)
            body = dumps({"detail": "Internal Error"})
        if not self._connected():
            self._waiting = None
            return
        self.resetTimeout()
        self.transport.write(response(request, body))
        if self._waiting:
            self.callLater(0, self._read_waiting)
        else:
            self._waiting = None

    def _read_waiting(self) -> None:
        waiting, self._waiting = self._waiting, None
        if waiting and self._connected():
            self.dataReceived(b"".join(waiting))

    def _connected(self) -> bool:
        transport = self.transport
        return transport is not None and not transport.disconnecting and \
            not getattr(transport, "disconnected", False)

    def requestDone(self, request: Any) -> None:
        super().requestDone(request)
        # Back between requests with nothing buffered (no request under way, no part of the
        # next one read): the next whole, plain request can be answered at once again.
        if self.persistent and not self.requests and self.line_mode \
                and not getattr(self, "_buffer", b"") and not self._refused:
            self._plain = True

    def connectionLost(self, reason: Any) -> None:
        self._stop_clocks()
        self._held = self._waiting = None
        super().connectionLost(reason)

    # The head

    def lineReceived(self, line: bytes) -> None:
        if not self._in_head:
            if not line:
                return super().lineReceived(line)  # the blank line some clients send first
            self._in_head = True
            self._head_size = self._head_fields = 0
            head_timeout = self._settings()[0]
            if head_timeout and self._head_deadline is None:
                self._head_deadline = self.callLater(head_timeout, self._head_too_slow)
            if len(line) > MAX_REQUEST_LINE:
                return self._refuse(414, "The request line is too long.")
        elif line:
            self._head_size += len(line)
            self._head_fields += 1
            if self._head_size > self.totalHeadersSize or self._head_fields > self.maxHeaders:
                return self._refuse(431, "The request's header fields are too large.")
        return super().lineReceived(line)

    def lineLengthExceeded(self, line: bytes) -> None:
        if self._in_head:
            self._refuse(431, "A request header field is too large.")
        else:
            self._refuse(414, "The request line is too long.")

    def _head_too_slow(self) -> None:
        self._head_deadline = None
        self._refuse(408, "The request's head took too long to arrive.")

    def allHeadersReceived(self) -> None:
        self._in_head = False
        if self._head_deadline is not None and self._head_deadline.active():
            self._head_deadline.cancel()
        self._head_deadline = None
        _, min_rate, window, limit = self._settings()
        if self.length is not None and self.length > limit:
            return self._refuse(413, "The request body is too large.")
        super().allHeadersReceived()
        if self.length != 0 and min_rate and window:
            self._body_bytes = 0
            self._body_check = self.callLater(window, self._check_body_rate)

    # The body

    def rawDataReceived(self, data: bytes) -> None:
        if not self._handlingRequest:
            self._body_bytes += len(data)
        super().rawDataReceived(data)

    def _check_body_rate(self) -> None:
        _, min_rate, window, _ = self._settings()
        if self._body_bytes < min_rate * window:
            self._body_check = None
            return self._refuse(408, "The request body arrived too slowly.")
        self._body_bytes = 0
        self._body_check = self.callLater(window, self._check_body_rate)

    def allContentReceived(self) -> None:
        if self._body_check is not None and self._body_check.active():
            self._body_check.cancel()
        self._body_check = None
        super().allContentReceived()


class SentrySite(Site):
    """
    The HTTP site: JSON by default, no tracebacks, bounded heads and bodies, slow and idle
    clients cut off.
    """

    protocol = SentryChannel
    requestFactory = SentryRequest
    displayTracebacks = False

    def __init__(self, resource: IResource, max_request_body: int, timeout: float = 60,
                 access_log: bool = False, head_timeout: float = 30, min_rate: float = 1024,
                 rate_window: float = 10, **kwargs: Any) -> None:
        # Form bodies are not parsed into request.args: no Sentry route takes one, multipart
        # uploads need their file names (which that parser drops), and parsing Content-Type
        # through the email package on every request was a quarter of the ingest path.
        super().__init__(resource, timeout=timeout, parsePOSTFormSubmission=False, **kwargs)
        self.max_request_body = max_request_body
        self.head_timeout = head_timeout
        self.min_rate = min_rate
        self.rate_window = rate_window
        self._access_log = access_log

    def log(self, request: Any) -> None:
        if self._access_log:
            super().log(request)


def make_site(root: IResource, max_request_body: int, access_log: bool = False,
              idle_timeout: float = 60, head_timeout: float = 30, min_rate: float = 1024,
              rate_window: float = 10) -> SentrySite:
    return SentrySite(root, max_request_body=max_request_body, access_log=access_log,
                      timeout=idle_timeout, head_timeout=head_timeout, min_rate=min_rate,
                      rate_window=rate_window)
