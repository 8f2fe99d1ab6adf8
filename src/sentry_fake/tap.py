"""
C{twistd sentry-fake}: the command-line options and the service they build.

Every option can also come from an environment variable (C{SENTRY_FAKE_<OPTION>}); the command
line wins over the environment.
"""

from __future__ import annotations

import os
import re
from urllib.parse import urlsplit

from twisted.python import usage

from . import __version__
from .application import DEFAULT_LISTEN, Settings, build_service
from .errors import Invalid, SentryFakeError
from .persistence.data_dir import DataDirError, check_data_dir
from .store.directory import Directory
from .store.seed import Seed, load_seed_file
from .store.service import DEFAULT_MAX_EVENTS
from .tls import TLSUnavailable, server_endpoint

_SLUG = re.compile(r"^[a-z0-9_-]{1,50}\Z")
_TRUE = {"1", "true", "yes", "on"}


def _env(name: str) -> str | None:
    value = os.environ.get("SENTRY_FAKE_" + name)
    return value if value not in (None, "") else None


def _tcp_port(description: str) -> int | None:
    """
    The port of a C{tcp:}, C{tcp6:} or C{ssl:} endpoint description, if it names one.
    """
    kind, _, rest = description.partition(":")
    if kind.lower() not in ("tcp", "tcp6", "ssl"):
        return None
    for position, part in enumerate(re.split(r"(?<!\\):", rest)):
        name, equals, value = part.partition("=")
        text = value if equals and name == "port" else part if position == 0 and not equals else None
        if text is not None:
            try:
                return int(text)
            except ValueError:
                return None
    return None


class Options(usage.Options):
    synopsis = "[options]"
    longdesc = (
        "Run a local emulator of the Sentry service: SDKs send events to "
        "http://KEY@HOST:PORT/PROJECT_ID, tools use the REST API under /api/0/, and tests look "
        "inside through /__parlel/. Each option can also be set through the environment "
        "variable shown in brackets."
    )
    optParameters = [
        ["org", None, "parlel", "Slug of the seeded organization [SENTRY_FAKE_ORG]."],
        ["team", None, "parlel", "Slug of the seeded team [SENTRY_FAKE_TEAM]."],
        ["project", None, "parlel", "Slug of the seeded project, id 1 [SENTRY_FAKE_PROJECT]."],
        ["public-key", None, "parlel",
         "Public key of the seeded project's client key [SENTRY_FAKE_PUBLIC_KEY]."],
        ["seed", None, None,
         "JSON file of extra organizations, teams, projects and keys [SENTRY_FAKE_SEED]."],
        ["data-dir", None, None, "Keep state on disk in DIR [SENTRY_FAKE_DATA_DIR]."],
        ["max-events", None, str(DEFAULT_MAX_EVENTS),
         "Keep at most N events; the oldest are evicted beyond it [SENTRY_FAKE_MAX_EVENTS]."],
        ["public-url", None, None,
         "The base URL to hand out (DSNs, permalinks, links) when clients reach the server "
         "through a proxy, TLS or a port mapping; its host is answered too "
         "[SENTRY_FAKE_PUBLIC_URL]."],
    ]
    optFlags = [
        ["strict-ingest", None,
         "Check client keys as Sentry does instead of accepting any [SENTRY_FAKE_STRICT_INGEST]."],
        ["access-log", None, "Log every HTTP request [SENTRY_FAKE_ACCESS_LOG]."],
        ["fsync", None,
         "With --data-dir, flush every write to the disk, so it survives a power cut too "
         "(slower) [SENTRY_FAKE_FSYNC]."],
    ]

    def __init__(self) -> None:
        super().__init__()
        self["listen"] = []
        self["auth-token"] = []
        self["allowed-host"] = []
        for name in ("org", "team", "project", "public-key", "seed", "data-dir", "max-events",
                     "public-url"):
            value = _env(name.upper().replace("-", "_"))
            if value is not None:
                self[name] = value
        for name in ("strict-ingest", "access-log", "fsync"):
            value = _env(name.upper().replace("-", "_"))
            if value is not None:
                self[name] = 1 if value.lower() in _TRUE else 0

    def opt_listen(self, description: str) -> None:
        """
        A Twisted endpoint to listen on; repeatable (default: tcp:4773:interface=127.0.0.1); ssl:4773:interface=127.0.0.1:privateKey=key.pem:certKey=cert.pem serves HTTPS (needs sentry-fake[tls]) [SENTRY_FAKE_LISTEN, space-separated].
        """
        self["listen"].append(description)

    def opt_port(self, description: str) -> None:
        """
        An alias for --listen.
        """
        self.opt_listen(description)

    def opt_version(self) -> None:
        """
        Print sentry-fake's version and exit.
        """
        print(f"sentry-fake {__version__}")
        raise SystemExit(0)

    def opt_allowed_host(self, host: str) -> None:
        """
        Answer requests naming this host too, besides loopback names and the public URL's; repeatable; "*" for any host (default: none when listening on loopback only, any otherwise) [SENTRY_FAKE_ALLOWED_HOST, space- or comma-separated].
        """
        if not host.strip():
            raise usage.UsageError("--allowed-host must not be empty")
        self["allowed-host"].append(host.strip())

    def opt_auth_token(self, token: str) -> None:
        """
        Accept only this Bearer token on the management API; repeatable (default: any non-empty token) [SENTRY_FAKE_AUTH_TOKEN, space- or comma-separated].
        """
        if not token.strip():
            raise usage.UsageError("--auth-token must not be empty")
        self["auth-token"].append(token.strip())

    def postOptions(self) -> None:
        if not self["listen"]:
            self["listen"] = (_env("LISTEN") or DEFAULT_LISTEN).split()
        if not self["auth-token"]:
            self["auth-token"] = re.split(r"[\s,]+", _env("AUTH_TOKEN") or "")
            self["auth-token"] = [token for token in self["auth-token"] if token]
        if not self["allowed-host"]:
            self["allowed-host"] = [host for host in re.split(r"[\s,]+", _env("ALLOWED_HOST") or "")
                                    if host]
        if self["public-url"]:
            parts = urlsplit(self["public-url"])
            if parts.scheme not in ("http", "https") or not parts.netloc or \
                    parts.path not in ("", "/") or parts.query or parts.fragment:
                raise usage.UsageError("--public-url must be an http or https URL with no path, "
                                       f"like https://sentry.example:8443: {self['public-url']!r}")
            self["public-url"] = f"{parts.scheme}://{parts.netloc}"
        for name in ("org", "team", "project"):
            if not _SLUG.match(self[name] or ""):
                raise usage.UsageError(
                    f"--{name} must be a slug (lower-case letters, digits, '-' and '_'): "
                    f"{self[name]!r}")
        if not self["public-key"] or not self["public-key"].strip():
            raise usage.UsageError("--public-key must not be empty")
        try:
            self["max-events"] = int(self["max-events"])
        except (TypeError, ValueError):
            raise usage.UsageError(f"--max-events must be a whole number: {self['max-events']!r}")
        if self["max-events"] < 1:
            raise usage.UsageError("--max-events must be at least 1")
        if self["data-dir"]:
            self["data-dir"] = os.path.abspath(self["data-dir"])
            try:
                os.makedirs(self["data-dir"], exist_ok=True)
            except OSError as error:
                raise usage.UsageError(f"--data-dir {self['data-dir']}: {error.strerror}")
            if not os.access(self["data-dir"], os.W_OK):
                raise usage.UsageError(f"--data-dir {self['data-dir']}: not writable")
            try:
                check_data_dir(self["data-dir"])
            except DataDirError as error:
                raise usage.UsageError(f"--data-dir: {error.detail}")
        self["seed-data"] = {}
        if self["seed"]:
            try:
                self["seed-data"] = load_seed_file(self["seed"])
            except Invalid as error:
                raise usage.UsageError(f"--seed: {error.detail}")
        self._check_seed()
        self._check_listen()

    def _check_seed(self) -> None:
        try:
            self.seed().apply(Directory(0.0))
        except SentryFakeError as error:
            raise usage.UsageError(f"--seed: {error.detail}")

    def _check_listen(self) -> None:
        from twisted.internet import reactor

        for description in self["listen"]:
            try:
                server_endpoint(reactor, description)
            except TLSUnavailable as error:
                # Not a usage mistake but a missing install: one line, without the usage.
                raise SystemExit(f"sentry-fake: {error}")
            except (ValueError, TypeError, KeyError) as error:
                raise usage.UsageError(f"--listen {description!r}: {error}")
            port = _tcp_port(description)
            if port is not None and not 0 <= port <= 65535:
                raise usage.UsageError(f"--listen {description!r}: the port must be 0 to 65535")

    def seed(self) -> Seed:
        return Seed(organization=self["org"], team=self["team"], project=self["project"],
                    public_key=self["public-key"].strip(), extra=self["seed-data"])

    def settings(self) -> Settings:
        return Settings(
            listen=tuple(self["listen"]), auth_tokens=tuple(self["auth-token"]),
            seed=self.seed(),
            max_events=self["max-events"], strict_ingest=bool(self["strict-ingest"]),
            access_log=bool(self["access-log"]), freeze_heap=True, notify=True,
            data_dir=self["data-dir"] or None, durable=bool(self["fsync"]),
            public_url=self["public-url"] or None, allowed_hosts=tuple(self["allowed-host"]),
        )


def makeService(config: Options):
    from twisted.internet import reactor

    return build_service(reactor, config.settings())
