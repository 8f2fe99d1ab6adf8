"""
Which C{Host} a request may name, against DNS rebinding.

A server that listens on loopback only is reachable from a web page on another origin if that
origin's name is made to resolve to 127.0.0.1: the browser then sends the page's own name in
C{Host}.  So such a server answers only requests that name a loopback host (C{localhost},
C{*.localhost}, C{127.x.x.x}, C{[::1]}), the host of C{--public-url}, or a host given with
C{--allowed-host}; any other is answered C{421}.  A server that listens beyond loopback is
reached by names nobody can list in advance (a container's service name), and checks nothing
unless C{--allowed-host} says what to accept.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Iterable, Sequence
from urllib.parse import urlsplit

import attrs

_LOOPBACK_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")


def _bare(host: str) -> str:
    """
    A host without its port or brackets, lower case (C{[::1]:4773} -> C{::1}).
    """
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].partition("]")[0]
    if host.count(":") == 1:
        host = host.partition(":")[0]
    return host.rstrip(".")


def is_loopback(host: str) -> bool:
    """
    Whether a host name or address is this machine's loopback.
    """
    bare = _bare(host)
    if bare in _LOOPBACK_NAMES or bare.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(bare).is_loopback
    except ValueError:
        return False


def listens_beyond_loopback(descriptions: Iterable[str]) -> bool:
    """
    Whether any Twisted endpoint description listens on more than loopback (C{tcp:4773} and
    C{interface=0.0.0.0} do; C{unix:} and C{systemd:} sockets are taken to be local).
    """
    for description in descriptions:
        kind, _, rest = description.partition(":")
        if kind.lower() not in ("tcp", "tcp6", "ssl"):
            continue
        interface = ""
        for part in re.split(r"(?<!\\):", rest):
            name, equals, value = part.partition("=")
            if equals and name == "interface":
                interface = value.replace("\\:", ":")
        if not interface or not is_loopback(interface):
            return True
    return False


@attrs.frozen
class HostCheck:
    """
    The hosts a server answers for; C{enabled=False} answers every host.
    """

    enabled: bool = True
    allowed: frozenset[str] = frozenset()
    #: What each C{Host} header seen was judged (a few hundred at most).
    _seen: dict[bytes, bool] = attrs.field(factory=dict, eq=False, repr=False)

    @classmethod
    def for_server(cls, listen: Sequence[str], public_url: str | None,
                   allowed_hosts: Sequence[str]) -> "HostCheck":
        allowed = {_bare(host) for host in allowed_hosts if host != "*"}
        if public_url:
            allowed.add(_bare(urlsplit(public_url).netloc))
        enabled = "*" not in allowed_hosts and (
            bool(allowed_hosts) or not listens_beyond_loopback(listen))
        return cls(enabled=enabled, allowed=frozenset(allowed))

    def allows(self, host: bytes | None) -> bool:
        """
        Whether to answer a request whose C{Host} header is C{host} (one without is answered).
        """
        if not self.enabled or host is None:
            return True
        judged = self._seen.get(host)
        if judged is None:
            text = host.decode("latin-1")
            judged = is_loopback(text) or _bare(text) in self.allowed
            if len(self._seen) >= 512:
                self._seen.clear()
            self._seen[host] = judged
        return judged
