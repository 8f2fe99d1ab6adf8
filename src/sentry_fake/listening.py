"""
What a server says once a port listens: where it answers, and the DSN to copy.

    answering at https://127.0.0.1:4773 (DSN https://parlel@127.0.0.1:4773/1)

The scheme is the endpoint's (C{https} for C{ssl:}); with C{--public-url} the DSN is the one
the server hands out, at that URL.
"""

from __future__ import annotations

from typing import Any

import attrs
from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IListeningPort, IStreamServerEndpoint
from twisted.logger import Logger
from zope.interface import implementer

log = Logger()


def dsn_at(base: str, public_key: str, project_id: int = 1) -> str:
    """
    The DSN of a client key at a base URL (C{https://host:port} -> C{https://KEY@host:port/1}).
    """
    scheme, _, host = base.partition("://")
    return f"{scheme}://{public_key}@{host}/{project_id}"


def address_url(scheme: str, address: Any) -> str | None:
    """
    The base URL of a listening IP address (an unspecified address reads as loopback), or
    C{None} for a socket that is not an IP one.
    """
    if not isinstance(address, (IPv4Address, IPv6Address)):
        return None
    host = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(address.host, address.host)
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}:{address.port}"


@implementer(IStreamServerEndpoint)
@attrs.frozen
class Announced:
    """
    An endpoint that logs where it answers once it listens.
    """

    endpoint: IStreamServerEndpoint
    scheme: str
    public_key: str
    public_url: str | None = None

    def listen(self, factory: Any) -> Deferred[IListeningPort]:
        return self.endpoint.listen(factory).addCallback(self._announce)

    def _announce(self, port: IListeningPort) -> IListeningPort:
        url = address_url(self.scheme, port.getHost())
        if url is None:
            return port
        if self.public_url:
            log.info("answering at {url}, handing out {public_url} (DSN {dsn})", url=url,
                     public_url=self.public_url, dsn=dsn_at(self.public_url, self.public_key))
        else:
            log.info("answering at {url} (DSN {dsn})", url=url,
                     dsn=dsn_at(url, self.public_key))
        return port
