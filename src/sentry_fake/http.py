"""
What every surface shares on the HTTP side: the JSON response helper, the mapping from domain
errors to Sentry's status codes and bodies, the error handlers each Klein app installs, the
request helpers, and the root resource that dispatches to the surfaces.  The connection
itself (site, channel, request) is L{sentry_fake.site}.
"""

from __future__ import annotations

import uuid
from io import BytesIO
from urllib.parse import unquote_to_bytes
from typing import Any, Callable, Mapping

from klein import Klein
from twisted.internet.defer import Deferred, succeed
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web.resource import IResource, Resource
from twisted.web.server import NOT_DONE_YET
from werkzeug.exceptions import MethodNotAllowed, NotFound as RouteNotFound
from zope.interface import implementer

from . import errors
from .hosts import HostCheck
from .jsoncodec import dumps, loads

log = Logger()

JSON = b"application/json"
#: Reason phrases twisted.web does not know.
_REASONS = {421: b"Misdirected Request", 429: b"Too Many Requests",
            431: b"Request Header Fields Too Large", 507: b"Insufficient Storage"}
_STATUS = [
    (errors.NotFound, 404), (errors.Conflict, 409), (errors.Invalid, 400),
    (errors.TooLarge, 413), (errors.Unauthorized, 401), (errors.Forbidden, 403),
    (errors.StorageFull, 507), (errors.StorageUnavailable, 503),
]


class APIError(Exception):
    """
    An HTTP answer other than success, with its JSON body and extra headers.
    """

    def __init__(self, status: int, body: Any, headers: Mapping[bytes, bytes] | None = None) -> None:
        super().__init__(status, body)
        self.status = status
        self.body = body
        self.headers = dict(headers or {})


def json_response(request: Any, obj: Any, status: int = 200,
                  headers: Mapping[bytes, bytes] | None = None) -> bytes:
    """
    Set the status, C{Content-Type: application/json} and extra headers; return the body bytes.
    """
    request.setResponseCode(status, _REASONS.get(status))
    request.setHeader(b"content-type", JSON)
    if headers:
        for name, value in headers.items():
            request.setHeader(name, value)
    return dumps(obj)


def accepted(request: Any) -> bytes:
    """
    Answer C{202 Accepted} with an empty body, still typed C{application/json} as Sentry's are.
    """
    request.setResponseCode(202)
    request.setHeader(b"content-type", JSON)
    return b""


def error_body(error: errors.SentryFakeError) -> dict[str, Any]:
    if isinstance(error, errors.Invalid) and error.fields:
        return dict(error.fields)
    body: dict[str, Any] = {"detail": error.detail}
    if error.causes:
        body["causes"] = list(error.causes)
    return body


def as_api_error(error: BaseException) -> APIError | None:
    """
    The HTTP answer for an exception, or C{None} for an unexpected one.
    """
    if isinstance(error, APIError):
        return error
    if isinstance(error, errors.SentryFakeError):
        for kind, status in _STATUS:
            if isinstance(error, kind):
                return APIError(status, error_body(error))
    return None


def render_error(request: Any, error: BaseException) -> bytes:
    """
    Write the JSON answer for any exception: Sentry's status and body, or a 500 with an error id.
    """
    answer = as_api_error(error)
    if answer is None:
        error_id = uuid.uuid4().hex
        log.failure("internal error {error_id} answering {method} {uri}",
                    Failure(error), error_id=error_id,
                    method=request.method.decode("ascii", "replace"),
                    uri=request.uri.decode("ascii", "replace"))
        answer = APIError(500, {"detail": "Internal Error", "errorId": error_id})
    return json_response(request, answer.body, answer.status, answer.headers)


def add_error_handling(app: Klein, not_found: str = "The requested resource does not exist",
                       on_error: Callable[[Any, Any], None] | None = None) -> None:
    """
    Give a Klein app JSON answers for unknown routes, wrong methods, domain errors and crashes.

    Klein's error handlers are per app (a parent's do not reach a mounted child), so every surface
    calls this once in its class body.  C{on_error(self, request)}, when given, runs first (the
    ingest surface adds its CORS headers there).
    """

    @app.handle_errors(RouteNotFound)
    def _route_not_found(self: Any, request: Any, failure: Failure) -> bytes:
        if on_error is not None:
            on_error(self, request)
        return json_response(request, {"detail": not_found}, 404)

    @app.handle_errors(MethodNotAllowed)
    def _method_not_allowed(self: Any, request: Any, failure: Failure) -> bytes:
        if on_error is not None:
            on_error(self, request)
        allowed = ", ".join(failure.value.valid_methods or [])
        method = request.method.decode("ascii", "replace")
        return json_response(request, {"detail": f'Method "{method}" not allowed.'}, 405,
                             {b"allow": allowed.encode("ascii")})

    @app.handle_errors(Exception)
    def _any_error(self: Any, request: Any, failure: Failure) -> bytes:
        if on_error is not None:
            on_error(self, request)
        return render_error(request, failure.value)


def read_json_body(request: Any, limit: int) -> Any:
    """
    The request body decoded as JSON (C{None} when empty).

    @raise errors.TooLarge: the body is over C{limit}.
    @raise errors.Invalid: the body is not JSON.
    """
    data = request_body(request)
    if len(data) > limit:
        raise errors.TooLarge("request body is too large")
    if not data.strip():
        return None
    try:
        return loads(data)
    except ValueError as error:
        raise errors.Invalid(f"JSON parse error - {error}")


def request_body(request: Any) -> bytes:
    """
    The whole request body, or L{errors.TooLarge} when it went over the site's limit on the wire.
    """
    if getattr(request, "body_too_large", False):
        raise errors.TooLarge("failed to read request body", causes=["A payload reached size limit."])
    content = request.content
    if content is None:
        return b""
    if isinstance(content, BytesIO):
        return content.getvalue()
    content.seek(0)
    return content.read()


def base_url(request: Any) -> str:
    """
    The scheme, host and port the client used to reach us, for permalinks and DSNs: the
    C{--public-url} when the server has one (the root notes it on each request).
    """
    public = getattr(request, "public_url", None)
    if public:
        return public
    host = request.getHeader(b"host")
    scheme = "https" if request.isSecure() else "http"
    if host:
        return f"{scheme}://{host.decode('latin-1')}"
    address = request.getHost()
    return f"{scheme}://{address.host}:{address.port}"


def arg(request: Any, name: str, default: str | None = None) -> str | None:
    """
    The first value of a query parameter, decoded.
    """
    values = request.args.get(name.encode("ascii"))
    if not values:
        return default
    return values[0].decode("utf-8", "replace")


def arg_list(request: Any, name: str) -> list[str]:
    """
    Every value of a query parameter, decoded.
    """
    return [value.decode("utf-8", "replace") for value in request.args.get(name.encode("ascii"), [])]


@implementer(IResource)
class Root(Resource):
    """
    The root of the HTTP side: sends each request to the surface that owns its path.

    Surfaces are Klein applications whose routes are Sentry's full paths, so dispatch is one
    look at the first path segments and needs no routing table of its own.  Once the server
    is stopping (L{close}), every request is answered 503 and its connection closed.
    """

    isLeaf = True

    def __init__(self, ingest: Any, management: Any, inspection: Any,
                 hosts: HostCheck | None = None, public_url: str | None = None) -> None:
        """
        @param management: the management surface, or a function that builds it: the REST API
            is the largest surface and the last a starting server needs, so it can be built
            (and its modules imported) on its first request.
        """
        super().__init__()
        self.ingest = ingest
        self._management_surface = management if not callable(management) else None
        self._build_management = management if callable(management) else None
        self.inspection = inspection
        self._management_resource: Any = None
        self._inspection = inspection.resource()
        self._hosts = hosts if hosts is not None else HostCheck(enabled=False)
        self._public_url = public_url.rstrip("/") if public_url else None
        self._closed = False
        self._in_flight = 0
        self._drained: list[Deferred[None]] = []

    def render(self, request: Any) -> Any:
        if self._closed:
            return _stopping(request)
        path = request.path
        if b"%" in path and not _utf8_path(path):
            return json_response(request, {"detail": "Non-UTF-8 encoding in URL."}, 400)
        host = request.getHeader(b"host")
        if not self._hosts.allows(host):
            return _misdirected(request, host)
        if self._public_url:
            request.public_url = self._public_url
        if path.startswith(b"/api/"):
            if path.startswith(b"/api/0/") or path == b"/api/0":
                result = self._management().render(request)
            else:
                result = self.ingest.answer(request)
        elif path.startswith(b"/v1/") or (path in (b"/stream", b"/stream/")
                                           and request.method != b"GET"):
            # Spotlight's sidecar takes envelopes at POST /stream (its GET is the live feed).
            result = self.ingest.answer(request)
        else:
            result = self._inspection.render(request)
        if result is NOT_DONE_YET and not request.finished and not getattr(request, "gone", False):
            self._in_flight += 1
            request.notifyFinish().addBoth(self._finished)
        return result

    def answer_now(self, request: Any) -> Any:
        """
        The answer to a whole, plain request (L{sentry_fake.plain_requests.PlainRequest}) when
        it can be given at once just as L{render} would give it, or a L{Deferred} of it at the
        end of this turn (where the journal commits the turn's records together): a request of
        the ingest hot path while the server is serving.  C{None}, having done nothing, for
        any other.
        """
        if self._closed:
            return None
        path = request.path
        if b"%" in path or not path.startswith(b"/api/") or path.startswith(b"/api/0/") \
                or path == b"/api/0":
            return None
        if not self._hosts.allows(request.getHeader(b"host")):
            return None
        if self._public_url:
            request.public_url = self._public_url
        answer = self.ingest.answer_hot(request)
        if isinstance(answer, Deferred):
            # Answered with the other requests of this turn: in flight until then.
            self._in_flight += 1
            answer.addBoth(self._answered)
        return answer

    # Stopping

    def close(self) -> None:
        """
        Answer every request from now on with 503 and close its connection.
        """
        self._closed = True

    def _answered(self, answer: Any) -> Any:
        self._finished(None)
        return answer

    def _finished(self, result: Any) -> None:
        self._in_flight -= 1
        if self._in_flight == 0:
            waiting, self._drained = self._drained, []
            for done in waiting:
                done.callback(None)

    def drained(self, clock: Any, timeout: float) -> Deferred[None]:
        """
        A Deferred that fires once no request is in flight, or after C{timeout} seconds.
        """
        if self._in_flight == 0:
            return succeed(None)
        done: Deferred[None] = Deferred()
        self._drained.append(done)
        call = clock.callLater(timeout, lambda: done.called or done.callback(None))
        done.addBoth(lambda result: (call.active() and call.cancel(), result)[1])
        return done

    # The surfaces

    @property
    def management(self) -> Any:
        """
        The management surface, built on first use when it was given as a factory.
        """
        if self._management_surface is None:
            self._management_surface = self._build_management()
        return self._management_surface

    def _management(self) -> Any:
        if self._management_resource is None:
            self._management_resource = self.management.resource()
        return self._management_resource


def _utf8_path(path: bytes) -> bool:
    """
    Whether a percent-encoded path decodes to UTF-8 text (what the routes match against).
    """
    try:
        unquote_to_bytes(path).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _misdirected(request: Any, host: bytes) -> bytes:
    name = host.decode("latin-1")
    return json_response(request, {"detail": (
        f"This server does not answer for the host {name!r} (a web page may be trying to "
        f"reach it under another name); start it with --allowed-host {name.rpartition(':')[0] or name} "
        "or --public-url to accept it")}, 421)


def _stopping(request: Any) -> bytes:
    channel = getattr(request, "channel", None)
    if channel is not None and hasattr(channel, "persistent"):
        channel.persistent = False
    return json_response(request, {"detail": "The server is stopping; try again later"}, 503,
                         {b"connection": b"close", b"retry-after": b"1"})
