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
