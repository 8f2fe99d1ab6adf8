"""
The ingest surface: the routes SDKs and sentry-cli send events to.
"""

from __future__ import annotations

from typing import Any

from klein import Klein
from twisted.logger import Logger
from zope.interface import implementer

from ..errors import Invalid, Unauthorized
from ..http import add_error_handling, render_error, request_body
from ..interfaces import IIngestSurface, IStore
from ..jsoncodec import dumps
from .auth import Auth, auth_from_dsn, request_auth
from .decoding import decode_content, decode_legacy_store
from .envelope import parse_envelope
from .processing import accept_envelope, decode_event

_CORS = {
    b"access-control-allow-origin": b"*",
    b"access-control-expose-headers": b"x-sentry-error, x-sentry-rate-limits, retry-after",
}
_PREFLIGHT = {
    b"access-control-allow-methods": b"GET, POST, OPTIONS",
    b"access-control-allow-headers": (
        b"x-sentry-auth, x-requested-with, origin, accept, content-type, content-encoding, "
        b"authentication, authorization, baggage, sentry-trace, traceparent, x-sentry-error"),
    b"access-control-max-age": b"3600",
}


def _header(request: Any, name: bytes) -> str | None:
    value = request.getHeader(name)
    return value.decode("latin-1") if value is not None else None


def _query(request: Any) -> dict[str, list[str]]:
    return {name.decode("latin-1"): [v.decode("utf-8", "replace") for v in values]
            for name, values in (request.args or {}).items() if name.startswith(b"sentry_")}


def _client_ip(request: Any) -> str | None:
    forwarded = request.getHeader(b"x-forwarded-for")
    if forwarded:
        return forwarded.split(b",")[0].strip().decode("latin-1")
    address = request.getClientAddress()
    return getattr(address, "host", None)


@implementer(IIngestSurface)
class Ingest:
    """
    C{/api/{project_id}/envelope/}, C{/api/{project_id}/store/} and their kin.

    Auth is lenient by default (any key; unknown projects are created on first use); with
    C{strict} the key must belong to the project, as on sentry.io.
    """

    app = Klein()
    add_error_handling(app, on_error=lambda self, request: self._cors(request))
    log = Logger()

    def __init__(self, store: IStore, strict: bool = False) -> None:
        self.store = store
        self.strict = strict

    def resource(self) -> Any:
        return self.app.resource()

    def answer_error(self, request: Any, error: BaseException) -> bytes:
        """
        The JSON answer for an error on an ingest route, with the CORS headers browsers need.
        """
        self._cors(request)
        return render_error(request, error)

    # The shared steps

    def _cors(self, request: Any) -> None:
        for name, value in _CORS.items():
            request.setHeader(name, value)

    def _body(self, request: Any, limit: int) -> bytes:
        data = request_body(request)
        return decode_content(data, _header(request, b"content-encoding"), limit)

    def _auth(self, request: Any) -> Auth | None:
        return request_auth(_header(request, b"x-sentry-auth"), _header(request, b"authorization"),
                            _query(request) if request.args else {})

    def _ok(self, request: Any, event_id: str | None) -> bytes:
        request.setHeader(b"content-type", b"application/json")
        self._cors(request)
        return dumps({"id": event_id} if event_id else {})

    # IIngestSurface

    @app.route("/api/<int:project_id>/envelope/", methods=["POST"], strict_slashes=False)
    def envelope(self, request: Any, project_id: int) -> bytes:
        auth = self._auth(request)
        envelope = parse_envelope(self._body(request, self.store.limits.envelope))
        if auth is None:
            dsn = envelope.headers.get("dsn")
            if not isinstance(dsn, str) or not dsn:
                raise Unauthorized("missing authorization information")
            auth = auth_from_dsn(dsn)
        project = self.store.project_for_ingest(project_id, auth.public_key, self.strict)
        event_id = accept_envelope(self.store, project, envelope, self.store.limits,
                                   _client_ip(request))
        return self._ok(request, event_id)

    @app.route("/api/<int:project_id>/store/", methods=["POST"], strict_slashes=False)
    def store_event(self, request: Any, project_id: int) -> bytes:
        auth = self._auth(request)
        if auth is None:
            raise Unauthorized("missing authorization information")
        limit = self.store.limits.event
        body = decode_legacy_store(self._body(request, limit), limit)
        if not body.strip():
            raise Invalid("empty request body")
        payload = decode_event(body)
        project = self.store.project_for_ingest(project_id, auth.public_key, self.strict)
        item_type = "transaction" if payload.get("type") == "transaction" else "event"
        event = self.store.ingest_event(project, payload, body, None, item_type, _client_ip(request))
        self.store.capture_item(project, item_type, {"type": item_type}, body, event.event_id)
        return self._ok(request, event.event_id)

    @app.route("/api/store/", methods=["POST"], strict_slashes=False)
    def legacy_store(self, request: Any) -> bytes:
        auth = self._auth(request)
        if auth is None:
            raise Unauthorized("missing authorization information")
        key = self.store.key(auth.public_key)
        project_id = key.project_id if key is not None else 1
        return self.store_event(request, project_id)

    @app.route("/api/<int:project_id>/envelope/", methods=["OPTIONS"], strict_slashes=False)
    @app.route("/api/<int:project_id>/store/", methods=["OPTIONS"], strict_slashes=False)
    def preflight(self, request: Any, project_id: int) -> bytes:
        self._cors(request)
        for name, value in _PREFLIGHT.items():
            request.setHeader(name, value)
        request.setResponseCode(200)
        return b""
