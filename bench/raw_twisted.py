"""
The ceiling for bench/ingest.py: a raw twisted.web resource that reads the request body and
answers 200 {"id":"<32 hex>"} (application/json), on any path and method, and does nothing else.

    python bench/raw_twisted.py PORT

It listens on 127.0.0.1:PORT with the default reactor and a twisted.web.server.Site that, like
sentry-fake's by default, writes no access log line per request: no routing, no parsing, no
storage, no logging.  Whatever sentry-fake does on top of this is the cost of ingest.
"""

from __future__ import annotations

import sys
from uuid import uuid4

from twisted.web.resource import Resource
from twisted.web.server import Site


class Answer(Resource):
    isLeaf = True

    def render(self, request):
        request.content.read()
        request.setHeader(b"content-type", b"application/json")
        return b'{"id":"' + uuid4().hex.encode("ascii") + b'"}'


class QuietSite(Site):
    """
    A plain Site without the per-request access log (sentry-fake has none by default either).
    """

    def log(self, request):
        pass


def main(argv: list[str]) -> None:
    if len(argv) != 2 or not argv[1].isdigit():
        raise SystemExit("usage: python bench/raw_twisted.py PORT")
    from twisted.internet import reactor

    reactor.listenTCP(int(argv[1]), QuietSite(Answer()), interface="127.0.0.1")
    reactor.run()


if __name__ == "__main__":
    main(sys.argv)
