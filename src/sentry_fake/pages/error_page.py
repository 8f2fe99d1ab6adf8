"""
What a page says when there is nothing at its URL (or the URL asks for something invalid).
"""

from __future__ import annotations

from twisted.web.template import Tag, tags


def error_content(status: int, detail: str) -> Tag:
    title = {404: "Not found", 400: "Bad request"}.get(status, "Something went wrong")
    return tags.div(tags.div(tags.h1(title), class_="page-head"),
                    tags.div(tags.p(detail), tags.p(tags.a("Back to the start", href="/")),
                             class_="panel empty"), class_="error-page")
