"""
The journal of change records, in memory: every record type written by the real routes and
read back, a replay that rebuilds the same state whatever the options of the second start,
refused writes that change nothing, checkpoints that keep the journal bounded, and a full disk.
"""

import json
import os
import shutil

import pytest
import pytest_twisted
from twisted.internet.task import Clock

from sentry_fake.application import Settings
from sentry_fake.errors import StorageUnavailable
from sentry_fake.persistence import codec
from sentry_fake.persistence.data_dir import FILENAME, DataDirError
from sentry_fake.persistence.database import Database
from sentry_fake.store.records import RECORD_TYPES
from sentry_fake.store.seed import Seed

from scenario import AUTH, Harness, envelope, event_item, every_record, state_of
from test_span_blocks import TRACE, child, transaction

OTHER_OPTIONS = Settings(strict_ingest=True, auth_tokens=("only-this",),
                         seed=Seed(organization="acme", team="core", project="web",
                                   public_key="zzz"))


def clock_at(when: float) -> Clock:
    clock = Clock()
    clock.advance(when)
    return clock


@pytest_twisted.ensureDeferred
async def test_every_record_type_is_written_and_reads_back(tmp_path):
    harness = Harness(str(tmp_path), clock_at(1_795_000_000))
    written = []

    class Recording:
        def append(self, seq, record):
            written.append(record)
            harness.journal.append(seq, record)

        def payloads_left(self, seq, record):
            return harness.journal.payloads_left(seq, record)

    harness.store.journal = Recording()
    await every_record(harness.api, harness.clock)
    assert {type(record).__name__ for record in written} == set(RECORD_TYPES)
    for record in written:
        row = codec.encode(record)
        again = codec.decode(*row)
        assert type(again) is type(record) and codec.encode(again) == row


@pytest_twisted.ensureDeferred
async def test_a_replay_rebuilds_the_same_state_whatever_the_options(tmp_path):
    live = tmp_path / "live"
    first = Harness(str(live), clock_at(1_795_000_000))
    await every_record(first.api, first.clock)
    expected = state_of(first.store)
    assert expected["events"] and expected["issues"] and expected["items"]
    # What a kill -9 now would leave: the database and its WAL, with no checkpoint.
    shutil.copytree(live, tmp_path / "crashed")
    crashed = Harness(str(tmp_path / "crashed"), clock_at(1_900_000_000), OTHER_OPTIONS)
    assert state_of(crashed.store) == expected
    # A clean stop takes a checkpoint; the next start loads it.
    first.stop()
    again = Harness(str(live), clock_at(1_950_000_000), OTHER_OPTIONS)
    assert again.journal.database.checkpoint_seq == expected["seq"]
    assert state_of(again.store) == expected
    again.stop()
    # Records written after a checkpoint are replayed on top of it.
    third = Harness(str(live), clock_at(1_960_000_000))
    await every_record(third.api, third.clock, tag="b", reset=False)
    later = state_of(third.store)
    shutil.copytree(live, tmp_path / "crashed-later")
    assert state_of(Harness(str(tmp_path / "crashed-later"), clock_at(2e9)).store) == later


@pytest_twisted.ensureDeferred
async def test_a_refused_change_changes_nothing(tmp_path):
    harness = Harness(str(tmp_path), clock_at(1_795_000_000))
    api, database = harness.api, harness.journal.database
    await api.request("POST", "/api/0/organizations/parlel/teams/", json_body={"slug": "ops"})
    await api.request("POST", "/api/0/organizations/parlel/projects/", json_body={"name": "web"})
    before, rows = state_of(harness.store), database.rows
    keys = "/api/0/projects/parlel/parlel/keys/parlel/"
    refused = await api.request("PUT", keys, json_body={"name": "renamed", "isActive": "yes"})
    assert (refused.code, refused.json()) == (400, {"isActive": ["Must be a valid boolean."]})
    team = await api.request("PUT", "/api/0/teams/parlel/parlel/", json_body={"slug": "ops"})
    assert (team.code, team.json()) == (400, {"slug": ['The slug "ops" is already in use.']})
    project = await api.request("PUT", "/api/0/projects/parlel/parlel/", json_body={
        "slug": "web", "name": "Renamed too"})
    assert (project.code, project.json()) == (
        400, {"slug": ["Another project (web) is already using that slug"]})
    taken = await api.request("POST", "/api/0/organizations/parlel/projects/",
                              json_body={"name": "web"})
    assert (taken.code, taken.json()) == (409, {"detail": "A project with this slug already exists."})
    assert state_of(harness.store) == before and database.rows == rows
    assert (await api.request("GET", keys)).json()["name"] == "Default"


@pytest_twisted.ensureDeferred
async def test_checkpoints_keep_the_journal_bounded_and_drop_evicted_events(tmp_path):
    clock = clock_at(1_795_000_000)
    harness = Harness(str(tmp_path / "data"), clock, Settings(max_events=100))
    harness.journal.floor = 50
    for n in range(1000):
        answer = await harness.api.request("POST", "/api/1/envelope/", token=None, headers=AUTH,
                                           body=envelope(event_item({"message": f"m{n % 7}"})))
        assert answer.code == 200
        clock.advance(0)  # the compaction the journal scheduled
        clock.advance(0.01)
        assert harness.journal.database.rows <= 2 * 100 + 1
    assert harness.journal.database.checkpoint_seq > 0
    expected = state_of(harness.store)
    assert len(expected["events"]) == 100 and expected["evicted"][0] == 900
    kept = {seq for _, seq in expected["events"]}
    # A checkpoint leaves in the journal only the records whose events are still kept:
    # evicted events leave it with the checkpoint that follows them.
    assert harness.journal.compact()
    assert {seq for seq, *_ in harness.journal.database.records()} == kept
    shutil.copytree(tmp_path / "data", tmp_path / "crashed")
    assert state_of(Harness(str(tmp_path / "crashed"), clock_at(2e9),
                            Settings(max_events=100)).store) == expected


@pytest_twisted.ensureDeferred
async def test_a_start_leaves_the_payloads_it_takes_back_in_the_data_directory(tmp_path):
    first = Harness(str(tmp_path), clock_at(1_795_000_000))
    attachment = bytes(range(256)) * 3
    body = envelope(event_item({"message": "kept", "tags": {"where": "disk"}}),
                    ({"type": "attachment", "filename": "a.bin"}, attachment),
                    header={"event_id": "ab" * 16})
    assert (await first.api.request("POST", "/api/1/envelope/", token=None, headers=AUTH,
                                    body=body)).code == 200
    path = "/api/0/projects/parlel/parlel/events/" + "ab" * 16 + "/"
    before = (await first.api.request("GET", path)).json()
    expected = state_of(first.store)
    first.stop()  # a checkpoint: the next start takes the event and its items back
    again = Harness(str(tmp_path), clock_at(1_795_000_100))
    [event] = again.store.events()
    items = list(again.store.items())
    # Not read at start: the bytes stay in the file until something asks for them.
    assert not isinstance(event._raw, bytes)
    assert [isinstance(item._payload, bytes) for item in items] == [False, False]
    assert len(event._raw) == len(event.raw) and b'"kept"' in event.raw
    assert [item.payload for item in items if item.type == "attachment"] == [attachment]
    assert (await again.api.request("GET", path)).json() == before
    assert state_of(again.store) == expected
    # A row gone from the journal leaves nothing to read; a closed one says it is stopping.
    again.journal.database._connection().execute("DELETE FROM journal")
    assert event.raw == b""
    again.stop()
    with pytest.raises(StorageUnavailable):
        event.raw


@pytest_twisted.ensureDeferred
async def test_a_start_after_a_crash_leaves_the_payloads_it_applies_again_on_disk(tmp_path):
    # What a start applies again (the records after the last checkpoint, as a kill leaves
    # them) holds its payloads as a running server does: left in the journal, read when asked,
    # also where applying them reads them (a transaction's spans, a session, a client report).
    first = Harness(str(tmp_path / "data"), clock_at(1_795_000_000))
    attachment = bytes(range(256)) * 3
    traced = transaction([child("2" * 16), child("3" * 16)])
    traced["timestamp"] = traced["start_timestamp"] = 1_795_000_000.0
    report = {"discarded_events": [{"reason": "queue_overflow", "category": "error",
                                    "quantity": 2}]}
    session = {"sid": "s1", "did": "u1", "status": "exited", "attrs": {"release": "shop@1"}}
    for body in (
            envelope(event_item({"message": "applied again"}),
                     ({"type": "attachment", "filename": "a.bin"}, attachment),
                     header={"event_id": "cd" * 16}),
            envelope(({"type": "transaction"}, json.dumps(traced).encode())),
            envelope(({"type": "session"}, json.dumps(session).encode()),
                     ({"type": "client_report"}, json.dumps(report).encode()))):
        assert (await first.api.request("POST", "/api/1/envelope/", token=None, headers=AUTH,
                                        body=body)).code == 200
    expected = state_of(first.store)
    shutil.copytree(tmp_path / "data", tmp_path / "crashed")
    again = Harness(str(tmp_path / "crashed"), clock_at(1_795_000_100))
    assert again.journal.database.checkpoint_seq == 0  # nothing to take back: all applied
    events, items = list(again.store.events()), list(again.store.items())
    assert [event.type for event in events] == ["default", "transaction"]
    assert [item.type for item in items] == ["event", "attachment", "transaction", "session",
                                             "client_report"]
    assert not any(isinstance(event._raw, bytes) for event in events)
    assert not any(isinstance(item._payload, bytes) for item in items)
    assert b'"applied again"' in events[0].raw
    assert [item.payload for item in items if item.type == "attachment"] == [attachment]
    assert [span.span_id for span in again.store.traces.spans_of_trace(TRACE)] == \
        ["1" * 16, "2" * 16, "3" * 16]
    assert state_of(again.store) == expected
    again.stop()  # a checkpoint: the next start takes the same records back from it
    third = Harness(str(tmp_path / "crashed"), clock_at(1_795_000_200))
    assert third.journal.database.checkpoint_seq > 0
    assert not any(isinstance(event._raw, bytes) for event in third.store.events())
    assert not any(isinstance(item._payload, bytes) for item in third.store.items())
    assert state_of(third.store) == expected
    third.stop()


@pytest_twisted.ensureDeferred
async def test_what_leaves_the_store_keeps_its_payload_for_whoever_still_holds_it(tmp_path):
    async def send(harness, message):
        body = envelope(event_item({"message": message}))
        answer = await harness.api.request("POST", "/api/1/envelope/", token=None,
                                           headers=AUTH, body=body)
        assert answer.code == 200

    settings = Settings(max_events=2)
    first = Harness(str(tmp_path), clock_at(1_795_000_000), settings)
    for message in ("old-0", "old-1"):
        await send(first, message)
    first.stop()
    again = Harness(str(tmp_path), clock_at(1_795_000_100), settings)
    # A reader under way (a page, a stream) holds what a start took back from the checkpoint.
    held, held_items = list(again.store.events()), list(again.store.items())
    assert not any(isinstance(record._raw, bytes) for record in held)
    for message in ("new-0", "new-1"):
        await send(again, message)  # evicts both, events and items
    assert again.journal.compact()  # and their rows leave the journal
    assert not {event.seq for event in held} & {seq for seq, *_ in
                                                again.journal.database.records()}
    assert [json.loads(event.raw)["message"] for event in held] == ["old-0", "old-1"]
    assert [json.loads(item.payload)["message"] for item in held_items] == ["old-0", "old-1"]
    again.stop()


@pytest_twisted.ensureDeferred
async def test_what_leaves_the_store_held_by_nobody_is_not_read_back(tmp_path, monkeypatch):
    # Reading back the payload of every evicted event, in case someone holds it, would read
    # a journal row per event stored once the store is full.
    settings = Settings(max_events=2)
    harness = Harness(str(tmp_path), clock_at(1_795_000_000), settings)
    reads = []
    content = Database.content
    monkeypatch.setattr(Database, "content",
                        lambda self, *args: reads.append(args) or content(self, *args))
    for n in range(12):
        body = envelope(event_item({"message": f"m{n}"}))
        answer = await harness.api.request("POST", "/api/1/envelope/", token=None,
                                           headers=AUTH, body=body)
        assert answer.code == 200
    assert harness.store.evicted == 10
    held = harness.store.events()[0]
    await harness.api.request("POST", "/api/1/envelope/", token=None, headers=AUTH,
                              body=envelope(event_item({"message": "m12"})))
    assert harness.journal.compact()
    # Only what is still held (one event and, kept by nothing, no item) was read back.
    assert len(reads) == 1
    assert json.loads(held.raw)["message"] == "m10"
    harness.stop()


@pytest_twisted.ensureDeferred
async def test_a_running_server_leaves_what_it_ingests_in_the_data_directory(tmp_path):
    """
    With a data directory, a stored event's payload, and the item that brought it, are read
    from their journal row when asked for: the store holds them once, on disk, not in memory
    too.  A transaction's spans are read from it as well, and what leaves the store still
    reads its payload once its row is gone.
    """
    harness = Harness(str(tmp_path), clock_at(1_795_000_000), Settings(max_events=3))
    sent = [{"message": f"held-{n}", "extra": {"pad": "x" * 2000}} for n in range(3)]
    for doc in sent:
        answer = await harness.api.request("POST", "/api/1/envelope/", token=None,
                                           headers=AUTH, body=envelope(event_item(doc)))
        assert answer.code == 200
    events, items = list(harness.store.events()), list(harness.store.items())
    assert len(events) == len(items) == 3
    assert not any(isinstance(record._raw, bytes) for record in events)
    assert all(item._payload is event._raw for item, event in zip(items, events))
    assert [json.loads(event.raw) for event in events] == sent
    assert [event.size for event in events] == [len(event.raw) for event in events]

    traced = transaction([child("2" * 16), child("3" * 16)])
    traced["timestamp"] = traced["start_timestamp"] = 1_795_000_000.0
    answer = await harness.api.request(
        "POST", "/api/1/envelope/", token=None, headers=AUTH,
        body=envelope(({"type": "transaction"}, json.dumps(traced).encode())))
    assert answer.code == 200
    [stored] = [event for event in harness.store.events() if event.type == "transaction"]
    assert not isinstance(stored._raw, bytes)
    assert [span.span_id for span in harness.store.traces.spans_of_trace(TRACE)] == \
        ["1" * 16, "2" * 16, "3" * 16]
    assert answer.code == 200
    assert harness.journal.compact()  # the evicted event's row leaves the journal
    assert events[0].seq not in {seq for seq, *_ in harness.journal.database.records()}
    assert json.loads(events[0].raw) == sent[0]
    assert json.loads(items[0].payload) == sent[0]
    harness.stop()


@pytest_twisted.ensureDeferred
async def test_a_crash_leaves_at_most_half_the_state_to_replay(tmp_path):
    # Events that are all kept never make the journal twice the state: checkpoints still come,
    # as what follows the last one passes half the state, so a start after a kill applies at
    # most that many records one by one and takes the rest back from the checkpoint.
    clock = clock_at(1_795_000_000)
    harness = Harness(str(tmp_path / "data"), clock)
    harness.journal.floor = 20
    checkpoints = []
    for n in range(300):
        answer = await harness.api.request("POST", "/api/1/envelope/", token=None, headers=AUTH,
                                           body=envelope(event_item({"message": f"m{n}"})))
        assert answer.code == 200
        clock.advance(0)  # the checkpoint the journal scheduled
        database = harness.journal.database
        if not checkpoints or database.checkpoint_seq != checkpoints[-1]:
            checkpoints.append(database.checkpoint_seq)
        live = max(len(harness.store.events()), harness.journal.floor)
        assert database.since_checkpoint <= live // 2 + 1
    # Geometrically fewer: about one per doubling of the state.
    assert 4 <= len(checkpoints) <= 7, checkpoints
    expected = state_of(harness.store)
    shutil.copytree(tmp_path / "data", tmp_path / "crashed")
    assert state_of(Harness(str(tmp_path / "crashed"), clock_at(2e9)).store) == expected


@pytest_twisted.ensureDeferred
async def test_a_full_disk_refuses_writes_clearly_and_loses_nothing_acknowledged(tmp_path):
    harness = Harness(str(tmp_path / "data"), clock_at(1_795_000_000))
    database = harness.journal.database
    acknowledged, refusals = [], []
    pages = database._db.execute("PRAGMA page_count").fetchone()[0]
    # The disk is full: the database may not grow by more than a few pages.
    database._db.execute(f"PRAGMA max_page_count={pages + 8}")
    for n in range(40):
        answer = await harness.api.request("POST", "/api/1/envelope/", token=None, headers=AUTH,
                                           body=envelope(event_item({"message": f"m{n}",
                                                                     "extra": {"x": "y" * 900}})))
        if answer.code == 200:
            acknowledged.append(answer.json()["id"])
        else:
            refusals.append(answer)
    assert acknowledged and refusals
    assert {answer.code for answer in refusals} == {507}
    assert refusals[0].json()["detail"].startswith("Insufficient storage")
    commits = [{"id": f"{n:040x}", "message": "m" * 300} for n in range(40)]
    management = await harness.api.request("POST", "/api/0/organizations/parlel/releases/",
                                           json_body={"version": "big", "projects": ["parlel"],
                                                      "commits": commits})
    assert management.code == 507 and "detail" in management.json()
    assert harness.store.releases.find(1, "big") is None
    # What was refused was not applied; reads keep answering.
    stored = [event.event_id for event in harness.store.events()]
    assert stored == acknowledged
    assert (await harness.api.request("GET", "/api/0/organizations/parlel/teams/")).code == 200
    assert (await harness.api.request("GET", "/__parlel/events")).json()["count"] == len(stored)
    # Room again: writes work, and a crash afterwards keeps every acknowledged one.
    database._db.execute("PRAGMA max_page_count=1073741823")
    answer = await harness.api.request("POST", "/api/1/envelope/", token=None, headers=AUTH,
                                       body=envelope(event_item({"message": "after"})))
    assert answer.code == 200
    acknowledged.append(answer.json()["id"])
    shutil.copytree(tmp_path / "data", tmp_path / "crashed")
    restarted = Harness(str(tmp_path / "crashed"), clock_at(2e9))
    assert [event.event_id for event in restarted.store.events()] == acknowledged


def test_a_data_dir_of_another_version_is_refused_with_a_reason(tmp_path):
    legacy = tmp_path / "legacy"
    legacy.mkdir()
    (legacy / "snapshot.pickle").write_bytes(b"\x80\x04N.")
    with pytest.raises(DataDirError, match="older sentry-fake"):
        Database(str(legacy))
    newer = tmp_path / "newer"
    Database(str(newer)).close()
    import sqlite3

    connection = sqlite3.connect(str(newer / FILENAME))
    connection.execute("UPDATE meta SET value = '99' WHERE key = 'format'")
    connection.commit()
    connection.close()
    with pytest.raises(DataDirError, match="format 99"):
        Database(str(newer))
    from twisted.python.usage import UsageError

    from sentry_fake import tap

    options = tap.Options()
    with pytest.raises(UsageError, match="format 99"):
        options.parseOptions(["--data-dir", str(newer)])


def test_the_database_is_private_to_its_owner(tmp_path):
    Database(str(tmp_path / "data")).close()
    assert (tmp_path / "data").stat().st_mode & 0o077 == 0
    assert (tmp_path / "data" / FILENAME).stat().st_mode & 0o077 == 0


# What a second read of the journal found: each of these once lost or broke a data directory.

@pytest_twisted.ensureDeferred
async def test_a_directory_with_only_management_changes_survives_a_checkpoint(tmp_path):
    first = Harness(str(tmp_path), clock_at(1_795_000_000))
    answer = await first.api.request("POST", "/api/0/organizations/parlel/teams/",
                                     json_body={"slug": "ops"})
    assert answer.code == 201
    first.stop()  # the checkpoint leaves no journal row at all: nothing live is in one
    assert first.journal.database is None
    again = Harness(str(tmp_path), clock_at(1_796_000_000))
    assert [team.slug for team in again.store.directory.teams_of(
        again.store.directory.organization("parlel"))] == ["parlel", "ops"]


@pytest_twisted.ensureDeferred
async def test_an_event_id_repeated_in_one_request_is_kept_once_across_restarts(tmp_path):
    settings = Settings(max_events=3)
    first = Harness(str(tmp_path / "data"), clock_at(1_795_000_000), settings)
    body = json.dumps([{"type": "error", "exception": {"value": "first"}, "event_id": "a" * 32},
                       {"type": "error", "exception": {"value": "second"}, "event_id": "a" * 32}
                       ]).encode()
    answer = await first.api.request("POST", "/v1/ingest", body=body, token=None,
                                     headers={"X-Open-Sentry-Key": "parlel",
                                              "Content-Type": "application/json"})
    assert answer.code == 202
    live = [(event.event_id, event.title) for event in first.store.events()]
    assert live == [("a" * 32, "Error: first")]
    first.stop()
    second = Harness(str(tmp_path / "data"), clock_at(1_796_000_000), settings)
    assert [(event.event_id, event.title) for event in second.store.events()] == live
    for n in range(5):  # evicting it must not trip over a second copy
        answer = await second.api.request("POST", "/api/1/envelope/", token=None, headers=AUTH,
                                          body=envelope(event_item({"message": f"m{n}"})))
        assert answer.code == 200
    expected = state_of(second.store)
    shutil.copytree(tmp_path / "data", tmp_path / "crashed")
    assert state_of(Harness(str(tmp_path / "crashed"), clock_at(2e9), settings).store) == expected


@pytest_twisted.ensureDeferred
async def test_values_that_once_broke_an_apply_are_refused_before_anything_is_written(tmp_path):
    import gzip

    from test_uploads_api import CHUNKS, DIF_ASSEMBLE, multipart, sha1

    harness = Harness(str(tmp_path / "data"), clock_at(1_795_000_000))
    api, rows = harness.api, harness.journal.database.rows
    huge = 10 ** 400
    refused = [
        await api.request("POST", "/api/1/envelope/", token=None, headers=AUTH, body=envelope(
            ({"type": "check_in"}, json.dumps({"monitor_slug": "job", "status": "ok",
                                               "monitor_config": {"schedule": "* * * * *",
                                                                  "checkin_margin": huge}
                                               }).encode()))),
        await api.request("POST", "/api/1/cron/job/parlel/?status=ok&duration=nan", token=None),
        await api.request("POST", "/api/1/store/", token=None, headers=AUTH,
                          body=b'{"message": "x", "extra": {"n": NaN}}'),
        await api.request("PUT", "/api/0/organizations/parlel/issues/?id=1",
                          json_body={"status": "ignored", "ignoreDuration": huge}),
    ]
    # The check-in inside an envelope is dropped as Relay drops it; the rest are refused, the
    # refused event counted as Sentry counts it (an invalid outcome, in a record of its own).
    assert [answer.code for answer in refused] == [200, 400, 400, 400]
    assert len(harness.store.monitors) == 0 and harness.journal.database.rows == rows + 2
    invalid = {(count.category, count.reason, count.quantity)
               for count in harness.store.outcomes.counts(0, 2e9, 1) if count.outcome == "invalid"}
    assert invalid == {("monitor", "invalid_check_in", 1), ("error", "invalid_json", 1)}
    # A fat Mach-O pointing at itself is an unreadable debug file, not a crash.
    data = b"\xca\xfe\xba\xbe" + b"\0" * 28
    parts, content_type = multipart([("file_gzip", sha1(data), gzip.compress(data))])
    assert (await api.request("POST", CHUNKS, body=parts,
                              headers={"Content-Type": content_type})).code == 200
    answer = await api.request("POST", DIF_ASSEMBLE, json_body={
        sha1(data): {"name": "fat", "chunks": [sha1(data)]}})
    assert answer.code == 200 and answer.json()[sha1(data)]["state"] == "error"
    shutil.copytree(tmp_path / "data", tmp_path / "crashed")
    assert state_of(Harness(str(tmp_path / "crashed"), clock_at(2e9)).store) == \
        state_of(harness.store)


@pytest_twisted.ensureDeferred
async def test_a_lone_surrogate_in_a_title_does_not_stop_checkpoints(tmp_path):
    first = Harness(str(tmp_path), clock_at(1_795_000_000))
    answer = await first.api.request("POST", "/api/1/envelope/", token=None, headers=AUTH,
                                     body=b'{}\n{"type":"event"}\n{"message":"bad \\ud800 one"}\n')
    assert answer.code == 200
    expected = state_of(first.store)
    assert first.journal.compact()
    first.stop()
    assert state_of(Harness(str(tmp_path), clock_at(2e9)).store) == expected


@pytest_twisted.ensureDeferred
async def test_evictions_after_the_checkpoint_are_counted_after_a_crash(tmp_path):
    settings = Settings(max_events=2)
    first = Harness(str(tmp_path / "data"), clock_at(1_795_000_000), settings)
    for n in range(2):
        await first.api.request("POST", "/api/1/envelope/", token=None, headers=AUTH,
                                body=envelope(event_item({"message": f"m{n}"})))
    assert first.journal.compact()
    for n in range(2, 4):
        await first.api.request("POST", "/api/1/envelope/", token=None, headers=AUTH,
                                body=envelope(event_item({"message": f"m{n}"})))
    assert (first.store.evicted, first.store.item_evictions) == (2, 2)
    shutil.copytree(tmp_path / "data", tmp_path / "crashed")
    again = Harness(str(tmp_path / "crashed"), clock_at(2e9), settings)
    assert (again.store.evicted, again.store.item_evictions) == (2, 2)


def test_a_record_this_version_cannot_apply_does_not_stop_a_load(tmp_path, monkeypatch):
    from sentry_fake.store.writes import Writes

    first = Harness(str(tmp_path / "data"), clock_at(1_795_000_000))
    from records import create_project

    create_project(first.store, "kept")
    shutil.copytree(tmp_path / "data", tmp_path / "crashed")

    def broken(self, record):
        raise RuntimeError("a bug in this version")

    monkeypatch.setattr(Writes, "create_project", broken)
    again = Harness(str(tmp_path / "crashed"), clock_at(2e9))
    assert [p.slug for p in again.store.directory.projects_of()] == ["parlel"]


@pytest_twisted.ensureDeferred
async def test_a_repeated_transaction_brings_no_spans_after_a_checkpoint_either(tmp_path):
    def transaction(trace: str) -> tuple[dict, bytes]:
        start = 1_795_000_000 - 5.0
        payload = {"type": "transaction", "event_id": "e" * 32, "transaction": "checkout",
                   "start_timestamp": start, "timestamp": start + 1,
                   "contexts": {"trace": {"trace_id": trace, "span_id": "1" * 16}},
                   "spans": [{"trace_id": trace, "span_id": "2" * 16, "parent_span_id": "1" * 16,
                              "op": "db", "start_timestamp": start, "timestamp": start + 0.5}]}
        return {"type": "transaction"}, json.dumps(payload).encode()

    def spans(store, trace: str) -> list[str]:
        return [span.span_id for span in store.traces.spans_of_trace(trace)]

    first = Harness(str(tmp_path / "data"), clock_at(1_795_000_000))
    for trace in ("a" * 32, "b" * 32):
        answer = await first.api.request("POST", "/api/1/envelope/", token=None, headers=AUTH,
                                         body=envelope(transaction(trace)))
        assert answer.code == 200
    # Sentry keeps the first event of an id: the repeat, of another trace, brings nothing.
    assert (spans(first.store, "a" * 32), spans(first.store, "b" * 32)) == (
        ["1" * 16, "2" * 16], [])
    expected = state_of(first.store)
    shutil.copytree(tmp_path / "data", tmp_path / "crashed")
    first.stop()
    for path in ("data", "crashed"):  # after a checkpoint, and replayed after a crash
        again = Harness(str(tmp_path / path), clock_at(1_796_000_000))
        assert spans(again.store, "b" * 32) == [] and state_of(again.store) == expected


@pytest_twisted.ensureDeferred
async def test_a_transaction_id_repeated_after_its_event_was_evicted_keeps_both_spans(tmp_path):
    settings = Settings(max_events=5)

    def transaction(trace: str, span_id: str) -> tuple[dict, bytes]:
        start = 1_795_000_000 - 5.0
        payload = {"type": "transaction", "event_id": "e" * 32, "transaction": "checkout",
                   "start_timestamp": start, "timestamp": start + 1,
                   "contexts": {"trace": {"trace_id": trace, "span_id": "1" * 16}},
                   "spans": [{"trace_id": trace, "span_id": span_id, "parent_span_id": "1" * 16,
                              "op": "db", "start_timestamp": start, "timestamp": start + 0.5}]}
        return {"type": "transaction"}, json.dumps(payload).encode()

    first = Harness(str(tmp_path / "data"), clock_at(1_795_000_000), settings)
    sent = [envelope(transaction("a" * 32, "2" * 16))]
    # Errors push the transaction out of the events; its spans stay in the trace book.
    sent += [envelope(event_item({"message": f"error {n}"})) for n in range(6)]
    sent += [envelope(transaction("b" * 32, "3" * 16))]
    for body in sent:
        first.clock.advance(1)
        answer = await first.api.request("POST", "/api/1/envelope/", token=None, headers=AUTH,
                                         body=body)
        assert answer.code == 200
    # The id is no longer kept: the second transaction is stored, spans and all.
    kept = sorted((span.trace_id[0], span.span_id) for span in first.store.traces.all("spans"))
    assert kept == [("a", "1" * 16), ("a", "2" * 16), ("b", "1" * 16), ("b", "3" * 16)]
    expected = state_of(first.store)
    shutil.copytree(tmp_path / "data", tmp_path / "crashed")
    first.stop()
    for path in ("data", "crashed"):
        again = Harness(str(tmp_path / path), clock_at(1_796_000_000), settings)
        assert state_of(again.store) == expected, path


@pytest_twisted.ensureDeferred
async def test_a_start_with_the_clock_behind_the_journal_hands_out_no_earlier_time(tmp_path):
    first = Harness(str(tmp_path), clock_at(1_795_000_000))
    answer = await first.api.request("POST", "/api/1/envelope/", token=None, headers=AUTH,
                                     body=envelope(event_item({"message": "before"})))
    assert answer.code == 200
    first.stop()
    # The machine's clock went back an hour across the restart.
    again = Harness(str(tmp_path), clock_at(1_795_000_000 - 3600))
    assert again.store.now() == 1_795_000_000
    answer = await again.api.request("POST", "/api/1/envelope/", token=None, headers=AUTH,
                                     body=envelope(event_item({"message": "after"})))
    assert answer.code == 200
    received = [event.received for event in again.store.events()]
    assert received == sorted(received)


def test_the_wal_is_copied_apart_and_started_over_once_grown(tmp_path, monkeypatch):
    # A server copies the WAL into the database file in a thread (Database.copy_wal), which
    # does not catch up with commits that keep coming; then the WAL is never fully copied at
    # the moment a commit starts, so SQLite never starts it over by itself and it grows for
    # good.  Once it has grown and a copy left little behind, Database.restart_wal starts it
    # over.  Here a reader holding an old snapshot stands for the commits that came while a
    # copy ran: the copy cannot take what came after it.
    import sqlite3

    from sentry_fake.persistence import wal
    from sentry_fake.store.records import Ingested, ItemSent

    monkeypatch.setattr(wal, "WAL_RESTART_PAGES", 64)
    record = Ingested(time=1_795_000_000.0, project_id=1,
                      items=(ItemSent("attachment", {"type": "attachment"}, b"x" * 6000, None),))

    def wal_sizes_after_rounds(path, restart: bool) -> list[int]:
        database = Database(str(path))
        database.copy_wal_in_background()
        wal = database.path + "-wal"
        reader = sqlite3.connect(database.path, isolation_level=None)
        seq, sizes = 0, []
        for _ in range(6):
            for _ in range(50):
                seq += 1
                database.append(seq, record)
            reader.execute("BEGIN")
            reader.execute("SELECT count(*) FROM journal").fetchone()  # a snapshot
            for _ in range(5):
                seq += 1
                database.append(seq, record)
            pages, left = database.copy_wal()
            assert left > 0  # what came after the snapshot stays in the WAL
            reader.execute("COMMIT")
            if restart:
                assert database.restart_wal(pages, left)
            sizes.append(os.path.getsize(wal))
        assert [row[0] for row in database.records()] == list(range(1, seq + 1))
        reader.close()
        database.close()
        return sizes

    growing = wal_sizes_after_rounds(tmp_path / "growing", restart=False)
    started_over = wal_sizes_after_rounds(tmp_path / "started-over", restart=True)
    assert growing == sorted(growing) and growing[-1] > 4 * growing[0], growing
    assert max(started_over) == started_over[0] < growing[-1] / 4, started_over

    # Too little in it, or too much left behind by the copy: left alone.
    database = Database(str(tmp_path / "small"))
    database.copy_wal_in_background()
    database.append(1, record)
    assert not database.restart_wal(63, 0)
    assert not database.restart_wal(64, wal.WAL_LEFT_PAGES + 1)
    database.close()


def test_what_left_is_noted_weakly_and_pruned_while_checkpoints_wait():
    from sentry_fake.store.departed import Departed

    class Left:
        payload_left, held = True, False

        def hold_payload(self):
            self.held = True

    class Held(Left):
        payload_left = False  # holds its payload already: not noted

    left = Departed(prune_step=10)
    kept = [Left() for _ in range(3)]
    for record in kept:
        left(record)
    left(Held())
    for _ in range(50):
        left(Left())  # freed as soon as it is noted
    assert len(left._noted) < 13
    left.hold()
    assert all(record.held for record in kept) and left._noted == []


@pytest_twisted.ensureDeferred
async def test_what_left_the_store_and_is_held_keeps_its_payload_across_a_reset(tmp_path):
    # A reset drops every journal row, as a checkpoint drops the rows of what left.
    from sentry_fake.store.records import Reset

    harness = Harness(str(tmp_path), clock_at(1_795_000_000), Settings(max_events=1))
    held = None
    for message in ("gone", "kept"):
        answer = await harness.api.request("POST", "/api/1/envelope/", token=None,
                                           headers=AUTH, body=envelope(event_item(
                                               {"message": message})))
        assert answer.code == 200
        held = held or harness.store.events()[0]  # a reader under way holds the first
    assert harness.store.evicted == 1 and held.payload_left
    harness.store.reset(Reset(time=1_795_000_010.0, seed=harness.store.seed))
    assert harness.journal.database.rows == 1  # the reset's own
    assert json.loads(held.raw)["message"] == "gone"
    harness.stop()
