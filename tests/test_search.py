"""
Sentry's issue search syntax, parsed and evaluated against issues without a store.
"""

import pytest

from sentry_fake.errors import Invalid
from sentry_fake.store import search
from sentry_fake.store.models import Issue

NOW = 1_795_000_000.0


class Facts:
    def __init__(self, **values):
        self.values = {key.replace("__", "."): set(v) for key, v in values.items()}

    def values_of(self, key):
        if key.startswith("tags[") and key.endswith("]"):
            key = key[5:-1]
        return self.values.get(key, set())


def issue(**overrides):
    fields = dict(id=1, project_id=1, short_id=1, hashes=["h"], type="error",
                  title="ZeroDivisionError: division by zero", culprit="app in divide",
                  metadata={}, level="error", logger=None, platform="python",
                  first_seen=NOW - 3600, last_seen=NOW - 60, times_seen=5)
    fields.update(overrides)
    return Issue(**fields)


def context(facts=None, assignee=frozenset()):
    return search.Context(now=NOW, me=frozenset({"user:1"}), facts=lambda i: facts or Facts(),
                          assignee=lambda i: assignee, project_slug=lambda pid: "web")


def matches(query, subject=None, **ctx):
    return search.evaluate(search.parse(query), subject or issue(), context(**ctx))


def test_parse_shapes():
    tree = search.parse('is:unresolved !level:[info, debug] "two words" stack.filename:"a b/*.py"')
    assert tree == search.And((
        search.Filter("is", "=", ("unresolved",)),
        search.Filter("level", "=", ("info", "debug"), negated=True),
        search.Text("two words"),
        search.Filter("stack.filename", "=", ("a b/*.py",)),
    ))
    assert isinstance(search.parse("a OR b"), search.Or)
    assert search.parse("(level:error OR level:fatal) timesSeen:>=3").parts[1] == \
        search.Filter("timesSeen", ">=", ("3",))
    assert search.parse("") == search.And(())


@pytest.mark.parametrize("query", ["(level:error", "level:error)", "OR", "is:bogus", "timesSeen:>x",
                                   "firstSeen:>not-a-date"])
def test_unparsable_queries(query):
    with pytest.raises(Invalid) as raised:
        matches(query)
    assert raised.value.detail.startswith("Your search query could not be parsed")


@pytest.mark.parametrize("query, expected", [
    ("", True),
    ("is:unresolved", True),
    ("is:resolved", False),
    ("!is:resolved", True),
    ("is:new", True),
    ("level:error", True),
    ("level:[warning, fatal]", False),
    ("!level:error", False),
    ("division", True),
    ("DIVISION", True),
    ("!division", False),
    ('"by zero"', True),
    ("divide", True),
    ("nothing-like-this", False),
    ("timesSeen:>4", True),
    ("times_seen:>5", False),
    ("firstSeen:-2h", True),
    ("firstSeen:-30m", False),
    ("lastSeen:+1d", False),
    ("age:-24h", True),
    ("issue.category:error", True),
    ("project:web", True),
    ("level:info OR is:unresolved", True),
    ("(level:info OR level:warning) is:unresolved", False),
    ("is:unassigned", True),
    ("assigned:none", True),
    ("assigned:me", False),
    ("bookmarks:me", False),
])
def test_issue_fields(query, expected):
    assert matches(query) is expected


def test_event_facts():
    facts = Facts(stack__filename=["app/views.py"], error__type=["ZeroDivisionError"],
                  tenant=["a"], user=["yes"], user__email=["u@example.com"])
    # Releases and environments are kept on the issue itself, so they need no facts.
    seen = issue(releases={"1.0"}, environments={"production"})
    assert matches("release:1.0 environment:production", seen)
    assert matches("release:1.* has:environment", seen)
    assert not matches("release:2.0", seen)
    assert matches("stack.filename:*views*", facts=facts)
    assert matches('stack.filename:"app/*.py"', facts=facts)
    assert not matches("stack.filename:views.py", facts=facts)
    assert matches("error.type:ZeroDivisionError tags[tenant]:a tenant:a", facts=facts)
    assert matches("has:user !has:release !has:dist", facts=facts)
    assert matches("has:release", seen)
    assert matches("user.email:u@example.com", facts=facts)
    assert not matches("has:release", facts=Facts())


def test_assignment_and_status_forms():
    assert matches("assigned:me is:assigned", assignee=frozenset({"user:1", "1"}))
    assert matches("assigned:[me, none]")
    assert matches("assigned:#backend", assignee=frozenset({"team:2", "#backend"}))
    ignored = issue(status="ignored", substatus="archived_until_escalating")
    assert matches("is:ignored", ignored) and matches("is:archived", ignored)
    assert not matches("is:unresolved", ignored)
    assert matches("bookmarks:me", issue(is_bookmarked=True))


def test_an_issue_search_has_no_filters_on_aggregates():
    with pytest.raises(search.SearchError, match="count\\(\\) is not a filter of issues"):
        search.parse("count():>5 is:unresolved")
    tree = search.parse("count():>5 level:error", aggregates=True)
    assert [f.key for f in search.filters(tree)] == ["count()", "level"]
