"""
What the traces and logs lists show (read from their URLs by the routes): the search (the
events API's query syntax over spans or logs), a project, for logs a severity, and the page.
The severity choice adds its own term to the search, as the issue stream's level does.
"""

from __future__ import annotations

from typing import Any, Sequence

import attrs
from twisted.web.template import Tag, tags

from . import links
from .format import select_field
from .issue_rows import pager


#: The severities a log may have, most severe first.
SEVERITIES = ("fatal", "error", "warn", "info", "debug", "trace")


@attrs.frozen
class ExploreFilters:
    query: str = ""
    project_id: int | None = None
    severity: str = ""
    offset: int = 0

    @property
    def search(self) -> str:
        """
        The whole query the events query engine evaluates.
        """
        terms = [self.query.strip()]
        if self.severity:
            terms.append(f"severity:{self.severity}")
        return " ".join(term for term in terms if term)

    def params(self) -> list[tuple[str, str]]:
        return [("query", self.query),
                ("project", str(self.project_id) if self.project_id is not None else ""),
                ("severity", self.severity)]


def filter_form(action: str, filters: ExploreFilters, projects: Sequence[Any],
                placeholder: str, with_severity: bool) -> Tag:
    """
    The search box, the project (and severity) choices and the search button.
    """
    fields: list[Any] = [
        tags.label(tags.span("Search", class_="label"),
                   tags.input(type="search", name="query", value=filters.query,
                              placeholder=placeholder, autocomplete="off",
                              spellcheck="false", **{"data-search": ""}),
                   class_="field search"),
        select_field("project", "Project", [("", "All projects")]
                + [(str(project.id), project.slug) for project in projects],
                str(filters.project_id) if filters.project_id is not None else ""),
    ]
    if with_severity:
        fields.append(select_field("severity", "Severity", [("", "Any severity")]
                              + [(name, name) for name in SEVERITIES], filters.severity))
    fields.append(tags.button("Search", type="submit", class_="button primary"))
    return tags.form(*fields, method="get", action=action, class_="filters")


def explore_pager(path: str, filters: ExploreFilters, shown: int, has_next: bool,
                  page_size: int) -> Tag:
    """
    The links to a traces or logs list's previous and next pages, and which rows it shows.
    """
    params = filters.params()
    previous = (links.with_cursor(path, params, max(0, filters.offset - page_size))
                if filters.offset else None)
    following = links.with_cursor(path, params, filters.offset + page_size) if has_next else None
    text = f"{filters.offset + 1}–{filters.offset + shown}" if shown else "none"
    return pager(previous, following, text)
