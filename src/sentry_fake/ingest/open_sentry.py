"""
The Open Sentry ingest dialect: C{POST /v1/ingest}, a simpler JSON API than envelopes.

The client key (the public key of an active client key of any project) comes in the
C{X-Open-Sentry-Key} header, the older C{X-Sentry-Clone-Key} header or C{?key=}; the body is one
item or an array of 1 to 20 (see L{sentry_fake.ingest.open_sentry_items}).  Errors become
events grouped into issues, transactions and AI generations become transaction events, all in
the key's project.  The answer is C{202 {"id": ...}} (with C{"ids"} for an array); refusals are
C{{"error": ...}}: 400 C{Invalid JSON} or C{Invalid payload}, 401 C{Missing auth key}, 403
C{Invalid DSN key}, 413 C{Payload too large} (over 256 KiB).
"""

from __future__ import annotations

from typing import Any

from twisted.logger import Logger

from ..errors import Invalid, NotFound, TooLarge
from ..http import json_response, request_body
from ..interfaces import IDirectory, IWrites
from ..jsoncodec import dumps, loads
from .app import CORS, IngestBase, add_cors, app, client_ip, header
from .batch import IngestBatch
from .decoding import decode_content
from .open_sentry_items import InvalidItem, convert_body

MAX_BODY = 256 * 1024
_PREFLIGHT = {
    b"access-control-allow-methods": b"POST, OPTIONS",
    b"access-control-allow-headers": (b"content-type, content-encoding, x-open-sentry-key, "
                                      b"x-sentry-clone-key"),
    b"access-control-max-age": b"3600",
}


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(status, message)
        self.status = status
        self.message = message


class OpenSentryRoutes(IngestBase):
    """
    C{/v1/ingest}.
    """
    #: The roles of the store these routes use (checked by tests/test_interfaces.py).
    roles = (IDirectory, IWrites)


    log = Logger()

    @app.route("/v1/ingest", methods=["POST"], strict_slashes=False)
    def open_sentry_ingest(self, request: Any) -> bytes:
        add_cors(request)
        try:
            project, converted, many = self._accept(request)
        except _Refused as refusal:
            return json_response(request, {"error": refusal.message}, refusal.status)
        batch = IngestBatch(self.store, project.id, None, False, client_ip(request))
        ids = []
        for item_type, payload in converted:
            raw = dumps(payload)
            event = batch.event(payload, raw, item_type)
            batch.item(item_type, {"type": item_type, "length": len(raw)}, raw, event.event_id)
            ids.append(event.event_id)
        batch.commit()
        answer: dict[str, Any] = {"id": ids[0]}
        if many:
            answer["ids"] = ids
        return json_response(request, answer, 202)

    @app.route("/v1/ingest", methods=["OPTIONS"], strict_slashes=False)
    def open_sentry_preflight(self, request: Any) -> bytes:
        for name, value in {**CORS, **_PREFLIGHT}.items():
            request.setHeader(name, value)
        return b""

    def _open_key(self, request: Any) -> str | None:
        for name in (b"x-open-sentry-key", b"x-sentry-clone-key"):
            value = (header(request, name) or "").strip()
            if value:
                return value
        values = (request.args or {}).get(b"key")
        value = values[0].decode("utf-8", "replace").strip() if values else ""
        return value or None

    def _accept(self, request: Any) -> tuple[Any, list[tuple[str, dict[str, Any]]], bool]:
        """
        The project and the converted items of a request, or the refusal it gets.
        """
        public_key = self._open_key(request)
        if public_key is None:
            raise _Refused(401, "Missing auth key")
        key = self.store.directory.key(public_key)
        try:
            if key is None or not key.is_active:
                raise NotFound()
            project = self.store.directory.project_by_id(key.project_id)
        except NotFound:
            raise _Refused(403, "Invalid DSN key")
        try:
            raw = request_body(request)
            if len(raw) > MAX_BODY:
                raise TooLarge("over 256 KiB")
            body = decode_content(raw, header(request, b"content-encoding"), MAX_BODY)
        except TooLarge:
            raise _Refused(413, "Payload too large")
        except Invalid:
            raise _Refused(400, "Invalid JSON")
        try:
            parsed = loads(body)
        except ValueError:
            raise _Refused(400, "Invalid JSON")
        try:
            converted = convert_body(parsed, self.store.now())
        except InvalidItem as error:
            self.log.debug("refused an Open Sentry payload: {reason}", reason=str(error))
            raise _Refused(400, "Invalid payload")
        return project, converted, isinstance(parsed, list)
