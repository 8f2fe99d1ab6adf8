"""
The frame every page shares: the sidebar with the organization's pages, the breadcrumbs, the
live indicator, and the links to the style sheet and script.

The sidebar is L{NAV}, one entry a page family.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import attrs
from twisted.python.filepath import FilePath
from twisted.web.template import Element, Tag, XMLFile, renderer, tags

from .. import __version__
from . import assets, links

_TEMPLATES = FilePath(__file__).sibling("templates")


@attrs.frozen
class NavEntry:
    key: str
    label: str
    url: Callable[[str], str]


#: The sidebar, in order: each entry is a page family of the organization.
NAV: tuple[NavEntry, ...] = (
    NavEntry("issues", "Issues", lambda org: links.issues_url(org)),
    NavEntry("traces", "Traces", lambda org: links.traces_url(org)),
    NavEntry("logs", "Logs", lambda org: links.logs_url(org)),
    NavEntry("releases", "Releases", links.releases_url),
    NavEntry("crons", "Crons", links.crons_url),
    NavEntry("feedback", "User Feedback", links.feedback_url),
)


@attrs.frozen
class Frame:
    """
    What the frame of one page shows around its content.

    C{live} is the query string of the live feed the page listens to (empty: none);
    C{organizations} are the slugs to switch between.
    """

    title: str
    org: str
    active: str
    crumbs: Sequence[tuple[str, str | None]]
    content: Any
    live: str = ""
    organizations: Sequence[str] = ()


class Layout(Element):
    loader = XMLFile(_TEMPLATES.child("layout.xml"))

    def __init__(self, frame: Frame) -> None:
        super().__init__()
        self.frame = frame

    @renderer
    def page(self, request: Any, tag: Tag) -> Tag:
        frame = self.frame
        return tag.fillSlots(
            title=frame.title, css=assets.url("pages.css"), js=assets.url("pages.js"),
            icon=assets.url("icon.svg"), live=frame.live, content=frame.content,
            version=f"v{__version__}")

    @renderer
    def nav(self, request: Any, tag: Tag) -> Tag:
        for entry in NAV:
            current = entry.key == self.frame.active
            tag(tags.a(entry.label, href=entry.url(self.frame.org),
                       class_=f"nav-{entry.key}" + (" active" if current else ""),
                       **({"aria-current": "page"} if current else {})))
        return tag

    @renderer
    def organizations(self, request: Any, tag: Tag) -> Tag | str:
        slugs = list(self.frame.organizations)
        if len(slugs) < 2:
            return tags.div(self.frame.org, class_="org")
        return tags.div(
            *[tags.a(slug, href=links.issues_url(slug),
                     class_="org" + (" active" if slug == self.frame.org else ""))
              for slug in slugs], class_="orgs")

    @renderer
    def crumbs(self, request: Any, tag: Tag) -> Tag:
        last = len(self.frame.crumbs) - 1
        for index, (label, url) in enumerate(self.frame.crumbs):
            if url and index != last:
                tag(tags.a(label, href=url))
            else:
                tag(tags.span(label, class_="here"))
        return tag
