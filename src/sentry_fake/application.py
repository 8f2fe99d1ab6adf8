"""
Assembly: the settings of a server and the service tree built from them.

C{tap.makeService} and the embedding helpers both build through here, so a server started by
twistd and one started inside a test's reactor are the same tree:

    Server (starts its children in order, stops them one at a time in reverse)
    ├── store        the state (L{StoreService})
    ├── journal      with --data-dir: loads at start, checkpoints and closes at stop
    ├── heap         (twistd only) keeps the collector off the stored records
    ├── gate         at stop: new requests answered 503, in-flight ones finished
    ├── listeners    one per --listen
    └── sd_notify    (twistd only) READY / STOPPING for systemd

So a stop first stops listening, then lets no new request in and waits for those in flight,
then writes the last checkpoint and closes the journal, and only then stops the store: no
request can reach a closed journal.
"""

from __future__ import annotations

from typing import Any, Sequence

import attrs
from twisted.application import strports
from twisted.application.internet import StreamServerEndpointService
from twisted.application.service import MultiService, Service
from twisted.internet.defer import Deferred, ensureDeferred, maybeDeferred
from twisted.internet.error import CannotListenError
from twisted.internet.interfaces import IStreamServerEndpoint
from twisted.internet.task import deferLater

from .heap import HeapFreezer
from .hosts import HostCheck
from .http import Root
from .ingest.surface import Ingest
from .inspection.surface import Inspection
from .listening import Announced
from .persistence.service import JournalService
from .sdnotify import SdNotifyService
from .site import make_site
from .store.limits import Limits
from .store.seed import Seed
from .store.service import DEFAULT_MAX_EVENTS, StoreService
from .tls import scheme_of

DEFAULT_LISTEN = "tcp:4773:interface=127.0.0.1"


@attrs.frozen
class Settings:
    listen: Sequence[str] = (DEFAULT_LISTEN,)
    auth_tokens: Sequence[str] = ()
    seed: Seed = Seed()
    max_events: int = DEFAULT_MAX_EVENTS
    strict_ingest: bool = False
    access_log: bool = False
    limits: Limits = Limits()
    #: Freeze stored records out of the garbage collector's way (see L{sentry_fake.heap}).
    freeze_heap: bool = False
    #: Seconds after which a connection that sends nothing is closed.
    idle_timeout: float = 60
    #: Seconds the head of a request may take to arrive, from its first byte.
    head_timeout: float = 30
    #: Bytes a second a request body must keep arriving at, averaged over the window.
    min_body_rate: float = 1024
    body_rate_window: float = 10
    #: Keep state in this directory (see L{sentry_fake.persistence}); memory only when C{None}.
    data_dir: str | None = None
    #: Flush every commit of the data directory to the disk (survives a power cut).
    durable: bool = False
    #: Tell systemd when the server is ready (C{Type=notify}; a no-op without C{NOTIFY_SOCKET}).
    notify: bool = False
    #: Seconds a stop waits for the requests in flight.
    drain_timeout: float = 10
    #: The base URL handed out (DSNs, permalinks, links) instead of the request's own.
    public_url: str | None = None
    #: Hosts answered besides loopback and the public URL's (C{"*"}: any); see L{hosts}.
    allowed_hosts: Sequence[str] = ()


class Server(MultiService):
    """
    The top of the tree: children start in the order they were added and stop one at a time,
    in reverse order, each stop finished before the next begins (L{MultiService} alone stops
    them all at once).
    """

    def privilegedStartService(self) -> None:
        try:
            super().privilegedStartService()
        except CannotListenError as error:
            # What twistd would show as a traceback: a port in use, say.
            raise SystemExit(f"sentry-fake: {error}")

    def stopService(self) -> Deferred[None]:
        Service.stopService(self)
        return ensureDeferred(self._stop_in_turn())

    async def _stop_in_turn(self) -> None:
        for service in reversed(list(self)):
            await maybeDeferred(service.stopService)


class Gate(Service):
    """
    At stop: answer every new request 503 (closing its connection), answer the long-polls
    still waiting, and wait until the requests in flight are done.
    """

    name = "gate"

    def __init__(self, root: Root, reactor: Any, timeout: float) -> None:
        self._root = root
        self._reactor = reactor
        self._timeout = timeout

    def stopService(self) -> Deferred[None]:
        super().stopService()
        self._root.close()
        self._root.inspection.finish_waiting()
        return ensureDeferred(self._drain())

    async def _drain(self) -> None:
        await self._root.drained(self._reactor, self._timeout)
        # A moment for the last answers to leave before the reactor closes the connections.
        await deferLater(self._reactor, 0.05, lambda: None)


def build_root(store: StoreService, settings: Settings, clock: Any = None) -> Root:
    """
    The HTTP root over one store: the ingest, management and inspection surfaces, and the
    fault plan the inspection surface sets and the ingest surface draws from.
    """
    ingest = Ingest(store, strict=settings.strict_ingest, clock=clock)

    def management() -> Any:
        from .management.surface import Management

        return Management(store, tokens=settings.auth_tokens)

    return Root(
        ingest=ingest, management=management,
        inspection=Inspection(store, clock=clock, faults=ingest.faults),
        hosts=HostCheck.for_server(settings.listen, settings.public_url, settings.allowed_hosts),
        public_url=settings.public_url,
    )


def build_service(reactor: Any, settings: Settings,
                  endpoints: Sequence[IStreamServerEndpoint] | None = None) -> MultiService:
    """
    The whole server: the store service first (named C{"store"}), then the journal, then one
    HTTP endpoint service per listen string, or per endpoint in C{endpoints} when given.
    """
    top = Server()
    store = StoreService(reactor, seed=settings.seed, max_events=settings.max_events,
                         limits=settings.limits)
    store.setServiceParent(top)
    if settings.data_dir:
        JournalService(store, settings.data_dir, reactor,
                       durable=settings.durable).setServiceParent(top)
    if settings.freeze_heap:
        HeapFreezer(store, clock=reactor).setServiceParent(top)
    root = build_root(store, settings, reactor)
    site = make_site(root, settings.limits.request_body, access_log=settings.access_log,
                     idle_timeout=settings.idle_timeout, head_timeout=settings.head_timeout,
                     min_rate=settings.min_body_rate, rate_window=settings.body_rate_window)
    Gate(root, reactor, settings.drain_timeout).setServiceParent(top)
    if endpoints is None:
        for description in settings.listen:
            # strports fails at start-up, not later, when a port cannot be bound.
            listener = strports.service(description, site, reactor=reactor)
            listener.endpoint = Announced(listener.endpoint, scheme_of(description),
                                          settings.seed.public_key, settings.public_url)
            listener.setServiceParent(top)
    else:
        for endpoint in endpoints:
            StreamServerEndpointService(endpoint, site).setServiceParent(top)
    if settings.notify:
        SdNotifyService(reactor).setServiceParent(top)
    return top
