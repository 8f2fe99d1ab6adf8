"""
Readiness for systemd's C{Type=notify}: tell the service manager when the server is ready to
answer and when it is stopping.  Does nothing when C{NOTIFY_SOCKET} is not set.
"""

from __future__ import annotations

import os
import socket
from typing import Any

from twisted.application.service import Service
from twisted.logger import Logger


def notify(state: str, environ: dict[str, str] | None = None) -> bool:
    """
    Send C{state} (e.g. C{"READY=1"}) to the socket in C{NOTIFY_SOCKET}.

    @return: whether a message was sent.
    """
    address = (environ if environ is not None else os.environ).get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.connect(address)
        sock.sendall(state.encode("utf-8"))
    return True


class SdNotifyService(Service):
    """
    Added last to the service tree: ports are bound by then, so once the reactor runs the
    server answers, and systemd is told so.
    """

    log = Logger()

    def __init__(self, reactor: Any, environ: dict[str, str] | None = None) -> None:
        self._reactor = reactor
        self._environ = environ

    def startService(self) -> None:
        super().startService()
        self._reactor.callWhenRunning(self._ready)

    def _ready(self) -> None:
        if notify(f"READY=1\nMAINPID={os.getpid()}", self._environ):
            self.log.info("told the service manager we are ready")

    def stopService(self) -> Any:
        notify("STOPPING=1", self._environ)
        return super().stopService()
