"""
The release book and the pure release shapes, without HTTP.
"""

import pytest

from sentry_fake.errors import Conflict, Invalid, NotFound
from sentry_fake.management.release_shapes import version_info
from sentry_fake.store.models import Project
from sentry_fake.store.releases import ReleaseBook, is_valid_version

NOW = 1_795_000_000.0


def project(id_: int, org: int = 1) -> Project:
    return Project(id=id_, organization_id=org, slug=f"p{id_}", name=f"p{id_}", date_created=NOW)


@pytest.mark.parametrize("version, package, raw, description, build_hash, parsed", [
    ("1.2.3", None, "1.2.3", "1.2.3", None, None),
    ("frontend@1.0.0", "frontend", "1.0.0", "1.0.0", None,
     {"major": 1, "minor": 0, "patch": 0, "pre": None, "buildCode": None, "components": 3}),
    ("com.foo.BarApp@1.0+1234", "com.foo.BarApp", "1.0+1234", "1.0 (1234)", None,
     {"major": 1, "minor": 0, "patch": 0, "pre": None, "buildCode": "1234", "components": 2}),
    ("app@2.1-beta.1", "app", "2.1-beta.1", "2.1-beta.1", None,
     {"major": 2, "minor": 1, "patch": 0, "pre": "beta.1", "buildCode": None, "components": 2}),
    ("svc@" + "f" * 40, "svc", "f" * 40, "f" * 12, "f" * 40, None),
    ("a@not-a-version", "a", "not-a-version", "a@not-a-version", None, None),
])
def test_version_info_reads_releases_as_sentry_does(version, package, raw, description,
                                                    build_hash, parsed):
    info = version_info(version)
    assert (info["package"], info["version"]["raw"], info["description"], info["buildHash"]) == (
        package, raw, description, build_hash)
    extra = {k: v for k, v in info["version"].items() if k != "raw"}
    assert extra == (parsed or {})


def test_valid_versions():
    assert is_valid_version("1.0") and is_valid_version("a b+c")
    for bad in ("", " ", ".", "..", "Latest", "a/b", "a\\b", "a\nb", "a\tb"):
        assert not is_valid_version(bad), bad


def test_creation_reports_what_changed_and_is_per_organization():
    book = ReleaseBook()
    first = book.create(1, "1.0", [project(1)], NOW)
    assert first.created and first.added_projects == (1,) and not first.already_reported
    again = book.create(1, "1.0", [project(1)], NOW + 5, ref="ignored", status="archived")
    assert again.already_reported and again.release is first.release
    assert again.release.ref is None and again.release.status == "archived"
    other_org = book.create(2, "1.0", [project(9, org=2)], NOW)
    assert other_org.created and other_org.release.id == first.release.id + 1
    assert [r.version for r in book.releases(1, status=None)] == ["1.0"]
    with pytest.raises(NotFound):
        book.get(1, "2.0")


def test_previous_with_commits_follows_release_dates_and_projects():
    book = ReleaseBook()
    shared, elsewhere = project(1), project(2)
    old = book.create(1, "old", [shared], NOW, refs=[{"repository": "r", "commit": "a"}]).release
    book.create(1, "other-project", [elsewhere], NOW + 1,
                refs=[{"repository": "r", "commit": "b"}])
    book.create(1, "no-commits", [shared], NOW + 2)
    current = book.create(1, "current", [shared], NOW + 3).release
    assert book.previous_with_commits(current) is old
    future = book.create(1, "future", [shared], NOW + 10,
                         refs=[{"repository": "r", "commit": "c"}]).release
    assert book.previous_with_commits(current) is old
    # A release dated before the current one counts by its release date.
    future.date_released = NOW + 2.5
    assert book.previous_with_commits(current) is future
    assert book.previous_with_commits(book.create(1, "lonely", [], NOW + 4).release) is None


def test_commits_and_repositories():
    book = ReleaseBook()
    release = book.create(1, "1.0", [project(1)], NOW).release
    book.set_commits(release, [
        {"id": "b", "repository": "origin", "author_name": "A", "author_email": "a@x",
         "timestamp": NOW - 10, "message": "two"},
        {"id": "a", "repository": "origin", "author_name": "A", "author_email": "a@x"},
        {"id": "b", "repository": "origin"},
    ], NOW)
    assert [c.key for c in book.commits(release)] == ["b", "a"]
    assert book.authors(release) == [("A", "a@x")]
    (origin,) = book.repositories(1)
    assert origin.provider is None
    with pytest.raises(Conflict):
        book.code.add_repository(1, "origin", "integrations:github", None, NOW)
    book.set_refs(release, [{"repository": "acme/app", "commit": "x..y"}], NOW)
    assert [c.key for c in book.commits(release)] == ["y"]
    assert book.code.repository(1, "acme/app").url == "https://github.com/acme/app"
    book.update(release, NOW, refs=[])
    assert book.commits(release) == [] and release.head_commits == {}


def test_events_create_and_count_into_releases():
    book = ReleaseBook()
    seen = project(1)
    assert book.event_seen(seen, "bad/version", NOW, new_issue=True) is None
    release = book.event_seen(seen, "2.0", NOW + 5, new_issue=True)
    assert release.date_created == NOW + 5 and release.project_ids == [1]
    book.event_seen(seen, "2.0", NOW + 1, new_issue=False)
    book.event_seen(project(2), "2.0", NOW + 9, new_issue=True)
    assert (release.first_event, release.last_event) == (NOW + 1, NOW + 9)
    assert release.new_groups == {1: 1, 2: 1} and release.project_ids == [1, 2]
    with pytest.raises(Invalid):
        book.delete(release)
    quiet = book.create(1, "3.0", [seen], NOW).release
    book.add_deploy(quiet, "prod", [seen], NOW)
    book.delete(quiet)
    assert book.find(1, "3.0") is None and "prod" in seen.environments
