"""
Sentry's issue search syntax: a parser into a small expression tree, and its evaluation
against an issue and the facts of its events.  Pure: no HTTP, no store.

    is:unresolved level:[error, fatal] !has:release "some text" stack.filename:"app/*.py"
    (assigned:me OR assigned:none) timesSeen:>10 firstSeen:-24h tags[tenant]:a
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from fnmatch import fnmatchcase
from typing import Any, Callable, Iterable

import attrs

from ..errors import Invalid

_TOKEN = re.compile(r"""
    \s*(?:
      (?P<lparen>\()
    | (?P<rparen>\))
    | (?P<term>
        (?P<neg>!)?
        (?:(?P<key>\w+\([^()]*\)|[\w.\-]+(?:\[[^\]]+\])?):
           (?P<op>>=|<=|>|<|=)?
           (?P<value>"(?:[^"\\]|\\.)*"|\[[^\]]*\]|[^\s()]*)
        | (?P<text>"(?:[^"\\]|\\.)*"|[^\s()]+)
        )
      )
    )""", re.VERBOSE)
_RELATIVE = re.compile(r"^([+-])(\d+)([smhdw])\Z")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_SUBSTATUS_VALUES = {"new", "ongoing", "regressed", "escalating", "archived_until_escalating",
                     "archived_until_condition_met", "archived_forever"}


class SearchError(Invalid):
    def __init__(self, message: str) -> None:
        super().__init__(f"Your search query could not be parsed: {message}")


@attrs.frozen
class Filter:
    key: str
    op: str
    values: tuple[str, ...]
    negated: bool = False


@attrs.frozen
class Text:
    text: str
    negated: bool = False


@attrs.frozen
class And:
    parts: tuple[Any, ...]


@attrs.frozen
class Or:
    parts: tuple[Any, ...]


#: How deep parentheses may nest in a query (each level is a step of the parser and of the
#: evaluation).
MAX_NESTING = 100


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def _values(raw: str) -> tuple[str, ...]:
    if raw.startswith("[") and raw.endswith("]"):
        return tuple(_unquote(part.strip()) for part in raw[1:-1].split(",") if part.strip())
    return (_unquote(raw),)


def _tokens(query: str) -> list[Any]:
    tokens: list[Any] = []
    pos = 0
    query = query.strip()
    while pos < len(query):
        match = _TOKEN.match(query, pos)
        if match is None or match.end() == pos:
            raise SearchError(f"unexpected input at position {pos}: {query[pos:pos + 20]!r}")
        pos = match.end()
        if match.group("lparen"):
            tokens.append("(")
        elif match.group("rparen"):
            tokens.append(")")
        elif match.group("key"):
            tokens.append(Filter(key=match.group("key"), op=match.group("op") or "=",
                                 values=_values(match.group("value")),
                                 negated=bool(match.group("neg"))))
        else:
            text = match.group("text")
            if text in ("AND", "OR") and not match.group("neg"):
                tokens.append(text)
            else:
                tokens.append(Text(_unquote(text), negated=bool(match.group("neg"))))
    return tokens


def parse(query: str | None, aggregates: bool = False) -> Any:
    """
    Parse a search query into an expression (C{And}, C{Or}, C{Filter}, C{Text}).

    @param aggregates: whether filters on aggregates (C{count():>5}) may be in it, as in an
        events query (an issue search has none).
    @raise SearchError: the query is not valid search syntax.
    """
    tokens = _tokens(query or "")
    if not aggregates:
        for token in tokens:
            if isinstance(token, Filter) and token.key.endswith(")"):
                raise SearchError(f"{token.key} is not a filter of issues (filters on "
                                  "aggregates are for the events query)")
    depth = deepest = 0
    for token in tokens:
        if token == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif token == ")":
            depth -= 1
    if deepest > MAX_NESTING:
        raise SearchError(f"parentheses are nested more than {MAX_NESTING} deep")
    position = 0

    def expression() -> Any:
        nonlocal position
        parts = [conjunction()]
        while position < len(tokens) and tokens[position] == "OR":
            position += 1
            parts.append(conjunction())
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def conjunction() -> Any:
        nonlocal position
        parts = []
        while position < len(tokens) and tokens[position] not in ("OR", ")"):
            if tokens[position] == "AND":
                position += 1
                continue
            parts.append(atom())
        if not parts:
            raise SearchError("an OR or a parenthesis has nothing beside it")
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def atom() -> Any:
        nonlocal position
        token = tokens[position]
        position += 1
        if token == "(":
            inner = expression()
            if position >= len(tokens) or tokens[position] != ")":
                raise SearchError("missing closing parenthesis")
            position += 1
            return inner
        return token

    if not tokens:
        return And(())
    tree = expression()
    if position != len(tokens):
        raise SearchError("unbalanced parenthesis")
    return tree


def asks_for_feedback(tree: Any) -> bool:
    """
    Whether a query names Sentry's feedback issues (C{issue.category:feedback},
    C{issue.type:feedback}): only then are they listed, as Sentry leaves them out of its
    default issue search.
    """
    return any(f.key in ("issue.category", "category", "issue.type") and not f.negated
               and "feedback" in f.values for f in filters(tree))


def filters(tree: Any) -> Iterable[Filter]:
    """
    Every filter in an expression.
    """
    if isinstance(tree, (And, Or)):
        for part in tree.parts:
            yield from filters(part)
    elif isinstance(tree, Filter):
        yield tree


@attrs.frozen
class Context:
    """
    What evaluating a query needs beyond the issue: who "me" is, the time, and how to reach
    the slower facts of an issue's events and its assignee.
    """

    now: float
    me: frozenset[str]
    facts: Callable[[Any], Any]
    assignee: Callable[[Any], frozenset[str]]
    project_slug: Callable[[int], str]


def _time_bound(op: str, value: str, now: float) -> tuple[str, float]:
    relative = _RELATIVE.match(value)
    if relative:
        sign, amount, unit = relative.groups()
        moment = now - int(amount) * _UNITS[unit]
        # "-24h" means within the last 24 hours; "+7d" means older than 7 days.
        return (">=" if sign == "-" else "<="), moment
    text = value.replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise SearchError(f"invalid date {value!r}")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return (op if op != "=" else ">="), parsed.timestamp()


def _compare(op: str, left: float, right: float) -> bool:
    return {"=": left == right, ">": left > right, ">=": left >= right, "<": left < right,
            "<=": left <= right}[op]


def _match_text(pattern: str, candidates: Iterable[str | None]) -> bool:
    pattern = pattern.lower()
    wildcard = "*" in pattern
    for candidate in candidates:
        if candidate is None:
            continue
        candidate = str(candidate).lower()
        if wildcard and fnmatchcase(candidate, pattern):
            return True
        if not wildcard and candidate == pattern:
            return True
    return False


def _issue_time(issue: Any, key: str) -> float:
    return issue.first_seen if key in ("firstSeen", "age", "first_seen") else issue.last_seen


def _evaluate_filter(f: Filter, issue: Any, ctx: Context) -> bool:
    key, values = f.key, f.values
    if key in ("is", "status"):
        return any(_is(issue, value, ctx) for value in values)
    if key == "has":
        return any(bool(issue.environments if value == "environment" else
                        issue.releases if value == "release" else
                        ctx.facts(issue).values_of(value)) for value in values)
    if key == "environment":
        return any(_match_text(value, issue.environments) for value in values)
    if key == "release":
        return any(_match_text(value, issue.releases) for value in values)
    if key in ("assigned", "assigned_or_suggested"):
        assignee = ctx.assignee(issue)
        for value in values:
            if value == "none" and not assignee:
                return True
            if value == "me" and assignee & ctx.me:
                return True
            if value.lower() in assignee:
                return True
        return False
    if key in ("bookmarks",):
        return issue.is_bookmarked and "me" in values
    if key in ("subscribed",):
        return False
    if key in ("firstSeen", "lastSeen", "age", "first_seen", "last_seen"):
        op, moment = _time_bound(f.op, values[0], ctx.now)
        return _compare(op, _issue_time(issue, key), moment)
    if key in ("timesSeen", "times_seen"):
        try:
            return _compare(f.op, issue.times_seen, float(values[0]))
        except ValueError:
            raise SearchError(f"invalid number {values[0]!r}")
    if key in ("level",):
        return issue.level in values
    if key in ("issue.category", "category"):
        return _category(issue) in values
    if key in ("issue.type",):
        return _category(issue) in values or ("error" in values and _category(issue) != "feedback")
    if key in ("issue.priority", "priority"):
        return _priority(issue) in values
    if key in ("project",):
        return ctx.project_slug(issue.project_id) in values
    if key in ("title", "message"):
        return any(_contains(value, [issue.title] + list(ctx.facts(issue).values_of(key)))
                   for value in values)
    if key in ("firstRelease", "first_release"):
        return issue.first_release in values or ("latest" in values and issue.first_release)
    if key in ("error.unhandled", "error.handled"):
        wanted = values[0].lower() in ("true", "1", "yes")
        unhandled = issue.is_unhandled
        return unhandled == wanted if key == "error.unhandled" else (not unhandled) == wanted
    facts = ctx.facts(issue)
    candidates = facts.values_of(key)
    return any(_match_text(value, candidates) for value in values)


def _contains(needle: str, haystack: Iterable[str | None]) -> bool:
    if "*" in needle:
        return _match_text(needle, haystack)
    needle = needle.lower()
    return any(needle in str(item).lower() for item in haystack if item)


def _category(issue: Any) -> str:
    return "error" if issue.type in ("error", "default", "csp") else issue.type


def _priority(issue: Any) -> str:
    return "high" if issue.level in ("error", "fatal") else "medium"


def _is(issue: Any, value: str, ctx: Context) -> bool:
    if value in ("unresolved", "resolved"):
        return issue.status == value
    if value in ("ignored", "archived", "muted"):
        return issue.status == "ignored"
    if value in _SUBSTATUS_VALUES:
        return issue.substatus == value
    if value == "assigned":
        return bool(ctx.assignee(issue))
    if value == "unassigned":
        return not ctx.assignee(issue)
    if value == "for_review":
        return issue.for_review
    if value == "unlinked":
        return True
    if value == "linked":
        return False
    if value == "bookmarked":
        return issue.is_bookmarked
    raise SearchError(f"invalid value {value!r} for 'is:'")


def evaluate(tree: Any, issue: Any, ctx: Context) -> bool:
    """
    Whether an issue matches a parsed query.
    """
    if isinstance(tree, And):
        return all(evaluate(part, issue, ctx) for part in tree.parts)
    if isinstance(tree, Or):
        return any(evaluate(part, issue, ctx) for part in tree.parts)
    if isinstance(tree, Text):
        hit = _contains(tree.text, [issue.title, issue.culprit]
                        + list(ctx.facts(issue).values_of("message")))
        return hit != tree.negated
    hit = _evaluate_filter(tree, issue, ctx)
    return hit != tree.negated
