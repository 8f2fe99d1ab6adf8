"""
The cron check-in HTTP endpoint, for jobs that cannot run an SDK: C{curl "$URL?status=ok"}.

C{GET} or C{POST /api/{project_id}/cron/{monitor_slug}/{sentry_key}/}, or without the key
segment and with the key in a header or the query string.  A JSON body (when the content type
says so) is a check-in, whose slug the path overrides; otherwise the query string carries
C{status}, C{check_in_id}, C{environment} and C{duration}.  Answers 202 with an empty body, as
Relay does, and the check-in is kept as a C{check_in} item too.
"""

from __future__ import annotations

from typing import Any

from ..errors import Invalid
from ..interfaces import IDirectory, IWrites
from ..jsoncodec import dumps, loads
from ..store.monitors import read_check_in
from .app import PREFLIGHT, IngestBase, add_cors, app, header

_QUERY_FIELDS = ("status", "check_in_id", "environment", "duration")


def _query_check_in(request: Any, slug: str) -> dict[str, Any]:
    args = request.args or {}

    def first(name: str) -> str | None:
        values = args.get(name.encode("ascii"))
        return values[0].decode("utf-8", "replace") if values else None

    fields: dict[str, Any] = {name: first(name) for name in _QUERY_FIELDS}
    if fields["status"] is None:
        raise Invalid("invalid check-in", causes=["missing field `status`"])
    if fields["duration"] is not None:
        try:
            fields["duration"] = float(fields["duration"])
        except ValueError:
            raise Invalid("invalid check-in", causes=["duration must be a number of seconds"])
    fields["monitor_slug"] = slug
    return {name: value for name, value in fields.items() if value is not None}


class CronRoutes(IngestBase):
    """
    C{/api/{project_id}/cron/{monitor_slug}/[{sentry_key}/]}.
    """
    #: The roles of the store these routes use (checked by tests/test_interfaces.py).
    roles = (IDirectory, IWrites)  # through self.batch(), an IngestBatch


    @app.route("/api/<int:project_id>/cron/<monitor_slug>/<sentry_key>/", methods=["GET", "POST"],
               strict_slashes=False)
    def cron_with_key(self, request: Any, project_id: int, monitor_slug: str,
                      sentry_key: str) -> bytes:
        return self._check_in(request, project_id, monitor_slug, sentry_key)

    @app.route("/api/<int:project_id>/cron/<monitor_slug>/", methods=["GET", "POST"],
               strict_slashes=False)
    def cron(self, request: Any, project_id: int, monitor_slug: str) -> bytes:
        return self._check_in(request, project_id, monitor_slug, self.public_key(request))

    @app.route("/api/<int:project_id>/cron/<monitor_slug>/", methods=["OPTIONS"],
               strict_slashes=False)
    @app.route("/api/<int:project_id>/cron/<monitor_slug>/<sentry_key>/", methods=["OPTIONS"],
               strict_slashes=False)
    def cron_preflight(self, request: Any, project_id: int, monitor_slug: str,
                       sentry_key: str | None = None) -> bytes:
        add_cors(request)
        for name, value in PREFLIGHT.items():
            request.setHeader(name, value)
        return b""

    def _check_in(self, request: Any, project_id: int, slug: str,
                  public_key: str | None) -> bytes:
        content_type = (header(request, b"content-type") or "").strip().lower()
        if content_type.startswith("application/json"):
            body = self.body(request, self.store.limits.check_in)
            try:
                sent = loads(body)
            except ValueError as error:
                raise Invalid("invalid check-in", causes=[f"invalid JSON: {error}"])
            if not isinstance(sent, dict):
                raise Invalid("invalid check-in", causes=["the check-in must be a JSON object"])
            sent = dict(sent, monitor_slug=slug)
        else:
            sent = _query_check_in(request, slug)
        checked = read_check_in(sent)
        batch = self.batch(request, project_id, public_key)
        batch.check_in(checked)
        raw = dumps(sent)
        batch.item("check_in", {"type": "check_in", "content_type": "application/json",
                                "length": len(raw)}, raw, None)
        batch.commit()
        add_cors(request)
        request.setResponseCode(202)
        return b""
