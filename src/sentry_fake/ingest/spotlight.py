"""
Spotlight's sidecar endpoint, C{POST /stream}: an SDK whose C{spotlight} option points here
sends every envelope to it, with C{Content-Type: application/x-sentry-envelope} and no
authentication (the browser SDKs may say C{text/plain}, and gzip, deflate or brotli it).

It goes down the envelope endpoint's path: the envelope's C{dsn} header, when it has one,
names the project (and the key, unless the request gives one as ingest requests do); otherwise
it lands in the seeded project (id 1), as a sidecar has no projects.  Spotlight answers 200; so does this, with the envelope endpoint's body.
"""

from __future__ import annotations

from typing import Any

from ..interfaces import IDirectory, IWrites
from .app import PREFLIGHT, IngestBase, add_cors, app
from .auth import auth_from_dsn, dsn_project_id
from .envelope import parse_envelope
from .processing import accept_envelope

#: Where an envelope without a DSN goes: the seeded project.
DEFAULT_PROJECT = 1


class SpotlightRoutes(IngestBase):
    #: The roles of the store these routes use (checked by tests/test_interfaces.py).
    roles = (IDirectory, IWrites)

    @app.route("/stream", methods=["POST"], strict_slashes=False)
    def spotlight_envelope(self, request: Any) -> bytes:
        envelope = parse_envelope(self.body(request, self.store.limits.envelope))
        dsn = envelope.headers.get("dsn")
        auth, project_id = self.auth(request), DEFAULT_PROJECT
        if isinstance(dsn, str) and dsn:
            auth = auth or auth_from_dsn(dsn)
            project_id = dsn_project_id(dsn) or DEFAULT_PROJECT
        batch = self.batch(request, project_id, self.public_key(request, auth))
        event_id = accept_envelope(batch, envelope, self.store.limits)
        batch.commit()
        request.setHeader(b"cache-control", b"no-cache")
        return self.ok(request, event_id)

    @app.route("/stream", methods=["OPTIONS"], strict_slashes=False)
    def spotlight_preflight(self, request: Any) -> bytes:
        """
        CORS preflight: a browser SDK's envelope has a content type a form cannot send.
        """
        add_cors(request)
        for name, value in PREFLIGHT.items():
            request.setHeader(name, value)
        request.setResponseCode(200)
        return b""
