"""
Running the whole server inside an already running reactor, for tests.

    server = await start_server(reactor)
    sentry_sdk.init(dsn=server.dsn)
    ...
    await server.stop()

The service tree is the one C{twistd sentry-fake} builds, listening on a port the system picks.
Remember that C{sentry_sdk.flush()} blocks its caller until the events are sent: call it from a
thread (C{deferToThread}), never on the reactor thread that serves them.
"""

from __future__ import annotations

from typing import Any

import attrs
from twisted.internet.defer import Deferred
from twisted.internet.endpoints import serverFromString
from twisted.internet.interfaces import IListeningPort, IStreamServerEndpoint
from zope.interface import implementer

from .application import Settings, build_service
from .store.service import StoreService


@implementer(IStreamServerEndpoint)
class _PortRecorder:
    """
    An endpoint that remembers the port its wrapped endpoint listened on.
    """

    def __init__(self, endpoint: IStreamServerEndpoint) -> None:
        self._endpoint = endpoint
        self.listening: Deferred[IListeningPort] = Deferred()

    def listen(self, factory: Any) -> Deferred[IListeningPort]:
        def record(port: IListeningPort) -> IListeningPort:
            self.listening.callback(port)
            return port

        return self._endpoint.listen(factory).addCallback(record)


@attrs.define
class RunningServer:
    """
    A server listening in this process: where it is and what it has stored.
    """

    url: str
    port: int
    dsn: str
    store: StoreService
    service: Any

    def events(self, **filters: Any) -> list[Any]:
        return list(self.store.events(**filters))

    def reset(self) -> None:
        self.store.reset()

    async def stop(self) -> None:
        await self.service.stopService()


async def start_server(reactor: Any, settings: Settings | None = None,
                       interface: str = "127.0.0.1") -> RunningServer:
    """
    Start the whole service tree in C{reactor} on a free port of C{interface}.
    """
    settings = settings or Settings()
    recorder = _PortRecorder(serverFromString(reactor, f"tcp:0:interface={interface}"))
    service = build_service(reactor, settings, endpoints=[recorder])
    service.startService()
    port = await recorder.listening
    number = port.getHost().port
    url = f"http://{interface}:{number}"
    store = service.getServiceNamed("store")
    dsn = f"http://{settings.seed.public_key}@{interface}:{number}/1"
    return RunningServer(url=url, port=number, dsn=dsn, store=store, service=service)
