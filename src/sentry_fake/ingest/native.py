"""
The native crash routes: minidump uploads (Breakpad, Crashpad, Electron, curl), Unreal Engine
crash reports, and attachments posted for an event after the fact.

Crashes become stored error events with Relay's placeholder exception (nothing is symbolicated);
every uploaded file is kept as a captured C{attachment} item bound to the event id, with its
bytes as sent.
"""

from __future__ import annotations

import uuid
from typing import Any

from ..errors import Invalid
from ..interfaces import IDirectory, IWrites
from ..jsoncodec import dumps
from ..multipart import Part, parse_multipart
from ..store.normalize import new_event_id, normalize_event_id
from .app import PREFLIGHT, IngestBase, add_cors, app, header
from .batch import IngestBatch
from .minidump import (
    CONTENT_TYPE, MAGICS, MINIDUMP_FIELD, RAW_CONTENT_TYPES, RAW_FILE_NAME, apply_facts,
    attachment_type, event_from_form, is_compressed, read_header, strip_container_suffix,
    unpack, validate, write_placeholder,
)
from .unreal import (
    apply_context, apply_user_header, base_event, crash_files, parse_context, user_report,
)


def attachment_headers(filename: str, kind: str, content_type: str | None,
                       length: int) -> dict[str, Any]:
    """
    The item headers an attachment would have had in an envelope.
    """
    return {"type": "attachment", "length": length, "filename": filename,
            "attachment_type": kind, "content_type": content_type or "application/octet-stream"}


def text_id(request: Any, event_id: str) -> bytes:
    """
    Relay's answer to crash uploads: the event id as a hyphenated UUID in a text body.
    """
    request.setResponseCode(200)
    request.setHeader(b"content-type", b"text/plain; charset=utf-8")
    add_cors(request)
    return str(uuid.UUID(hex=event_id)).encode("ascii")


def preflight(request: Any) -> bytes:
    add_cors(request)
    for name, value in PREFLIGHT.items():
        request.setHeader(name, value)
    request.setResponseCode(200)
    return b""


def form_parts(body: bytes, content_type: str | None) -> list[Part]:
    """
    @raise Invalid: the body is not multipart form data (Relay's C{invalid multipart data}).
    """
    try:
        return parse_multipart(body, content_type)
    except Invalid as error:
        raise Invalid("invalid multipart data", causes=error.causes)


def _embedded_minidump(data: bytes) -> bytes:
    # Old Electron SDKs for Linux nest a whole multipart body inside the minidump field.
    first = next((line for line in data.splitlines() if line.strip()), b"")
    if len(first) <= 2 or not first.startswith(b"--"):
        return data
    boundary = first[2:].strip().decode("latin-1")
    try:
        parts = parse_multipart(data, f'multipart/form-data; boundary="{boundary}"')
    except Invalid:
        return data
    return next((part.data for part in parts if part.name == MINIDUMP_FIELD), data)


class NativeRoutes(IngestBase):
    """
    C{/api/{project_id}/minidump/}, C{/api/{project_id}/unreal/{key}/} and
    C{/api/{project_id}/events/{event_id}/attachments/}.
    """
    #: The roles of the store these routes use (checked by tests/test_interfaces.py).
    roles = (IDirectory, IWrites)  # through self.batch(), an IngestBatch


    @staticmethod
    def _keep_file(batch: IngestBatch, event_id: str | None, filename: str, kind: str,
                   content_type: str | None, data: bytes) -> None:
        headers = attachment_headers(filename, kind, content_type, len(data))
        batch.item("attachment", headers, data, event_id)

    @staticmethod
    def _store_crash(batch: IngestBatch, payload: dict[str, Any], event_id: str) -> str:
        return batch.event(payload, dumps(payload), "event", event_id).event_id

    @app.route("/api/<int:project_id>/minidump/", methods=["POST"], strict_slashes=False)
    def minidump(self, request: Any, project_id: int) -> bytes:
        """
        A minidump as the whole body, or as the C{upload_file_minidump} file of a form whose
        other files are attachments and whose plain fields are event fields.
        """
        public_key = self.public_key(request)
        limit = self.store.limits.attachment
        body = self.body(request, limit)
        if not body:
            raise Invalid("empty request body")
        content_type = header(request, b"content-type")
        mime = (content_type or "").split(";", 1)[0].strip().lower()
        extra: list[Part] = []
        fields: list[tuple[str, str]] = []
        if mime in RAW_CONTENT_TYPES or (not mime.startswith("multipart/")
                                         and (body.startswith(MAGICS) or is_compressed(body))):
            filename, part_type, data = RAW_FILE_NAME, CONTENT_TYPE, body
        else:
            found: Part | None = None
            for part in form_parts(body, content_type):
                if part.filename is None:
                    if part.name is not None:
                        fields.append((part.name, part.data.decode("utf-8", "replace")))
                elif part.name == MINIDUMP_FIELD and found is None:
                    found = part
                else:
                    extra.append(part)
            if found is None:
                raise Invalid("missing minidump",
                              causes=[f"the form has no {MINIDUMP_FIELD} file"])
            filename = strip_container_suffix(found.filename or RAW_FILE_NAME)
            part_type, data = found.content_type or CONTENT_TYPE, _embedded_minidump(found.data)
        data = unpack(data, limit)
        validate(data)

        payload = event_from_form(fields)
        sent_id = payload.get("event_id")
        event_id = normalize_event_id(sent_id) if sent_id else new_event_id()
        if event_id is None:
            raise Invalid("invalid event id", causes=[f"invalid event id {sent_id!r}"])
        write_placeholder(payload)
        apply_facts(payload, read_header(data))

        batch = self.batch(request, project_id, public_key)
        event_id = self._store_crash(batch, payload, event_id)
        self._keep_file(batch, event_id, filename, "event.minidump", part_type, data)
        for part in extra:
            self._keep_file(batch, event_id, part.filename or part.name or "attachment",
                            attachment_type(part.name), part.content_type, part.data)
        batch.commit()
        return text_id(request, event_id)

    @app.route("/api/<int:project_id>/unreal/<sentry_key>/", methods=["POST"],
               strict_slashes=False)
    def unreal(self, request: Any, project_id: int, sentry_key: str) -> bytes:
        """
        An Unreal Engine crash report; the client key is part of the path.
        """
        body = self.body(request, self.store.limits.attachment)
        files = crash_files(body, self.store.limits.envelope)
        context_file = next((f for f in files if f.attachment_type == "unreal.context"), None)
        context = parse_context(context_file.data) if context_file else None
        native = next((f for f in files if f.attachment_type in ("event.minidump",
                                                                   "event.applecrashreport")),
                      None)
        payload = base_event(context)
        user_info = (request.args or {}).get(b"UserID", [b""])[0].decode("utf-8", "replace")
        if user_info:
            apply_user_header(payload, user_info)
        if context is not None:
            apply_context(payload, context)
        if native is not None:
            if native.attachment_type == "event.minidump":
                write_placeholder(payload, "minidump")
                apply_facts(payload, read_header(native.data))
            else:
                write_placeholder(payload, "applecrashreport")

        batch = self.batch(request, project_id, sentry_key)
        event_id = new_event_id()
        if payload:
            event_id = self._store_crash(batch, payload, event_id)
        for crash_file in files:
            self._keep_file(batch, event_id, crash_file.name, crash_file.attachment_type,
                            crash_file.content_type, crash_file.data)
        report = user_report(context, event_id) if context is not None else None
        if report is not None:
            batch.user_report(report)
        batch.commit()
        return text_id(request, event_id)

    @app.route("/api/<int:project_id>/events/<event_id>/attachments/", methods=["POST"],
               strict_slashes=False)
    def event_attachments(self, request: Any, project_id: int, event_id: str) -> bytes:
        """
        Files for an event, sent before or after the event itself; answered C{201} with no body.
        """
        public_key = self.public_key(request)
        normalized = normalize_event_id(event_id)
        if normalized is None:
            raise Invalid("invalid event id", causes=[f"invalid event id {event_id!r}"])
        parts = form_parts(self.body(request, self.store.limits.attachment),
                           header(request, b"content-type"))
        batch = self.batch(request, project_id, public_key)
        for part in parts:
            if part.filename is not None:
                self._keep_file(batch, normalized, part.filename, "event.attachment",
                                part.content_type, part.data)
        batch.commit()
        request.setResponseCode(201)
        add_cors(request)
        return b""

    @app.route("/api/<int:project_id>/unreal/<sentry_key>/", methods=["OPTIONS"],
               strict_slashes=False)
    def unreal_preflight(self, request: Any, project_id: int, sentry_key: str) -> bytes:
        return preflight(request)

    @app.route("/api/<int:project_id>/events/<event_id>/attachments/", methods=["OPTIONS"],
               strict_slashes=False)
    def attachments_preflight(self, request: Any, project_id: int, event_id: str) -> bytes:
        return preflight(request)
