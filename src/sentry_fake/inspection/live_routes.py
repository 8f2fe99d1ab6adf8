"""
The live feeds: C{/__parlel/live}, the server-sent events an open page listens to (new and
changed issues as rendered rows, new events, counts), and C{GET /stream}, Spotlight's sidecar
stream, so Spotlight's own UI can attach here.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Iterator
from urllib.parse import urlsplit

from ..errors import Invalid, NotFound
from ..http import arg, json_response
from ..interfaces import IDirectory, IEventLog, IIssues
from ..jsoncodec import dumps
from ..pages.format import count, when
from ..pages.issue_rows import event_row, issue_row
from ..pages.render import flatten
from ..store import search
from ..store.models import CapturedItem, Event, Issue
from . import spotlight_wire
from .app import app
from .backlogs import LatestBacklog, Later, Message, OrderedBacklog
from .live import LiveHub, Stream, sse, start_stream
from .stream_query import SearchFacts, admitted, search_context, stream_filters
from .trace_feeds import TraceFeeds

#: At most this many rows of each kind in one delivery (the pages list no more).
MAX_ROWS = 25
#: How many of the latest envelopes a new Spotlight client is sent, as Spotlight's buffer.
SPOTLIGHT_BACKLOG = 500


def _json(value: Any) -> bytes:
    return dumps(value)


def spotlight_origin(origin: str | None) -> bool:
    """
    Whether a page of that origin may read the stream: this machine's, or Spotlight's site
    over https, as Spotlight's sidecar allows.
    """
    if not origin:
        return False
    try:
        parts = urlsplit(origin)
        host = (parts.hostname or "").lower()
    except ValueError:
        return False
    if host in ("localhost", "127.0.0.1", "::1") or host.endswith(".localhost"):
        return True
    return parts.scheme == "https" and (host == "spotlightjs.com"
                                        or host.endswith(".spotlightjs.com"))


class LiveRoutes(TraceFeeds):
    #: The roles of the store these routes use (checked by tests/test_interfaces.py).
    roles = (IDirectory, IEventLog, IIssues)

    store: Any
    clock: Any

    @property
    def live_hub(self) -> LiveHub:
        """
        The one watcher of the store every open stream shares.
        """
        hub = self.__dict__.get("_live_hub")
        if hub is None:
            hub = self.__dict__["_live_hub"] = LiveHub(self.store, self.clock)
        return hub

    def close_streams(self) -> None:
        hub = self.__dict__.get("_live_hub")
        if hub is not None:
            hub.close()

    def _open(self, request: Any, deliver: Callable[[list[Any]], Iterable[Message]],
              kept: OrderedBacklog | LatestBacklog, first: bytes = b"retry: 3000\n\n",
              backlog: Iterable[Message] = ()) -> Any:
        """
        Stream to C{request}: C{backlog} (sent as the client reads), then what C{deliver}
        makes of each delivery; C{kept} holds what comes while the client is not reading.
        """
        if self.clock is None:
            return json_response(request, {"detail": "live streams need the server's clock"},
                                 503)
        start_stream(request, first)
        stream = Stream(request, deliver, first=backlog, backlog=kept)
        self.live_hub.join(stream)
        return stream.done

    # The pages' feed

    def _issue_message(self, issue: Issue, org: str) -> bytes:
        project = self.store.directory.project_by_id(issue.project_id)
        row = flatten(issue_row(issue, project, org, self.store.now()))
        return sse("issue", _json({"id": str(issue.id), "html": row.decode("utf-8")}))

    def _event_message(self, event: Event, org: str, with_project: bool) -> bytes:
        slug = self.store.directory.project_by_id(event.project_id).slug if with_project else None
        row = flatten(event_row(event, org, self.store.now(), slug))
        return sse("event", _json({"id": event.event_id, "html": row.decode("utf-8")}))

    def _touched(self, events: list[Event]) -> list[Issue]:
        """
        The issues C{events} went to, each once, the last touched last.
        """
        found: dict[int, None] = {}
        for event in events:
            if event.issue_id is not None:
                found.pop(event.issue_id, None)
                found[event.issue_id] = None
        issues = []
        for issue_id in found:
            try:
                issues.append(self.store.issue(issue_id))
            except NotFound:
                continue
        return issues

    def _home_feed(self, request: Any) -> Callable[[list[Any]], Iterator[bytes]]:
        org = self.store.directory.organization(arg(request, "org") or self.store.seed.organization)
        projects = {project.id for project in self.store.directory.projects_of(org)}
        scope = self.explore_scope(org)

        def deliver(records: list[Any]) -> Iterator[bytes]:
            events = [r for r in records if isinstance(r, Event) and r.project_id in projects]
            yield sse("counts", _json({
                "events": flatten(count(len(self.store.events()))).decode("utf-8"),
                "issues": flatten(count(self.store.issue_count())).decode("utf-8"),
                "items": flatten(count(len(self.store.items()))).decode("utf-8"),
                "evicted": flatten(count(self.store.evicted)).decode("utf-8")}))
            for issue in self._touched(events)[-MAX_ROWS:]:
                yield self._issue_message(issue, org.slug)
            for event in events[-MAX_ROWS:]:
                yield self._event_message(event, org.slug, True)
            yield from self.trace_rows(records, org.slug, scope, lambda span: True)

        return deliver

    def _stream_feed(self, request: Any) -> Callable[[list[Any]], Iterator[bytes]]:
        directory = self.store.directory
        org = directory.organization(arg(request, "org") or "")
        projects = directory.projects_of(org)
        filters = stream_filters(request, projects)
        tree = search.parse(filters.query)
        chosen = {p.id for p in projects if not filters.project_ids or p.id in filters.project_ids}
        slugs = {project.id: project.slug for project in projects}

        def deliver(records: list[Any]) -> Iterator[bytes]:
            events = [r for r in records if isinstance(r, Event) and r.project_id in chosen]
            if not events:
                return
            store = self.store
            context = search_context(
                store.now(), directory.me,
                lambda issue: SearchFacts(store.issue_messages, store.issue_facts, issue),
                directory.actor, lambda pid: slugs.get(pid, ""))
            for issue in self._touched(events)[-MAX_ROWS:]:
                if not admitted(issue, filters):
                    continue
                try:
                    shown = search.evaluate(tree, issue, context)
                except Invalid:
                    # A query only an issue shows to be invalid (is:sideways): nothing matches.
                    return
                if shown:
                    yield self._issue_message(issue, org.slug)

        return deliver

    def _issue_feed(self, request: Any, with_rows: bool) -> Callable[[list[Any]], Iterator[bytes]]:
        issue_id = arg(request, "issue") or ""
        issue = self.store.issue(issue_id)
        project = self.store.directory.project_by_id(issue.project_id)
        org = self.store.directory.organization(project.organization_id).slug

        def deliver(records: list[Any]) -> Iterator[bytes]:
            events = [r for r in records if isinstance(r, Event) and r.issue_id == issue.id]
            if not events:
                return
            now = self.store.now()
            yield sse("fields", _json({
                "events": flatten(count(issue.times_seen)).decode("utf-8"),
                "users": flatten(count(len(issue.users))).decode("utf-8"),
                "last-seen": flatten(when(issue.last_seen, now)).decode("utf-8")}))
            yield sse("notice", _json({"count": len(events)}))
            if with_rows:
                for event in events[-MAX_ROWS:]:
                    yield self._event_message(event, org, False)

        return deliver

    @app.route("/__parlel/live", methods=["GET"])
    def live_feed(self, request: Any) -> Any:
        """
        What an open page shows as it happens (C{view}: C{home}, C{issues} with the stream's
        filters, C{issue} or C{issue-events} with C{issue}; C{traces} or C{logs} with their
        filters, C{trace} with C{trace}).
        """
        view = arg(request, "view")
        if view == "home":
            deliver = self._home_feed(request)
        elif view == "issues":
            deliver = self._stream_feed(request)
        elif view in ("issue", "issue-events"):
            deliver = self._issue_feed(request, with_rows=view == "issue-events")
        elif view in ("traces", "trace", "logs"):
            deliver = self.trace_feed(view, request)
        else:
            raise Invalid("view must be home, issues, issue, issue-events, traces, trace or "
                          "logs")
        # A page's messages replace each other (a row, the counts, a region): while it is not
        # reading, only the newest of each is kept.
        return self._open(request, deliver, LatestBacklog())

    # Spotlight

    def _spotlight_backlog(self, after: int | None) -> list[list[CapturedItem]]:
        """
        The latest envelopes (at most L{SPOTLIGHT_BACKLOG}, those after C{after} only),
        oldest first, read from the newest end of the items' log.
        """
        taken: list[CapturedItem] = []
        records = 0
        last_seq = None
        for item in reversed(self.store.items()):
            if after is not None and item.seq <= after:
                break
            if item.seq != last_seq:
                records += 1
                last_seq = item.seq
                if records > SPOTLIGHT_BACKLOG:
                    break
            taken.append(item)
        taken.reverse()
        return list(spotlight_wire.by_record(taken))

    @app.route("/stream", methods=["GET"])
    def spotlight_stream(self, request: Any) -> Any:
        """
        Spotlight's sidecar stream: the latest envelopes, then each as it arrives (resuming
        after C{Last-Event-ID} when a client reconnects).
        """
        origin = request.getHeader(b"origin")
        if origin is not None and spotlight_origin(origin.decode("latin-1")):
            request.setHeader(b"access-control-allow-origin", origin)
            request.setHeader(b"vary", b"Origin")
        encoded = b"base64" in request.args
        last_id = request.getHeader(b"last-event-id")
        backlog = self._spotlight_backlog(
            spotlight_wire.seq_of(last_id.decode("latin-1") if last_id else None))
        sent = [backlog[-1][0].seq if backlog else self.store.seq]

        def later(group: list[CapturedItem]) -> Later:
            # Made when the connection takes it: a client that is not reading holds the
            # store's items, not their envelopes.
            return Later(spotlight_wire.weight(group),
                         lambda: spotlight_wire.message(group, encoded))

        def deliver(records: list[Any]) -> Iterator[Message]:
            fresh = [r for r in records if isinstance(r, CapturedItem) and r.seq > sent[0]]
            for group in spotlight_wire.by_record(fresh):
                sent[0] = group[0].seq
                yield later(group)

        # Spotlight writes an empty line first, so that every browser fires "open" at once.
        # Envelopes go in order, each once: while the client is not reading they wait; still
        # over backlogs.ORDERED_MAX_BACKLOG bytes at the next delivery, the stream is closed (a
        # client that connects again is sent the latest envelopes, or those after its
        # Last-Event-ID).
        return self._open(request, deliver, OrderedBacklog(), first=b"\n",
                          backlog=(later(group) for group in backlog))
