"""
Issues kept in sort order: lists walk them lazily instead of sorting all of them.
"""

from itertools import islice

from twisted.internet.task import Clock

from sentry_fake.store.service import StoreService
from records import ingest
from sentry_fake.store.records import IssuesDeleted


def make_store():
    clock = Clock()
    clock.advance(1_795_000_000)
    return clock, StoreService(clock)


def send(store, clock, fingerprint, project_id=1, user=None):
    clock.advance(1)
    payload = {"message": fingerprint, "fingerprint": [fingerprint]}
    if user:
        payload["user"] = {"id": user}
    return ingest(store, payload, project_id, b"{}")


def titles(store, sort, project_ids=(1,)):
    projects = [store.directory.project_by_id(pid) for pid in project_ids]
    return [issue.title for issue in store.issues_in_order(projects, sort)]


def test_every_order_matches_a_full_sort():
    clock, store = make_store()
    for name, user in [("a", "u1"), ("b", "u1"), ("a", "u2"), ("c", None), ("b", "u1"),
                       ("a", "u3"), ("d", "u9")]:
        send(store, clock, name, user=user)
    assert titles(store, "date") == ["d", "a", "b", "c"]
    assert titles(store, "new") == ["d", "c", "b", "a"]
    assert titles(store, "freq") == ["a", "b", "d", "c"]
    assert titles(store, "user") == ["a", "d", "b", "c"]
    for sort, key in [("date", lambda i: i.last_seen), ("new", lambda i: i.first_seen),
                      ("freq", lambda i: i.times_seen), ("user", lambda i: len(i.users))]:
        walked = [key(issue) for issue in store.issues_in_order(store.directory.projects_of(), sort)]
        assert walked == sorted(walked, reverse=True)


def test_projects_merge_and_deletes_leave_the_orders():
    clock, store = make_store()
    send(store, clock, "one", project_id=1)
    send(store, clock, "two", project_id=2)
    send(store, clock, "three", project_id=1)
    assert titles(store, "date", (1, 2)) == ["three", "two", "one"]
    assert titles(store, "new", (2, 1)) == ["three", "two", "one"]
    (one,) = [i for i in store.issues(store.directory.projects_of()) if i.title == "one"]
    store.delete_issues(IssuesDeleted(time=store.now(), issue_ids=(one.id,)))
    assert titles(store, "date", (1, 2)) == ["three", "two"]
    # Equal counts: the projects' walks merge in the order the projects were given.
    assert titles(store, "freq", (1, 2)) == ["three", "two"]
    assert titles(store, "freq", (2, 1)) == ["two", "three"]


def test_walks_are_lazy():
    clock, store = make_store()
    for n in range(1000):
        send(store, clock, f"issue {n}")
    first = list(islice(store.issues_in_order(store.directory.projects_of(), "date"), 3))
    assert [issue.title for issue in first] == ["issue 999", "issue 998", "issue 997"]


def send_at(store, clock, fingerprint, happened):
    clock.advance(1)
    return ingest(store, {"message": fingerprint, "fingerprint": [fingerprint],
                          "timestamp": happened}, 1, b"{}")


def test_first_and_last_seen_are_when_the_events_happened():
    clock, store = make_store()
    now = clock.seconds()
    send_at(store, clock, "late report", now - 600)  # sent ten minutes after it happened
    send_at(store, clock, "fresh", now - 5)
    send_at(store, clock, "late report", now - 900)  # an even older event arrives last
    issues = {issue.title: issue for issue in store.issues(store.directory.projects_of())}
    assert issues["late report"].first_seen == now - 900
    assert issues["late report"].last_seen == now - 600
    # Sorted by when their events happened, not by when they arrived.
    assert titles(store, "date") == ["fresh", "late report"]
    assert titles(store, "new") == ["fresh", "late report"]
    send_at(store, clock, "late report", now + 30)
    assert titles(store, "date") == ["late report", "fresh"]
    assert titles(store, "new") == ["fresh", "late report"]
