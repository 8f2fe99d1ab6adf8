"""
Serving over TLS, through Twisted's own C{ssl:} server endpoint:

    twistd -n sentry-fake --listen ssl:4773:interface=127.0.0.1:privateKey=key.pem:certKey=cert.pem

It needs pyOpenSSL, which sentry-fake does not depend on: the C{sentry-fake[tls]} extra
installs what Twisted's own C{tls} extra does.  A request that arrived over TLS is answered
with C{https} in every URL (L{sentry_fake.http.base_url} asks the connection); what is said
before any request arrives (the line logged once a port listens, the C{url} and C{dsn} of an
embedded server) takes its scheme from the endpoint description.
"""

from __future__ import annotations

from typing import Any

from twisted.internet.endpoints import serverFromString
from twisted.internet.interfaces import IStreamServerEndpoint

INSTALL = "pip install 'sentry-fake[tls]'"


class TLSUnavailable(Exception):
    """
    An endpoint serves TLS, and pyOpenSSL (or what it needs) is not installed.
    """


def is_tls(description: str) -> bool:
    """
    Whether a Twisted endpoint description serves TLS (C{ssl:...}).
    """
    return description.partition(":")[0].strip().lower() == "ssl"


def scheme_of(description: str) -> str:
    """
    The URL scheme clients use to reach an endpoint description: C{https} or C{http}.
    """
    return "https" if is_tls(description) else "http"


def server_endpoint(reactor: Any, description: str) -> IStreamServerEndpoint:
    """
    C{serverFromString}, with what can go wrong with a C{ssl:} description said plainly.

    @raise TLSUnavailable: the description serves TLS and pyOpenSSL cannot be imported.
    @raise ValueError: the description is malformed, or its key or certificate cannot be read
        or used.
    """
    if not is_tls(description):
        return serverFromString(reactor, description)
    try:
        return serverFromString(reactor, description)
    except ImportError as error:
        raise TLSUnavailable(
            f"--listen {description!r} serves TLS, which needs pyOpenSSL "
            f"({error.name or 'OpenSSL'} cannot be imported): {INSTALL}") from None
    except OSError as error:
        raise ValueError(f"cannot read {error.filename}: {error.strerror}") from None
    except (ValueError, TypeError, KeyError):
        raise
    except Exception as error:
        # pyOpenSSL's own errors (not PEM, a key that is not the certificate's, an unknown
        # sslmethod): the files are there but do not make a server certificate.
        raise ValueError("privateKey and certKey must be PEM files of a private key and its "
                         f"certificate ({error or type(error).__name__})") from None
