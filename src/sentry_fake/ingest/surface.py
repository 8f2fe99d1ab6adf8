"""
The ingest surface: the routes SDKs and sentry-cli send events to.
"""

from __future__ import annotations

import re
from typing import Any, Callable

from twisted.internet.defer import Deferred
from twisted.logger import Logger
from twisted.web.server import NOT_DONE_YET
from zope.interface import implementer

from ..errors import IngestRejected, Invalid, SentryFakeError, TooLarge
from ..faults import Fault, Faults
from ..http import APIError, request_body
from ..interfaces import IDirectory, IIngestSurface, IStore, IWrites
from .app import PREFLIGHT, IngestBase, add_cors, app
from .auth import auth_from_dsn
from .cron import CronRoutes
from .decoding import decode_legacy_store
from .envelope import parse_envelope
from .native import NativeRoutes
from .open_sentry import OpenSentryRoutes
from .processing import accept_envelope, decode_event
from .refusals import (discard_reason, endpoint_items, envelope_items, ingest_target,
                       rate_limit_reasons, tracked)
from .reports import ReportRoutes
from .spotlight import SpotlightRoutes


ENVELOPE_ROUTE = "/api/<int:project_id>/envelope/"
STORE_ROUTE = "/api/<int:project_id>/store/"


def _hot_path(*routes: str) -> re.Pattern[bytes]:
    """
    A pattern for the paths of C{routes} (with or without their trailing slash), whose
    groups are the project id and the endpoint's name: the hot path skips routing with it.
    """
    names = []
    for route in routes:
        prefix, _, rest = route.partition("<int:project_id>")
        if prefix != "/api/" or not rest.endswith("/"):
            raise ValueError(f"not an ingest endpoint route: {route}")
        names.append(re.escape(rest.strip("/")))
    return re.compile(rb"^/api/(\d+)/(" + "|".join(names).encode() + rb")/?$")


_HOT = _hot_path(ENVELOPE_ROUTE, STORE_ROUTE)


class EnvelopeRoutes(IngestBase):
    """
    C{/api/{project_id}/envelope/} and the legacy C{/api/{project_id}/store/}: the hot path.
    """
    #: The roles of the store these routes use (checked by tests/test_interfaces.py).
    roles = (IDirectory, IWrites)


    @app.route(ENVELOPE_ROUTE, methods=["POST"], strict_slashes=False)
    def envelope(self, request: Any, project_id: int, soon: bool = False) -> Any:
        auth = self.auth(request)
        envelope = parse_envelope(self.body(request, self.store.limits.envelope))
        if auth is None:
            dsn = envelope.headers.get("dsn")
            if isinstance(dsn, str) and dsn:
                auth = auth_from_dsn(dsn)
        public_key = self.public_key(request, auth)
        try:
            batch = self.batch(request, project_id, public_key)
            event_id = accept_envelope(batch, envelope, self.store.limits)
        except (Invalid, TooLarge, IngestRejected) as error:
            reason = discard_reason(error)
            self.track_refused(project_id, tracked("invalid", envelope_items(envelope),
                                                   lambda category: reason))
            raise
        return self._answer(request, batch, event_id, soon)

    @app.route(STORE_ROUTE, methods=["POST"], strict_slashes=False)
    def store_event(self, request: Any, project_id: int, soon: bool = False) -> Any:
        public_key = self.public_key(request)
        limit = self.store.limits.event
        body = decode_legacy_store(self.body(request, limit), limit)
        if not body.strip():
            raise Invalid("empty request body")
        item_type = "event"
        try:
            payload = decode_event(body)
            item_type = "transaction" if payload.get("type") == "transaction" else "event"
            batch = self.batch(request, project_id, public_key)
            event = batch.event(payload, body, item_type, decoded=True)
        except (Invalid, IngestRejected) as error:
            reason = discard_reason(error)
            self.track_refused(project_id, tracked("invalid", [(item_type, {}, len(body))],
                                                   lambda category: reason))
            raise
        batch.item(item_type, {"type": item_type}, body, event.event_id)
        return self._answer(request, batch, event.event_id, soon)

    def _answer(self, request: Any, batch: Any, event_id: str | None, soon: bool) -> Any:
        """
        Commit a batch and answer with its event's id; if C{soon}, with the other requests
        of this turn (a L{Deferred} of the answer then, where the journal groups them).
        """
        if not soon:
            batch.commit()
            return self.ok(request, event_id)
        committed = batch.commit_soon()
        answer = self.ok(request, event_id)
        if isinstance(committed, Deferred):
            return committed.addCallback(lambda _: answer)
        return answer

    @app.route("/api/store/", methods=["POST"], strict_slashes=False)
    def legacy_store(self, request: Any) -> bytes:
        public_key = self.public_key(request)
        key = self.store.directory.key(public_key) if public_key else None
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
class Ingest(EnvelopeRoutes, CronRoutes, OpenSentryRoutes, NativeRoutes, ReportRoutes,
             SpotlightRoutes):
    """
    Every ingest route family over one store.

    Auth is lenient by default (any key; unknown projects are created on first use); with
    C{strict} the key must belong to the project, as on sentry.io.
    """

    app = app
    log = Logger()

    def __init__(self, store: IStore, strict: bool = False, clock: Any = None,
                 faults: Faults | None = None) -> None:
        self.store = store
        self.strict = strict
        self.clock = clock
        #: The fault plan the inspection surface sets; drawn once per ingest request.
        self.faults = faults if faults is not None else Faults()
        self._resource = self.app.resource()
        self._hot: dict[bytes, Callable[[Any, int, bool], Any]] = {
            b"envelope": self.envelope, b"store": self.store_event,
        }

    def resource(self) -> Any:
        return self._resource

    def answer(self, request: Any) -> Any:
        """
        Answer an ingest request: with an injected fault if the plan draws one, straight from
        its handler on the hot path, through the routes otherwise.
        """
        if self.faults.plan is not None:
            fault = self.faults.draw(request.path)
            if fault is not None:
                return self._faulted(request, fault)
        return self._route(request)

    def answer_hot(self, request: Any) -> Any:
        """
        Answer a request of the hot path (an envelope or a legacy store event) at once, or
        with the other requests of this turn where the journal commits them together (a
        L{Deferred} of the answer); C{None}, having done nothing, for any other request, or
        while a fault plan is set.
        """
        if self.faults.plan is not None:
            return None
        return self._hot_answer(request, soon=True)

    def _hot_answer(self, request: Any, soon: bool = False) -> Any:
        if request.method != b"POST":
            return None
        match = _HOT.match(request.path)
        if match is None:
            return None
        try:
            answer = self._hot[match.group(2)](request, int(match.group(1)), soon)
        except Exception as error:
            return self.answer_error(request, error)
        if isinstance(answer, Deferred):
            answer.addErrback(lambda failure: self.answer_error(request, failure.value))
        return answer

    def _route(self, request: Any) -> Any:
        answer = self._hot_answer(request)
        if answer is not None:
            return answer
        return self._resource.render(request)

    def _faulted(self, request: Any, fault: Fault) -> Any:
        """
        Answer with an injected fault, or after an injected delay.
        """
        def answer() -> Any:
            if fault.status == 429:
                self._track_rate_limited(request, fault)
            if fault.status is not None:
                return self.answer_error(
                    request, APIError(fault.status, fault.body(), fault.headers()))
            return self._route(request)

        if not fault.delay or self.clock is None:
            return answer()

        def later() -> None:
            try:
                result = answer()
            except Exception as error:
                result = self.answer_error(request, error)
            if result is not NOT_DONE_YET:
                request.write(result)
                request.finish()

        call = self.clock.callLater(fault.delay, later)
        # A client that hangs up while delayed gets nothing, and nothing is stored.
        request.notifyFinish().addErrback(lambda _: call.active() and call.cancel())
        return NOT_DONE_YET

    def _track_rate_limited(self, request: Any, fault: Fault) -> None:
        """
        Count what a request answered 429 held, as Relay counts what it rate limits.
        """
        target = ingest_target(request.path)
        if target is None:
            return
        project_id, endpoint = target
        try:
            if endpoint == "envelope":
                items = envelope_items(parse_envelope(self.body(request,
                                                                self.store.limits.envelope)))
            elif endpoint == "store":
                limit = self.store.limits.event
                body = decode_legacy_store(self.body(request, limit), limit)
                kind = "transaction" if decode_event(body).get("type") == "transaction" \
                    else "event"
                items = [(kind, {}, len(body))]
            else:
                items = endpoint_items(endpoint, len(request_body(request)))
        except SentryFakeError:
            return
        limits = fault.headers().get(b"x-sentry-rate-limits", b"").decode("latin-1")
        self.track_refused(project_id, tracked("rate_limited", items,
                                               rate_limit_reasons(limits)))
