"""
What every page route shares: answering HTML (with a content security policy that lets no
inline script run), finding the organization a URL names, wrapping content in the layout, and
answering a missing or invalid thing with an HTML page rather than JSON.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any, Callable, Sequence

from ..errors import Invalid, NotFound
from ..interfaces import IDirectory
from ..pages.error_page import error_content
from ..pages.layout import Frame, Layout
from ..pages.render import document
from ..store.models import Organization

HTML = b"text/html; charset=utf-8"
#: Scripts and styles only from this server (inline style attributes allowed, for bars).
CSP = (b"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       b"img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; "
       b"frame-ancestors 'none'")


_UNNAMED = NotFound().detail


def html_response(request: Any, body: bytes, status: int = 200) -> bytes:
    request.setResponseCode(status)
    request.setHeader(b"content-type", HTML)
    request.setHeader(b"content-security-policy", CSP)
    request.setHeader(b"x-content-type-options", b"nosniff")
    request.setHeader(b"referrer-policy", b"same-origin")
    request.setHeader(b"cache-control", b"no-store")
    return body


def _error_page(self: Any, request: Any, error: Exception) -> bytes:
    if isinstance(error, NotFound):
        detail = error.detail if error.detail != _UNNAMED else "There is nothing here."
        return self.error_page(request, 404, detail)
    assert isinstance(error, Invalid)
    return self.error_page(request, 400, error.detail)


def page(route: Callable[..., Any]) -> Callable[..., Any]:
    """
    Answer a page route's L{NotFound} and L{Invalid} with an HTML page of that status (the
    route may be C{async}).  Stack it under C{@app.route}.
    """
    if inspect.iscoroutinefunction(route):
        @functools.wraps(route)
        async def answer_later(self: Any, request: Any, *args: Any, **kwargs: Any) -> bytes:
            try:
                return await route(self, request, *args, **kwargs)
            except (NotFound, Invalid) as error:
                return _error_page(self, request, error)

        return answer_later

    @functools.wraps(route)
    def answer(self: Any, request: Any, *args: Any, **kwargs: Any) -> bytes:
        try:
            return route(self, request, *args, **kwargs)
        except (NotFound, Invalid) as error:
            return _error_page(self, request, error)

    return answer


class PageBase:
    """
    The helpers of the page route families.
    """
    #: The roles of the store these routes use (checked by tests/test_interfaces.py).
    roles = (IDirectory,)

    store: Any
    clock: Any

    def organization_named(self, slug: str) -> Organization:
        """
        @raise NotFound: no organization has that slug.
        """
        return self.store.directory.organization(slug)

    def respond(self, request: Any, title: str, org: str, active: str,
                crumbs: Sequence[tuple[str, str | None]], content: Any, live: str = "",
                status: int = 200) -> bytes:
        """
        Answer a whole page: C{content} in the layout.
        """
        slugs = [organization.slug for organization in self.store.directory.organizations()]
        frame = Frame(title=title, org=org, active=active, crumbs=crumbs, content=content,
                      live=live, organizations=slugs)
        return html_response(request, document(Layout(frame)), status)

    def error_page(self, request: Any, status: int, detail: str) -> bytes:
        org = self.store.seed.organization
        return self.respond(request, "Not found" if status == 404 else "Error", org, "",
                            [("sentry-fake", "/"), ("Error", None)],
                            error_content(status, detail), status=status)
