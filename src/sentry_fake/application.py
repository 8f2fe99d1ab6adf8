"""
Assembly: the settings of a server and the service tree built from them.

C{tap.makeService} and the embedding helpers both build through here, so a server started by
twistd and one started inside a test's reactor are the same tree.
"""

from __future__ import annotations

from typing import Any, Sequence

import attrs
from twisted.application import strports
from twisted.application.service import MultiService

from .http import Root, make_site
from .ingest.surface import Ingest
from .inspection.surface import Inspection
from .management.surface import Management
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


def build_root(store: StoreService, settings: Settings) -> Root:
    """
    The HTTP root over one store: the ingest, management and inspection surfaces.
    """
    return Root(
        ingest=Ingest(store, strict=settings.strict_ingest),
        management=Management(store, tokens=settings.auth_tokens),
        inspection=Inspection(store),
    )


def build_service(reactor: Any, settings: Settings) -> MultiService:
    """
    The whole server: the store service first, then one HTTP endpoint service per listen string.
    """
    top = MultiService()
    store = StoreService(reactor, seed=settings.seed, max_events=settings.max_events,
                         limits=settings.limits)
    store.setServiceParent(top)
    site = make_site(build_root(store, settings), settings.limits.request_body,
                     access_log=settings.access_log)
    for description in settings.listen:
        strports.service(description, site, reactor=reactor).setServiceParent(top)
    return top
