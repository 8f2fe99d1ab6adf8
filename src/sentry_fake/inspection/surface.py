"""
Service metadata, health, reset, the captured events and items (filtered, with a long-poll),
fault injection, and the pages for people with their live feeds (the route families it is
made of).  No auth: this surface is for the tests and people on the same machine.
"""

from __future__ import annotations

import base64
from typing import Any, Callable

from twisted.internet.defer import Deferred
from zope.interface import implementer

from .. import __version__
from ..faults import Faults, parse_fault
from ..http import base_url, json_response, read_json_body
from ..interfaces import IDirectory, IEventLog, IInspectionSurface, IIssues, IStore, IWrites
from ..jsoncodec import loads
from ..store.models import CapturedItem
from ..store.normalize import document
from ..store.records import Reset
from .app import app
from .book_routes import FeedbackPages, MonitorPages, ReleasePages
from .home_routes import HomePage
from .issue_routes import IssuePages
from .live_routes import LiveRoutes
from .page_base import PageBase
from .queries import event_filter, item_filter, wait_params
from .trace_routes import LogPages, TracePages


def item_body(item: CapturedItem) -> dict[str, Any]:
    """
    A captured item as JSON: its payload parsed when it is JSON, as text when it is text, and
    base64 otherwise (C{payload_encoding} says which).
    """
    payload: Any
    encoding = "json"
    try:
        payload = loads(item.payload)
    except ValueError:
        try:
            payload = item.payload.decode("utf-8")
            encoding = "text"
        except UnicodeDecodeError:
            payload = base64.b64encode(item.payload).decode("ascii")
            encoding = "base64"
    return {
        "id": item.id, "type": item.type, "project_id": str(item.project_id),
        "event_id": item.event_id, "headers": item.headers, "payload": payload,
        "payload_encoding": encoding, "size": item.size, "received": item.received,
    }


@implementer(IInspectionSurface)
class Inspection(HomePage, IssuePages, ReleasePages, MonitorPages, FeedbackPages, TracePages,
                 LogPages, LiveRoutes, PageBase):
    """
    C{/}, C{/health} and C{/__parlel/...}, the pages at Sentry's own URLs
    (C{/organizations/...}), and Spotlight's C{GET /stream}.
    """
    #: The roles of the store these routes use (checked by tests/test_interfaces.py).
    roles = (IDirectory, IEventLog, IIssues, IWrites)


    app = app

    def __init__(self, store: IStore, clock: Any = None, faults: Faults | None = None) -> None:
        self.store = store
        self.clock = clock
        self.faults = faults if faults is not None else Faults()
        self._waiting: set[Callable[[], None]] = set()

    def finish_waiting(self) -> None:
        """
        Answer every long-poll now with what it has, and end the live streams (the server is
        stopping).
        """
        for finish in list(self._waiting):
            finish()
        self.close_streams()

    def resource(self) -> Any:
        return self.app.resource()

    # Service

    def _metadata(self, request: Any) -> dict[str, Any]:
        base = base_url(request)
        store = self.store
        seed = store.seed
        scheme, _, host = base.partition("://")
        return {
            "name": "sentry-fake", "service": "sentry", "version": __version__,
            "organization": seed.organization, "team": seed.team, "project": seed.project,
            "dsn": f"{scheme}://{seed.public_key}@{host}/1",
            "api_url": f"{base}/api/0/", "spotlight_url": f"{base}/stream",
            "events": len(store.events()), "issues": store.issue_count(),
            "items": len(store.items()), "evicted": store.evicted,
            "max_events": store.max_events,
            "endpoints": {
                "ingest": [f"{base}/api/<project_id>/envelope/", f"{base}/api/<project_id>/store/"],
                "management": f"{base}/api/0/",
                "inspection": [f"{base}/health", f"{base}/__parlel/events",
                               f"{base}/__parlel/items", f"{base}/__parlel/reset",
                               f"{base}/__parlel/faults"],
            },
        }

    @app.route("/", methods=["GET"])
    def metadata(self, request: Any) -> bytes:
        accept = (request.getHeader(b"accept") or b"").decode("latin-1")
        if "text/html" in accept and "application/json" not in accept:
            return self.home_page(request, self._metadata(request))
        return json_response(request, self._metadata(request))

    @app.route("/health", methods=["GET"])
    def health(self, request: Any) -> bytes:
        return json_response(request, {"status": "ok"})

    @app.route("/__parlel/reset", methods=["POST"])
    def reset(self, request: Any) -> bytes:
        self.store.reset(Reset(time=self.store.now(), seed=self.store.seed))
        self.faults.clear()
        return json_response(request, {"status": "ok"})

    # What was captured

    def _long_poll(self, request: Any, candidates: Callable[[], Any], matches: Callable[[Any], bool],
                   answer: Callable[[list[Any]], bytes]) -> Any:
        seconds, minimum = wait_params(request)
        found = [record for record in candidates() if matches(record)]
        if len(found) >= minimum or not seconds or self.clock is None:
            return answer(found)
        done: Deferred[bytes] = Deferred()
        count = [len(found)]

        def finish() -> None:
            self._waiting.discard(finish)
            self.store.unwatch(stored)
            if call.active():
                call.cancel()
            if not done.called:
                done.callback(answer([r for r in candidates() if matches(r)]))

        def stored(record: Any) -> None:
            if matches(record):
                count[0] += 1
                if count[0] >= minimum:
                    # Answer after the storing request has finished its own work.
                    self.clock.callLater(0, finish)

        call = self.clock.callLater(seconds, finish)
        self._waiting.add(finish)
        self.store.watch(stored)
        request.notifyFinish().addErrback(lambda _: finish())
        return done

    @app.route("/__parlel/events", methods=["GET"])
    def events(self, request: Any) -> Any:
        project, matches = event_filter(request)

        def answer(found: list[Any]) -> bytes:
            return json_response(request, {"events": [document(event) for event in found],
                                           "count": len(found), "evicted": self.store.evicted})

        return self._long_poll(request, lambda: self.store.events(project_id=project),
                               matches, answer)

    @app.route("/__parlel/events/<event_id>", methods=["GET"])
    def event(self, request: Any, event_id: str) -> bytes:
        return json_response(request, document(self.store.event(event_id)))

    @app.route("/__parlel/items", methods=["GET"])
    def items(self, request: Any) -> Any:
        kind, matches = item_filter(request)

        def answer(found: list[Any]) -> bytes:
            return json_response(request, {"items": [item_body(item) for item in found],
                                           "count": len(found)})

        return self._long_poll(request, lambda: self.store.items(kind), matches, answer)

    # Faults

    @app.route("/__parlel/faults", methods=["GET"])
    def get_faults(self, request: Any) -> bytes:
        plan = self.faults.plan
        return json_response(request, {"fault": plan.describe() if plan else None})

    @app.route("/__parlel/faults", methods=["POST"])
    def set_faults(self, request: Any) -> bytes:
        plan = parse_fault(read_json_body(request, self.store.limits.api_body))
        self.faults.set(plan)
        return json_response(request, {"fault": plan.describe()}, 201)

    @app.route("/__parlel/faults", methods=["DELETE"])
    def clear_faults(self, request: Any) -> bytes:
        self.faults.clear()
        return json_response(request, {"fault": None})
