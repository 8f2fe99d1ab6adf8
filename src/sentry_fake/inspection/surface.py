"""
Service metadata, health, reset and the captured events and items.  No auth: this surface is for
the tests and people on the same machine.
"""

from __future__ import annotations

import base64
from typing import Any

from klein import Klein
from zope.interface import implementer

from .. import __version__
from ..errors import Invalid
from ..http import add_error_handling, json_response
from ..interfaces import IInspectionSurface, IStore
from ..jsoncodec import loads
from ..management.app import arg, base_url
from ..store.models import CapturedItem
from ..store.normalize import document


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
        "payload_encoding": encoding, "size": len(item.payload), "received": item.received,
    }


@implementer(IInspectionSurface)
class Inspection:
    """
    C{/}, C{/health} and C{/__parlel/...}.
    """

    app = Klein()
    add_error_handling(app)

    def __init__(self, store: IStore) -> None:
        self.store = store

    def resource(self) -> Any:
        return self.app.resource()

    @app.route("/", methods=["GET"])
    def metadata(self, request: Any) -> bytes:
        base = base_url(request)
        store = self.store
        seed = store.seed
        scheme, _, host = base.partition("://")
        return json_response(request, {
            "name": "sentry-fake", "service": "sentry", "version": __version__,
            "organization": seed.organization, "team": seed.team, "project": seed.project,
            "dsn": f"{scheme}://{seed.public_key}@{host}/1",
            "api_url": f"{base}/api/0/",
            "events": len(store.events()), "issues": store.issue_count(),
            "items": len(store.items()), "evicted": store.evicted,
            "max_events": store.max_events,
            "endpoints": {
                "ingest": [f"{base}/api/<project_id>/envelope/", f"{base}/api/<project_id>/store/"],
                "management": f"{base}/api/0/",
                "inspection": [f"{base}/health", f"{base}/__parlel/events",
                               f"{base}/__parlel/items", f"{base}/__parlel/reset"],
            },
        })

    @app.route("/health", methods=["GET"])
    def health(self, request: Any) -> bytes:
        return json_response(request, {"status": "ok"})

    @app.route("/__parlel/reset", methods=["POST"])
    def reset(self, request: Any) -> bytes:
        self.store.reset()
        return json_response(request, {"status": "ok"})

    @app.route("/__parlel/events", methods=["GET"])
    def events(self, request: Any) -> bytes:
        project = arg(request, "project")
        project_id = None
        if project:
            if not project.isdigit():
                raise Invalid("project must be a numeric project id")
            project_id = int(project)
        found = [document(event) for event in self.store.events(project_id=project_id)]
        return json_response(request, {"events": found, "count": len(found),
                                       "evicted": self.store.evicted})

    @app.route("/__parlel/events/<event_id>", methods=["GET"])
    def event(self, request: Any, event_id: str) -> bytes:
        return json_response(request, document(self.store.event(event_id)))

    @app.route("/__parlel/items", methods=["GET"])
    def items(self, request: Any) -> bytes:
        found = [item_body(item) for item in self.store.items(arg(request, "type"))]
        return json_response(request, {"items": found, "count": len(found)})
