"""
How an SDK says which client key it uses: the C{X-Sentry-Auth} header, an C{Authorization}
header (C{Sentry ...} or C{Basic}), C{sentry_*} query parameters, or the envelope's C{dsn}.

Pure functions over header values and query arguments; exactly one request source is allowed,
as Relay allows.
"""

from __future__ import annotations

import base64
import binascii
from functools import lru_cache
from typing import Mapping, Sequence
from urllib.parse import urlsplit

import attrs

from ..errors import Invalid, Unauthorized

PROTOCOL_VERSION = 7


@attrs.frozen
class Auth:
    public_key: str
    secret_key: str | None = None
    version: int | None = None
    client: str | None = None


def parse_sentry_auth(value: str) -> dict[str, str]:
    """
    Split C{Sentry sentry_key=..., sentry_version=7} into its pairs (the prefix is optional and
    case-insensitive, the C{sentry_} prefix of each key too).
    """
    text = value.strip()
    if text[:7].lower() == "sentry ":
        text = text[7:]
    pairs: dict[str, str] = {}
    for part in text.split(","):
        name, sep, val = part.strip().partition("=")
        if not sep:
            continue
        name = name.strip().lower()
        if name.startswith("sentry_"):
            name = name[7:]
        pairs[name] = val.strip().strip('"')
    return pairs


def _from_pairs(pairs: Mapping[str, str], source: str) -> Auth:
    key = pairs.get("key")
    if not key:
        raise Unauthorized(f"bad {source}", causes=["missing sentry_key"])
    version = pairs.get("version")
    parsed_version = None
    if version:
        try:
            parsed_version = int(float(version))
        except (ValueError, OverflowError):
            raise Invalid("bad sentry_version", causes=[f"invalid protocol version {version!r}"])
        if parsed_version > PROTOCOL_VERSION:
            raise Invalid(f"unsupported protocol version ({parsed_version})")
    return Auth(public_key=key, secret_key=pairs.get("secret") or None, version=parsed_version,
                client=pairs.get("client"))


def _from_basic(value: str) -> Auth:
    try:
        decoded = base64.b64decode(value.strip()[6:], validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise Unauthorized("bad authorization header", causes=["invalid basic credentials"])
    key, _, secret = decoded.partition(":")
    if not key:
        raise Unauthorized("bad authorization header", causes=["missing public key"])
    return Auth(public_key=key, secret_key=secret or None)


@lru_cache(maxsize=256)
def _header_auth(value: str) -> Auth:
    # An SDK sends the same X-Sentry-Auth value with every request: read it once.
    return _from_pairs(parse_sentry_auth(value), "x-sentry-auth header")


def request_auth(x_sentry_auth: str | None, authorization: str | None,
                 query: Mapping[str, Sequence[str]]) -> Auth | None:
    """
    The auth a request carries in its headers or query string, or C{None} if it carries none.

    @raise Unauthorized: malformed credentials, or more than one source.
    @raise Invalid: a protocol version this server does not speak.
    """
    found: list[Auth] = []
    if x_sentry_auth:
        found.append(_header_auth(x_sentry_auth))
    if authorization:
        lowered = authorization.strip().lower()
        if lowered.startswith("sentry "):
            found.append(_from_pairs(parse_sentry_auth(authorization), "authorization header"))
        elif lowered.startswith("basic "):
            found.append(_from_basic(authorization.strip()))
        elif lowered.startswith("dsn "):
            found.append(auth_from_dsn(authorization.strip()[4:]))
    query_pairs = {name[7:]: values[0] for name, values in query.items()
                   if name.startswith("sentry_") and values}
    if query_pairs:
        found.append(_from_pairs(query_pairs, "query string"))
    if len(found) > 1:
        raise Unauthorized("bad authentication", causes=["multiple authorization payloads detected"])
    return found[0] if found else None


def auth_from_dsn(dsn: str) -> Auth:
    """
    The client key in a DSN (C{scheme://public[:secret]@host/project_id}).

    @raise Unauthorized: the DSN has no public key.
    """
    try:
        parts = urlsplit(dsn.strip())
    except ValueError:
        raise Unauthorized("bad dsn", causes=["the DSN cannot be parsed"])
    if not parts.username:
        raise Unauthorized("bad dsn", causes=["the DSN has no public key"])
    return Auth(public_key=parts.username, secret_key=parts.password or None)


def dsn_project_id(dsn: str) -> int | None:
    """
    The project id a DSN names (its last path segment), if it is a number.
    """
    try:
        last = urlsplit(dsn.strip()).path.rstrip("/").rsplit("/", 1)[-1]
    except ValueError:
        return None
    return int(last) if last.isdigit() else None
