"""
Reading the issue stream's URL into its filters, and walking the store's ordered issues
through Sentry's search (the same parser and evaluation the management API uses).  Pure apart
from reading C{request.args} and the store's read methods handed in.
"""

from __future__ import annotations

from itertools import islice
from typing import Any, Callable, Iterable, Iterator, Sequence

from ..errors import Invalid
from ..http import arg, arg_list
from ..management.pagination import parse_cursor
from ..pages.format import LEVELS
from ..pages.stream_page import SORTS, STATUSES, StreamFilters
from ..store import search
from ..store.models import Issue, Project

#: Sorts Sentry offers that a fake without trends or an inbox answers by recency.
_AS_RECENT = ("trends", "inbox", "recommended", "betterPriority", "priority")


def stream_filters(request: Any, projects: Sequence[Project]) -> StreamFilters:
    """
    @raise Invalid: a filter names something that is not there.
    """
    query = arg(request, "query")
    status = arg(request, "status") or ("unresolved" if query is None else "all")
    if status not in {value for value, _, _ in STATUSES}:
        raise Invalid(f"Invalid status: {status}")
    level = arg(request, "level") or ""
    if level and level not in LEVELS:
        raise Invalid(f"Invalid level: {level}")
    sort = arg(request, "sort") or "date"
    sort = "date" if sort in _AS_RECENT else sort
    if sort not in {value for value, _ in SORTS}:
        raise Invalid(f"Invalid sort: {sort}")
    known = {str(project.id) for project in projects}
    wanted = [value for value in arg_list(request, "project") if value not in ("", "-1")]
    if any(value not in known for value in wanted):
        raise Invalid("Invalid project")
    _, offset, _ = parse_cursor(arg(request, "cursor"))
    return StreamFilters(query=query or "", project_ids=tuple(sorted({int(v) for v in wanted})),
                         environment=arg(request, "environment") or "", level=level,
                         status=status, sort=sort, offset=offset)


def admitted(issue: Issue, filters: StreamFilters) -> bool:
    """
    Whether an issue passes the stream's choices (status, level, environment) before its
    query is evaluated.
    """
    if filters.environment and filters.environment not in issue.environments:
        return False
    return filters.admits(issue)


def matching(issues: Iterable[Issue], tree: Any, context: search.Context,
             filters: StreamFilters) -> Iterator[Issue]:
    """
    The issues that pass the stream's choices and match its parsed query.
    """
    for issue in issues:
        if admitted(issue, filters) and search.evaluate(tree, issue, context):
            yield issue


def page_of(found: Iterator[Issue], offset: int, size: int) -> tuple[list[Issue], bool]:
    """
    One page of a lazy walk, and whether another follows (reading one issue past it).
    """
    wanted = list(islice(found, offset, offset + size + 1))
    return wanted[:size], len(wanted) > size


#: The search keys an issue answers by itself (no event of it need be read).
_ISSUE_KEYS = frozenset({
    "is", "status", "environment", "release", "assigned", "assigned_or_suggested", "bookmarks",
    "subscribed", "firstSeen", "lastSeen", "age", "first_seen", "last_seen", "timesSeen",
    "times_seen", "level", "issue.category", "category", "issue.type", "issue.priority",
    "priority", "project", "firstRelease", "first_release", "error.unhandled", "error.handled",
    "message"})


def needs_facts(tree: Any) -> bool:
    """
    Whether a query reads what an issue's events say beyond their messages (a tag, a stack
    frame, a user field...), which a big issue gathers a slice at a time.
    """
    for found in search.filters(tree):
        if found.key == "has":
            if any(value not in ("environment", "release") for value in found.values):
                return True
        elif found.key not in _ISSUE_KEYS:
            return True
    return False


class SearchFacts:
    """
    What search reads of an issue's events: the messages from the events' own records (so a
    free-text search reads no event document), anything else from the store's issue facts.
    """

    def __init__(self, messages: Callable[[Issue], set[str]], facts: Callable[[Issue], Any],
                 issue: Issue) -> None:
        self._messages, self._facts, self._issue = messages, facts, issue

    def values_of(self, key: str) -> set[str]:
        if key == "message":
            return self._messages(self._issue)
        return self._facts(self._issue).values_of(key)


def search_context(now: float, me: Any, facts: Callable[[Issue], Any],
                   actor: Callable[[str | None], Any],
                   project_slug: Callable[[int], str]) -> search.Context:
    """
    What evaluating a query needs: who "me" is, the time, the facts of an issue's events,
    the names its assignee answers to and a project's slug.
    """

    def assignee(issue: Issue) -> frozenset[str]:
        found = actor(issue.assigned_to)
        if found is None:
            return frozenset()
        names = {issue.assigned_to, str(found.id)}
        if hasattr(found, "email"):
            names |= {found.email.lower(), found.username.lower(), found.name.lower()}
        else:
            names |= {f"#{found.slug}", found.slug}
        return frozenset(names)

    return search.Context(now=now, me=frozenset({f"user:{me.id}"}), facts=facts,
                          assignee=assignee, project_slug=project_slug)
