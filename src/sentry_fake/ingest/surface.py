"""
The ingest surface: the routes SDKs and sentry-cli send events to.
"""

from __future__ import annotations

from typing import Any

from twisted.logger import Logger
from zope.interface import implementer

from ..errors import Invalid, Unauthorized
from ..interfaces import IIngestSurface, IStore
from .app import PREFLIGHT, IngestBase, add_cors, app, client_ip
from .auth import auth_from_dsn
from .cron import CronRoutes
from .decoding import decode_legacy_store
from .envelope import parse_envelope
from .native import NativeRoutes
from .open_sentry import OpenSentryRoutes
from .processing import accept_envelope, decode_event
from .reports import ReportRoutes


class EnvelopeRoutes(IngestBase):
    """
    C{/api/{project_id}/envelope/} and the legacy C{/api/{project_id}/store/}: the hot path.
    """

    @app.route("/api/<int:project_id>/envelope/", methods=["POST"], strict_slashes=False)
    def envelope(self, request: Any, project_id: int) -> bytes:
        auth = self.auth(request)
        envelope = parse_envelope(self.body(request, self.store.limits.envelope))
        if auth is None:
            dsn = envelope.headers.get("dsn")
            if not isinstance(dsn, str) or not dsn:
                raise Unauthorized("missing authorization information")
            auth = auth_from_dsn(dsn)
        project = self.project(project_id, auth.public_key)
        event_id = accept_envelope(self.store, project, envelope, self.store.limits,
                                   client_ip(request))
        return self.ok(request, event_id)

    @app.route("/api/<int:project_id>/store/", methods=["POST"], strict_slashes=False)
    def store_event(self, request: Any, project_id: int) -> bytes:
        auth = self.required_auth(request)
        limit = self.store.limits.event
        body = decode_legacy_store(self.body(request, limit), limit)
        if not body.strip():
            raise Invalid("empty request body")
        payload = decode_event(body)
        project = self.project(project_id, auth.public_key)
        item_type = "transaction" if payload.get("type") == "transaction" else "event"
        event = self.store.ingest_event(project, payload, body, None, item_type, client_ip(request))
        self.store.capture_item(project, item_type, {"type": item_type}, body, event.event_id)
        return self.ok(request, event.event_id)

    @app.route("/api/store/", methods=["POST"], strict_slashes=False)
    def legacy_store(self, request: Any) -> bytes:
        auth = self.required_auth(request)
        key = self.store.key(auth.public_key)
        return self.store_event(request, key.project_id if key is not None else 1)

    @app.route('/api/<int:project_id>/<any(envelope, store, security, "csp-report", minidump, '
               'nel):endpoint_name>/', methods=["OPTIONS"], strict_slashes=False)
    def preflight(self, request: Any, project_id: int, endpoint_name: str) -> bytes:
        """
        CORS preflight for browser SDKs (other route families answer OPTIONS on their own
        routes through this method too).
        """
        add_cors(request)
        for name, value in PREFLIGHT.items():
            request.setHeader(name, value)
        request.setResponseCode(200)
        return b""


@implementer(IIngestSurface)
class Ingest(EnvelopeRoutes, CronRoutes, OpenSentryRoutes, NativeRoutes, ReportRoutes):
    """
    Every ingest route family over one store.

    Auth is lenient by default (any key; unknown projects are created on first use); with
    C{strict} the key must belong to the project, as on sentry.io.
    """

    app = app
    log = Logger()

    def __init__(self, store: IStore, strict: bool = False) -> None:
        self.store = store
        self.strict = strict

    def resource(self) -> Any:
        return self.app.resource()
