"""
The upload book without HTTP: chunk verification, byte budgets, bundle associations, and which
debug files a new upload replaces.
"""

import hashlib

import pytest

from sentry_fake.errors import Invalid
from sentry_fake.store.bundle_archive import normalize_debug_id
from sentry_fake.store.uploads import UploadBook, verify_chunk

from test_uploads_api import BREAKPAD, BREAKPAD_ID, make_bundle

NOW = 1_700_000_000.0


def sha1(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


def bundle_into(book, data, project_ids=(1,), version="1.0", dist=None, organization_id=1):
    book.add_chunk(organization_id, sha1(data), data)
    return book.assemble_bundle(organization_id, list(project_ids), sha1(data), [sha1(data)],
                                NOW, version=version, dist=dist)


def test_chunks_are_verified_and_kept_per_organization():
    book = UploadBook()
    with pytest.raises(Invalid, match="Checksum mismatch"):
        verify_chunk(sha1(b"a"), b"b")
    book.add_chunk(1, verify_chunk(sha1(b"a").upper(), b"a"), b"a")
    assert book.missing_chunks(1, [sha1(b"a"), sha1(b"c"), sha1(b"c")]) == [sha1(b"c")]
    assert book.missing_chunks(2, [sha1(b"a")]) == [sha1(b"a")]


def test_pending_chunks_stay_within_their_budget():
    book = UploadBook(max_pending=10)
    for letter in b"abc":
        book.add_chunk(1, sha1(bytes([letter]) * 4), bytes([letter]) * 4)
    # Two four-byte chunks fit in ten bytes; the oldest went.
    assert book.pending_chunks() == 2
    assert book.missing_chunks(1, [sha1(b"aaaa"), sha1(b"cccc")]) == [sha1(b"aaaa")]


def test_assembled_files_stay_within_their_budget():
    first, second = make_bundle(release="1"), make_bundle(release="2", debug_id=None)
    book = UploadBook(max_stored=len(first) + len(second) - 1)
    assert bundle_into(book, first, version="1").state == "created"
    assert bundle_into(book, second, version="2").state == "created"
    assert [bundle.associations for bundle in book.bundles(1)] == [[("2", None)]]
    assert book.release_files(1, "1") == []
    assert [found[1].url for found in book.release_files(1, "2")] == [
        "~/app.min.js", "~/app.min.js.map"]


def test_a_known_bundle_takes_new_projects_and_releases():
    book = UploadBook()
    data = make_bundle()
    assert bundle_into(book, data, version="1.0").state == "created"
    again = book.assemble_bundle(1, [2], sha1(data), [], NOW, version="1.1", dist="web")
    assert again.state == "ok"
    (bundle,) = book.bundles(1)
    assert bundle.project_ids == [1, 2]
    assert bundle.associations == [("1.0", None), ("1.1", "web")]
    assert [found[2] for found in book.release_files(1, "1.1", project_ids=[2])] == ["web", "web"]
    assert book.release_files(1, "1.1", project_ids=[3]) == []
    # Another organization does not see it, and its chunks are its own.
    assert book.bundles(2) == []
    assert book.assemble_bundle(2, [5], sha1(data), [sha1(data)], NOW).missing == (sha1(data),)


def test_without_a_version_the_manifest_names_the_release():
    book = UploadBook()
    bundle_into(book, make_bundle(release="from-manifest", dist="ios"), version=None)
    (bundle,) = book.bundles(1)
    assert bundle.associations == [("from-manifest", "ios")]


def test_a_debug_file_replaces_older_ones_it_covers():
    book = UploadBook()
    stripped = BREAKPAD.split(b"FUNC")[0]
    for name, data in (("old.sym", stripped), ("new.sym", BREAKPAD)):
        book.add_chunk(1, sha1(data), data)
        answers = book.assemble_debug_files(1, 7, {sha1(data): {
            "name": name, "debug_id": None, "chunks": [sha1(data)]}}, NOW)
        assert answers[sha1(data)].state == "created"
    # Both are breakpad files of the same debug id with the same features: the newer one stays.
    assert [dif.name for dif in book.debug_files(7)] == ["new.sym"]
    assert book.debug_files(7, debug_id=BREAKPAD_ID.replace("-", "").upper())[0].name == "new.sym"
    assert book.debug_files(8) == []


def test_files_sharing_a_chunk_in_one_request_both_assemble():
    book = UploadBook()
    shared, tail = b"shared-" * 10, b"FUNC 1 1 0 f\n"
    first, second = BREAKPAD + shared, BREAKPAD + shared + tail
    for chunk in (BREAKPAD, shared, tail):
        book.add_chunk(1, sha1(chunk), chunk)
    answers = book.assemble_debug_files(1, 7, {
        sha1(first): {"name": "a", "chunks": [sha1(BREAKPAD), sha1(shared)]},
        sha1(second): {"name": "b", "chunks": [sha1(BREAKPAD), sha1(shared), sha1(tail)]},
    }, NOW)
    assert [answer.state for answer in answers.values()] == ["created", "created"]
    assert book.pending_chunks() == 0


@pytest.mark.parametrize("given, expected", [
    ("DFB8E43AF2423D73A453AEB6A777EF75", "dfb8e43a-f242-3d73-a453-aeb6a777ef75"),
    ("dfb8e43a-f242-3d73-a453-aeb6a777ef75-a", "dfb8e43a-f242-3d73-a453-aeb6a777ef75-a"),
    ("DFB8E43AF2423D73A453AEB6A777EF750", "dfb8e43a-f242-3d73-a453-aeb6a777ef75"),
    ("not a debug id", None), ("", None), (None, None), ("dfb8e43af2423d73a453aeb6a777ef75-zz", None),
])
def test_normalize_debug_id(given, expected):
    assert normalize_debug_id(given) == expected
