"""
The issue stream (C{/organizations/{org}/issues/}): the search box with Sentry's query syntax,
the project, environment, level and status filters, the sort, and a page of issues.
"""

from __future__ import annotations

from typing import Any, Sequence

import attrs
from twisted.web.template import Tag, tags

from . import links
from .format import LEVELS, select_field
from .issue_rows import issue_table, pager

#: The status filter: its value, its label and the search term it adds.
STATUSES = (("unresolved", "Unresolved", "is:unresolved"),
            ("for_review", "For review", "is:for_review"),
            ("resolved", "Resolved", "is:resolved"), ("ignored", "Archived", "is:ignored"),
            ("all", "All statuses", ""))
SORTS = (("date", "Last seen"), ("new", "First seen"), ("freq", "Events"), ("user", "Users"))


@attrs.frozen
class StreamFilters:
    """
    What the stream shows, read from its URL.  C{query} is what the person typed; the level
    and status choices add their own terms to it (L{search} is the whole query, as shown).
    """

    query: str = ""
    project_ids: tuple[int, ...] = ()
    environment: str = ""
    level: str = ""
    status: str = "unresolved"
    sort: str = "date"
    offset: int = 0

    @property
    def search(self) -> str:
        """
        The whole query the store's search evaluates.
        """
        terms = [self.query.strip()]
        terms += [term for value, _, term in STATUSES if value == self.status]
        if self.level:
            terms.append(f"level:{self.level}")
        return " ".join(term for term in terms if term)

    def admits(self, issue: Any) -> bool:
        """
        Whether an issue passes the status and level choices: what their search terms say,
        checked on the issue itself (a walk over many issues judges these first, and fast).
        """
        if self.level and issue.level != self.level:
            return False
        if self.status == "for_review":
            return issue.for_review
        return self.status == "all" or issue.status == self.status

    def params(self) -> list[tuple[str, str]]:
        """
        The URL parameters that give these filters again (the page's links and its live feed).
        """
        found = [("query", self.query)]
        found += [("project", str(pid)) for pid in self.project_ids]
        found += [("environment", self.environment), ("level", self.level),
                  ("status", self.status), ("sort", self.sort)]
        return found


def filter_form(org: str, filters: StreamFilters, projects: Sequence[Any],
                environments: Sequence[str]) -> Tag:
    project_choice = str(filters.project_ids[0]) if len(filters.project_ids) == 1 else ""
    return tags.form(
        tags.label(tags.span("Search", class_="label"),
                   tags.input(type="search", name="query", value=filters.query,
                              placeholder="is:unresolved level:error !has:release "
                                          "\"some text\" user.email:*@example.com",
                              autocomplete="off", spellcheck="false",
                              **{"data-search": ""}),
                   class_="field search"),
        select_field("project", "Project", [("", "All projects")]
                + [(str(project.id), project.slug) for project in projects], project_choice),
        select_field("environment", "Environment", [("", "All environments")]
                + [(name, name) for name in environments], filters.environment),
        select_field("level", "Level", [("", "Any level")] + [(name, name) for name in LEVELS],
                filters.level),
        select_field("status", "Status", [(value, text) for value, text, _ in STATUSES],
                filters.status),
        select_field("sort", "Sort by", SORTS, filters.sort),
        tags.button("Search", type="submit", class_="button primary"),
        method="get", action=links.issues_url(org), class_="filters")


def stream_content(org: str, filters: StreamFilters, projects: Sequence[Any],
                   environments: Sequence[str], rows: list[Tag], has_next: bool,
                   error: str | None, page_size: int) -> Tag:
    """
    The page's content: the filters, any search error, the issues and the pager.
    """
    path = links.issues_url(org)
    params = filters.params()
    previous = (links.with_cursor(path, params, max(0, filters.offset - page_size))
                if filters.offset else None)
    following = links.with_cursor(path, params, filters.offset + page_size) if has_next else None
    first = filters.offset + 1
    shown = (f"{first}–{filters.offset + len(rows)}" if rows else "none")
    live = filters.offset == 0 and filters.sort in ("date", "new")
    empty = ("No issues match this search." if filters.search
             else "No issues yet: point an SDK at the DSN on the home page.")
    return tags.div(
        tags.div(tags.h1("Issues"), tags.span(tags.code(filters.search or "every issue"),
                                              class_="effective"), class_="page-head"),
        filter_form(org, filters, projects, environments),
        tags.div(error, class_="alert error", role="alert") if error else "",
        tags.div(tags.span("", class_="fresh-count"), " new or changed issues — ",
                 tags.a("show them", href=links.with_cursor(path, params, 0)),
                 class_="alert notice", hidden="hidden", **{"data-notice": ""}),
        tags.div(issue_table(rows, live, empty), class_="panel flush"),
        pager(previous, following, shown),
        class_="stream")
