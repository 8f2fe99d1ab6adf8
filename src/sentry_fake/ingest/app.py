"""
The one Klein application every ingest route module adds its routes to, and what those routes
share: CORS headers, reading and decoding the body, finding the client key and the client's
address.  Route families are mixins (see L{sentry_fake.ingest.surface.Ingest}) that use
C{self.store}, C{self.strict} and the helpers of L{IngestBase}.
"""

from __future__ import annotations

from typing import Any

from klein import Klein

from ..errors import SentryFakeError, Unauthorized
from ..http import add_error_handling, render_error, request_body
from ..interfaces import IStore
from ..store.outcome_rules import Tracked
from ..store.records import OutcomesTracked
from .auth import Auth, request_auth
from .batch import IngestBatch
from .decoding import decode_content

CORS = {
    b"access-control-allow-origin": b"*",
    b"access-control-expose-headers": b"x-sentry-error, x-sentry-rate-limits, retry-after",
}
PREFLIGHT = {
    b"access-control-allow-methods": b"GET, POST, OPTIONS",
    b"access-control-allow-headers": (
        b"x-sentry-auth, x-requested-with, origin, accept, content-type, content-encoding, "
        b"authentication, authorization, baggage, sentry-trace, traceparent, x-sentry-error"),
    b"access-control-max-age": b"3600",
}


def header(request: Any, name: bytes) -> str | None:
    value = request.getHeader(name)
    return value.decode("latin-1") if value is not None else None


def sentry_query(request: Any) -> dict[str, list[str]]:
    """
    The C{sentry_*} query parameters, decoded (where the JavaScript SDKs put their key).
    """
    return {name.decode("latin-1"): [v.decode("utf-8", "replace") for v in values]
            for name, values in (request.args or {}).items() if name.startswith(b"sentry_")}


def client_ip(request: Any) -> str | None:
    forwarded = request.getHeader(b"x-forwarded-for")
    if forwarded:
        return forwarded.split(b",")[0].strip().decode("latin-1")
    address = request.getClientAddress()
    return getattr(address, "host", None)


def add_cors(request: Any) -> None:
    for name, value in CORS.items():
        request.setHeader(name, value)


app = Klein()
add_error_handling(app, on_error=lambda self, request: add_cors(request))


class IngestBase:
    """
    What every ingest route family shares.
    """

    store: IStore
    strict: bool

    def answer_error(self, request: Any, error: BaseException) -> bytes:
        """
        The JSON answer for an error on an ingest route, with the CORS headers browsers need.
        """
        add_cors(request)
        return render_error(request, error)

    def body(self, request: Any, limit: int) -> bytes:
        """
        The request body with its content encoding undone, within C{limit} bytes.
        """
        return decode_content(request_body(request), header(request, b"content-encoding"), limit)

    def auth(self, request: Any) -> Auth | None:
        return request_auth(header(request, b"x-sentry-auth"), header(request, b"authorization"),
                            sentry_query(request) if request.args else {})

    def public_key(self, request: Any, auth: Auth | None = None) -> str | None:
        """
        The client key a request presents: C{None} when it presents none, which lenient mode
        accepts into the project of the URL (the seed's own quick start posts so); strict mode
        answers 401, as Sentry does.
        """
        auth = auth or self.auth(request)
        if auth is None:
            if self.strict:
                raise Unauthorized("missing authorization information")
            return None
        return auth.public_key

    def batch(self, request: Any, project_id: int, public_key: str | None) -> IngestBatch:
        """
        The record this request builds, for the project it sends to.

        @raise sentry_fake.errors.IngestRejected: in strict mode, the key does not open it.
        """
        return IngestBatch(self.store, project_id, public_key, self.strict, client_ip(request))

    def track_refused(self, project_id: int, outcomes: list[Tracked]) -> None:
        """
        Count what a request the store was not given held (nothing when its project is
        unknown, or when the journal cannot take the record: the refusal is answered anyway).
        """
        if not outcomes:
            return
        try:
            self.store.track_outcomes(OutcomesTracked(time=self.store.now(),
                                                      project_id=project_id,
                                                      outcomes=tuple(outcomes)))
        except SentryFakeError:
            pass

    def ok(self, request: Any, event_id: str | None, status: int = 200) -> bytes:
        """
        Relay's success answer: C{{"id": ...}} (or C{{}} when no event was sent).
        """
        request.setResponseCode(status)
        request.setHeader(b"content-type", b"application/json")
        add_cors(request)
        # Event ids are normalized to 32 hex digits, so the body needs no JSON encoder.
        return b'{"id":"%s"}' % event_id.encode("ascii") if event_id else b"{}"
