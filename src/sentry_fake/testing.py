"""
Running the whole server inside an already running reactor, for Twisted tests.

    server = await start_server(reactor)
    sentry_sdk.init(dsn=server.dsn)
    ...
    events = await server.wait_for_events(1, timeout=5)
    await server.stop()

The service tree is the one C{twistd sentry-fake} builds, listening on a port the system picks.
Mind one trap: C{sentry_sdk.flush()} blocks its caller until the events are sent, and they are
sent to this very reactor; call it from a thread (C{await deferToThread(sentry_sdk.flush, 5)}),
never on the reactor thread, or nothing arrives until it times out.

C{start_server(reactor, tls=...)} serves HTTPS instead (see its docstring).

Suites that do not use Twisted use the C{sentry_fake} pytest fixture instead
(L{sentry_fake.pytest_plugin}).
"""

from __future__ import annotations

from typing import Any

import attrs
from twisted.internet.defer import Deferred
from twisted.internet.endpoints import SSL4ServerEndpoint, serverFromString
from twisted.internet.interfaces import (IListeningPort, IOpenSSLServerConnectionCreator,
                                         IStreamServerEndpoint)
from zope.interface import implementer

from .application import Settings, build_service
from .listening import dsn_at
from .store.models import Event
from .store.normalize import document
from .store.records import Reset
from .store.service import StoreService
from .tls import scheme_of


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

        def failed(failure: Any) -> Any:
            self.listening.errback(failure)
            return failure

        return self._endpoint.listen(factory).addCallbacks(record, failed)


def _matches(event: Event, filters: dict[str, Any]) -> bool:
    for name, wanted in filters.items():
        value = event.project_id if name == "project" else getattr(event, name)
        if value != wanted:
            return False
    return True


@attrs.define
class RunningServer:
    """
    A server listening in this process: where it is, what it has stored, and how to stop it.
    """

    url: str
    port: int
    dsn: str
    store: StoreService
    service: Any
    reactor: Any

    @property
    def api_url(self) -> str:
        return self.url + "/api/0/"

    def events(self, **filters: Any) -> list[dict[str, Any]]:
        """
        The stored events as C{/__parlel/events} shows them, oldest first; filters compare
        record fields (C{type="error"}, C{level="warning"}, C{project=1}, C{release=...}).
        """
        return [document(event) for event in self.store.events() if _matches(event, filters)]

    def items(self, type: str | None = None) -> list[Any]:
        return list(self.store.items(type))

    def reset(self) -> None:
        self.store.reset(Reset(time=self.store.now(), seed=self.store.seed))

    async def wait_for_events(self, count: int = 1, timeout: float = 5.0,
                              **filters: Any) -> list[dict[str, Any]]:
        """
        Wait until at least C{count} events match (or C{timeout} seconds pass), then return
        the matching events.  Never blocks the reactor.
        """
        found = sum(1 for event in self.store.events() if _matches(event, filters))
        if found < count:
            done: Deferred[None] = Deferred()
            seen = [found]

            def stored(record: Any) -> None:
                if isinstance(record, Event) and _matches(record, filters):
                    seen[0] += 1
                    if seen[0] >= count and not done.called:
                        # On the next turn: the caller may write, and the store is in the
                        # middle of a write now.
                        self.reactor.callLater(0, lambda: done.called or done.callback(None))

            call = self.reactor.callLater(timeout, lambda: done.called or done.callback(None))
            self.store.watch(stored)
            try:
                await done
            finally:
                self.store.unwatch(stored)
                if call.active():
                    call.cancel()
        return self.events(**filters)

    async def stop(self) -> None:
        await self.service.stopService()


async def start_server(reactor: Any, settings: Settings | None = None,
                       interface: str = "127.0.0.1",
                       tls: IOpenSSLServerConnectionCreator | None = None) -> RunningServer:
    """
    Start the whole service tree in C{reactor} on a free port of C{interface}.

    @param tls: serve HTTPS with this server TLS context factory, what Twisted's SSL endpoints
        take (a L{twisted.internet.ssl.CertificateOptions}, such as
        C{PrivateCertificate.loadPEM(key_and_certificate_pem).options()}); the certificate
        must name C{interface}.  C{url} and C{dsn} then say C{https}.
    """
    settings = settings or Settings()
    if tls is None:
        description = f"tcp:0:interface={interface}"
        endpoint = serverFromString(reactor, description)
    else:
        # Its key and certificate are in tls: the description only says what is served where.
        description = f"ssl:0:interface={interface}"
        endpoint = SSL4ServerEndpoint(reactor, 0, tls, interface=interface)
    # What it listens on decides which Host names it answers (see sentry_fake.hosts).
    settings = attrs.evolve(settings, listen=(description,))
    recorder = _PortRecorder(endpoint)
    service = build_service(reactor, settings, endpoints=[recorder])
    service.startService()
    port = await recorder.listening
    number = port.getHost().port
    url = f"{scheme_of(description)}://{interface}:{number}"
    store = service.getServiceNamed("store")
    return RunningServer(url=url, port=number, dsn=dsn_at(url, settings.seed.public_key),
                         store=store, service=service, reactor=reactor)
