"""
Assembly: the settings of a server and the service tree built from them.

C{tap.makeService} and the embedding helpers both build through here, so a server started by
twistd and one started inside a test's reactor are the same tree.
"""

from __future__ import annotations

from typing import Any, Sequence

import attrs
from twisted.application.internet import StreamServerEndpointService
from twisted.application.service import MultiService, Service
from twisted.internet.endpoints import serverFromString
from twisted.internet.task import deferLater
from twisted.internet.interfaces import IStreamServerEndpoint

from .faults import Faults
from .heap import HeapFreezer
from .http import Root, make_site
from .persistence import Persistence, PersistenceService
from .sdnotify import SdNotifyService
from .ingest.surface import Ingest
from .inspection.surface import Inspection
from .store.limits import Limits
from .store.seed import Seed
from .store.service import DEFAULT_MAX_EVENTS, StoreService

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
    #: Seconds after which a connection that sends nothing (or too slowly) is closed.
    idle_timeout: float = 60
    #: Keep state in this directory (see L{sentry_fake.persistence}); memory only when C{None}.
    data_dir: str | None = None
    #: Tell systemd when the server is ready (C{Type=notify}; a no-op without C{NOTIFY_SOCKET}).
    notify: bool = False


class _Drain(Service):
    """
    On stopping, answer the long-polls still waiting instead of cutting them off.
    """

    def __init__(self, root: Root, reactor: Any) -> None:
        self._root = root
        self._reactor = reactor

    def stopService(self) -> Any:
        super().stopService()
        self._root.inspection.finish_waiting()
        # A moment for those answers to leave before the reactor closes the connections.
        return deferLater(self._reactor, 0.05, lambda: None)


def build_root(store: StoreService, settings: Settings, clock: Any = None) -> Root:
    """
    The HTTP root over one store: the ingest, management and inspection surfaces, and the
    fault plan the inspection surface sets and the root applies to ingest.
    """
    faults = Faults()

    def management() -> Any:
        from .management.surface import Management

        return Management(store, tokens=settings.auth_tokens)

    return Root(
        ingest=Ingest(store, strict=settings.strict_ingest),
        management=management,
        inspection=Inspection(store, clock=clock, faults=faults),
        faults=faults, clock=clock,
    )


def build_service(reactor: Any, settings: Settings,
                  endpoints: Sequence[IStreamServerEndpoint] | None = None) -> MultiService:
    """
    The whole server: the store service first (named C{"store"}), then one HTTP endpoint
    service per listen string, or per endpoint in C{endpoints} when given.
    """
    top = MultiService()
    store = StoreService(reactor, seed=settings.seed, max_events=settings.max_events,
                         limits=settings.limits)
    store.setServiceParent(top)
    if settings.freeze_heap:
        HeapFreezer(store, clock=reactor).setServiceParent(top)
    root = build_root(store, settings, reactor)
    site = make_site(root, settings.limits.request_body, access_log=settings.access_log,
                     idle_timeout=settings.idle_timeout)
    if settings.data_dir:
        root.persistence = Persistence(settings.data_dir, store, reactor)
        PersistenceService(root.persistence, site).setServiceParent(top)
    _Drain(root, reactor).setServiceParent(top)
    if endpoints is None:
        endpoints = [serverFromString(reactor, description) for description in settings.listen]
    for endpoint in endpoints:
        service = StreamServerEndpointService(endpoint, site)
        # Fail at start-up, not later, when a port cannot be bound (as strports.service does).
        service._raiseSynchronously = True
        service.setServiceParent(top)
    if settings.notify:
        SdNotifyService(reactor).setServiceParent(top)
    return top
