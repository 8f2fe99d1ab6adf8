"""
The routes browsers post reports to: C{/api/{project_id}/security/} (and its older name
C{/csp-report/}) for CSP, HPKP, Expect-CT and Expect-Staple reports, and
C{/api/{project_id}/nel/} for Network Error Logging.

Security reports become stored events grouped into issues (see L{sentry_fake.ingest.security});
NEL reports are kept as captured C{nel} items, one per report.  Both answer C{200} with an empty
body, as Relay does; the browser's C{report-uri} carries the key as C{?sentry_key=}.
"""

from __future__ import annotations

from typing import Any

from ..errors import Invalid
from ..http import APIError
from ..interfaces import IDirectory, IWrites
from ..jsoncodec import dumps, loads
from .app import IngestBase, add_cors, app, header
from .auth import request_auth
from .security import report_type, security_event

SECURITY_TYPES = frozenset({
    "application/json", "application/csp-report", "application/expect-ct-report",
    "application/expect-ct-report+json", "application/expect-staple-report",
    "application/reports+json",
})
NEL_TYPES = frozenset({"application/json", "application/reports+json"})
# Query parameters of a report URL that are not credentials.
_REPORT_PARAMS = frozenset({b"sentry_release", b"sentry_environment"})


def _query(request: Any, name: bytes) -> str | None:
    values = (request.args or {}).get(name)
    return values[0].decode("utf-8", "replace") if values else None


def _media_type(request: Any, accepted: frozenset[str]) -> None:
    content_type = header(request, b"content-type")
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    if mime not in accepted:
        raise APIError(415, {"detail": "unsupported media type",
                             "causes": [f"expected one of {', '.join(sorted(accepted))}"]})


def _json(body: bytes) -> Any:
    if not body.strip():
        raise Invalid("empty request body")
    try:
        return loads(body)
    except ValueError as error:
        raise Invalid("invalid JSON data", causes=[str(error)])


def _empty(request: Any) -> bytes:
    request.setResponseCode(200)
    add_cors(request)
    return b""


class ReportRoutes(IngestBase):
    """
    Browser reports: security policy violations and network errors.
    """
    #: The roles of the store these routes use (checked by tests/test_interfaces.py).
    roles = (IDirectory, IWrites)  # through self.batch(), an IngestBatch


    def _report_key(self, request: Any) -> str | None:
        # sentry_release and sentry_environment sit beside sentry_key but are not credentials.
        query = {name.decode("latin-1"): [v.decode("utf-8", "replace") for v in values]
                 for name, values in (request.args or {}).items()
                 if name.startswith(b"sentry_") and name not in _REPORT_PARAMS}
        auth = request_auth(header(request, b"x-sentry-auth"), header(request, b"authorization"),
                            query)
        return self.public_key(request, auth)

    @app.route('/api/<int:project_id>/<any(security, "csp-report"):endpoint_name>/',
               methods=["POST"], strict_slashes=False)
    def security_report(self, request: Any, project_id: int, endpoint_name: str) -> bytes:
        """
        One report, or a Reporting API batch (a JSON array) whose C{csp-violation} reports
        each become an event; the other report types of a batch are skipped.
        """
        public_key = self._report_key(request)
        _media_type(request, SECURITY_TYPES)
        value = _json(self.body(request, self.store.limits.event))
        if isinstance(value, list):
            reports = [report for report in value if report_type(report) == "csp"]
            if not reports:
                raise Invalid("invalid security report type",
                              causes=["the batch holds no csp-violation report"])
        else:
            reports = [value]
        release = _query(request, b"sentry_release")
        environment = _query(request, b"sentry_environment")
        origin = header(request, b"origin")
        payloads = [security_event(report, release, environment, origin) for report in reports]
        batch = self.batch(request, project_id, public_key)
        for payload in payloads:
            batch.event(payload, dumps(payload))
        batch.commit()
        return _empty(request)

    @app.route("/api/<int:project_id>/nel/", methods=["POST"], strict_slashes=False)
    def nel(self, request: Any, project_id: int) -> bytes:
        """
        A Reporting API batch of Network Error Logging reports.
        """
        public_key = self._report_key(request)
        _media_type(request, NEL_TYPES)
        value = _json(self.body(request, self.store.limits.event))
        if not isinstance(value, list):
            raise Invalid("invalid JSON data", causes=["expected a JSON array of reports"])
        batch = self.batch(request, project_id, public_key)
        for report in value:
            payload = dumps(report)
            batch.item("nel", {"type": "nel", "length": len(payload),
                               "content_type": "application/json"}, payload, None)
        batch.commit()
        return _empty(request)
