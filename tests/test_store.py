"""
The store: its bounded log, seeding, and eviction beyond max_events.
"""

import json

import pytest
from twisted.internet.task import Clock

from sentry_fake.errors import Conflict, NotFound
from sentry_fake.store.log import Log
from sentry_fake.store.seed import Seed
from sentry_fake.store.service import StoreService
from records import create_project, ingest, reset


def test_log_evicts_the_oldest_from_every_facet():
    log = Log(key=lambda r: r[0], capacity=3, facets={"parity": lambda r: r[0] % 2})
    for n in range(5):
        log.add((n,))
    assert [r[0] for r in log.all()] == [2, 3, 4]
    assert [r[0] for r in log.facet("parity", 0)] == [2, 4]
    assert [r[0] for r in log.facet("parity", 1)] == [3]
    assert log.evicted == 2 and 1 not in log and log.get(3) == (3,)
    assert [r[0] for r in log.all().newest(0, 2)] == [4, 3]
    assert [r[0] for r in log.all().newest(2, 2)] == [2]
    assert log.all()[-1] == (4,) and len(log.facet("parity", 7)) == 0


def test_log_compacts_after_many_evictions():
    log = Log(key=lambda r: r, capacity=10, facets={})
    for n in range(5000):
        log.add(n)
    assert list(log.all()) == list(range(4990, 5000))
    assert len(log.all()._records) < 3000


def test_log_remove_where():
    log = Log(key=lambda r: r, capacity=10, facets={"parity": lambda r: r % 2})
    for n in range(6):
        log.add(n)
    assert log.remove_where("parity", 1) == [1, 3, 5]
    assert list(log.all()) == [0, 2, 4] and len(log.facet("parity", 1)) == 0


def make_store(**kwargs):
    clock = Clock()
    clock.advance(1_795_000_000)
    return StoreService(clock, **kwargs)


def test_max_events_evicts_and_counts():
    store = make_store(max_events=3)
    project = store.directory.project_by_id(1)
    for message in ("kept", "gone", "kept", "m3", "m4"):
        payload = {"message": message}
        ingest(store, payload, project.id, json.dumps(payload).encode())
    assert [e.message for e in store.events()] == ["kept", "m3", "m4"]
    assert store.evicted == 2
    # An issue keeps its count when old events are evicted, as Sentry's do after retention;
    # one whose events are all gone goes with them.
    issues = {issue.title: issue.times_seen for issue in store.issues([project])}
    assert issues == {"kept": 2, "m3": 1, "m4": 1}
    assert [issue.title for issue in store.issues_in_order([project], "new")] == \
        ["m4", "m3", "kept"]


def test_seed_with_extra_entries():
    store = make_store(seed=Seed(organization="acme", project="web", public_key="k1", extra={
        "organizations": [{"slug": "other"}],
        "teams": [{"organization": "acme", "slug": "backend"}],
        "projects": [{"organization": "acme", "team": "backend", "slug": "api", "id": 42,
                      "platform": "python"}],
        "keys": [{"organization": "acme", "project": "api", "public": "k42"}],
    }))
    acme = store.directory.organization("acme")
    assert [p.slug for p in store.directory.projects_of(acme)] == ["web", "api"]
    api = store.directory.project(acme, "api")
    assert (api.id, api.platform, store.directory.key("k42").project_id) == (42, "python", 42)
    assert [k.public for k in store.directory.keys_of(api)] == ["k42"]
    assert store.directory.organization("other").id == 2
    reset(store)
    assert store.directory.project(acme, "42").slug == "api"


def test_directory_errors():
    store = make_store()
    org = store.directory.organization("parlel")
    with pytest.raises(NotFound):
        store.directory.project(org, "missing")
    with pytest.raises(Conflict):
        create_project(store, "parlel")
    created = create_project(store, "New One")
    assert created.slug == "new-one" and created.id == 2 and len(store.directory.keys_of(created)) == 1


def test_issue_facts_fold_in_new_events():
    store = make_store()
    project = store.directory.project_by_id(1)
    first = {"message": "m", "tags": {"tenant": "a"}}
    ingest(store, first, project.id, json.dumps(first).encode())
    (issue,) = store.issues([project])
    facts = store.issue_facts(issue)
    assert facts.tag_counts["tenant"] == {"a": 1}
    second = {"message": "m", "tags": {"tenant": "b"}, "release": "2.0"}
    ingest(store, second, project.id, json.dumps(second).encode())
    again = store.issue_facts(issue)
    assert again is facts
    assert again.tag_counts["tenant"] == {"a": 1, "b": 1}
    assert again.values_of("release") == {"2.0"}


def test_fact_cache_is_bounded():
    from sentry_fake.store.facts import FactCache

    store = make_store()
    project = store.directory.project_by_id(1)
    for n in range(5):
        payload = {"message": f"m{n}", "fingerprint": [str(n)]}
        ingest(store, payload, project.id, json.dumps(payload).encode())
    cache = FactCache(capacity=2)
    issues = sorted(store.issues([project]), key=lambda issue: issue.id)
    gathered = [cache.get(issue, store.events(issue_id=issue.id)) for issue in issues]
    assert len(cache._cache) == 2
    assert cache.get(issues[-1], store.events(issue_id=issues[-1].id)) is gathered[-1]
    assert cache.get(issues[0], store.events(issue_id=issues[0].id)) is not gathered[0]


def test_evicted_facets_leave_no_trace():
    from sentry_fake.store.log import Log

    log = Log(key=lambda r: r[0], capacity=2, facets={"group": lambda r: r[1]})
    for n, group in enumerate(["a", "a", "b", "c"]):
        log.add((n, group))
    assert "a" not in log._facets["group"] and len(log.facet("group", "a")) == 0
    assert [r[0] for r in log.facet("group", "c")] == [3]


def test_a_facet_of_one_record_grows_and_shrinks_as_any_other():
    # A value only one record has is kept as that record, and becomes a facet with the second.
    log = Log(key=lambda r: r[0], capacity=3, facets={"group": lambda r: r[1]})
    log.add((0, "solo"))
    log.add((1, "pair"))
    single = log.facet("group", "solo")
    assert list(single) == [(0, "solo")] and single.appended == 1
    log.add((2, "pair"))
    pair = log.facet("group", "pair")
    assert list(pair) == [(1, "pair"), (2, "pair")] and pair.appended == 2
    assert log.facet("group", "pair") is pair  # a facet of two or more is the same object
    log.add((3, "pair"))  # evicts (0, "solo"): its value goes
    assert "solo" not in log._facets["group"] and len(log.facet("group", "solo")) == 0
    assert list(log.facet("group", "pair")) == [(1, "pair"), (2, "pair"), (3, "pair")]
    assert log.facet("group", "pair").appended == 3
    log.add((4, "solo"))  # evicts (1, "pair")
    assert [r[0] for r in log.facet("group", "pair")] == [2, 3]
    assert [r[0] for r in log.facet("group", "solo")] == [4]


def test_remove_where_drops_single_records_from_other_facets():
    log = Log(key=lambda r: r[0], capacity=10,
              facets={"project": lambda r: r[1], "trace": lambda r: r[2]})
    for record in [(0, "a", "t0"), (1, "b", "t1"), (2, "a", "t2"), (3, "b", "t1")]:
        log.add(record)
    assert [r[0] for r in log.remove_where("project", "b")] == [1, 3]
    assert [r[0] for r in log.all()] == [0, 2]
    assert "t1" not in log._facets["trace"] and "b" not in log._facets["project"]
    assert [r[0] for r in log.facet("trace", "t0")] == [0]
    assert [r[0] for r in log.facet("project", "a")] == [0, 2]


def test_a_log_says_which_records_leave_it():
    left = []
    log = Log(key=lambda r: r[0], capacity=2, facets={"group": lambda r: r[1]},
              on_leave=left.append)
    for record in [(0, "a"), (1, "b"), (2, "b")]:
        log.add(record)
    assert left == [(0, "a")]  # evicted
    log.remove_where("group", "b")
    assert left == [(0, "a"), (1, "b"), (2, "b")]  # removed

