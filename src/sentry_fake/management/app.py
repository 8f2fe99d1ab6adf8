"""
The one Klein application every management route module adds its routes to, and what those
routes share: Bearer authentication, the request's base URL and its query parameters.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

from klein import Klein

from ..errors import Unauthorized
from ..http import add_error_handling

app = Klein()
add_error_handling(app)


def bearer_token(request: Any) -> str | None:
    header = request.getHeader(b"authorization")
    if not header:
        return None
    scheme, _, token = header.decode("latin-1").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def authenticated(route: Callable[..., Any]) -> Callable[..., Any]:
    """
    Require a Bearer token: any non-empty one, or one of C{self.tokens} when that is not empty.
    Stack it under C{@app.route}.
    """

    @functools.wraps(route)
    def check(self: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        header = request.getHeader(b"authorization")
        if not header:
            raise Unauthorized("Authentication credentials were not provided.")
        token = bearer_token(request)
        if token is None or (self.tokens and token not in self.tokens):
            raise Unauthorized("Invalid token")
        return route(self, request, *args, **kwargs)

    return check


def base_url(request: Any) -> str:
    """
    The scheme, host and port the client used to reach us, for permalinks and DSNs.
    """
    host = request.getHeader(b"host")
    scheme = "https" if request.isSecure() else "http"
    if host:
        return f"{scheme}://{host.decode('latin-1')}"
    address = request.getHost()
    return f"{scheme}://{address.host}:{address.port}"


def arg(request: Any, name: str, default: str | None = None) -> str | None:
    values = request.args.get(name.encode("ascii"))
    if not values:
        return default
    return values[0].decode("utf-8", "replace")


def arg_list(request: Any, name: str) -> list[str]:
    return [value.decode("utf-8", "replace") for value in request.args.get(name.encode("ascii"), [])]
