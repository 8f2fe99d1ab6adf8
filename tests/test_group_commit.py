"""
With a data directory, the hot path's requests of one turn of the reactor are committed to the
journal in one transaction and answered once it is committed: a group the disk cannot take is
refused whole, and nothing of it is applied; any other write, a request that waits behind one
of the group on its connection, and a stop, each come after the group.
"""

import json
import shutil
import sqlite3

import pytest_twisted
from twisted.internet.address import IPv4Address
from twisted.internet.testing import StringTransport

from sentry_fake.application import build_root
from sentry_fake.errors import StorageFull
from sentry_fake.site import make_site
from sentry_fake.store.models import Event
from sentry_fake.store.records import Reset
from sentry_fake.store.service import MemoryOnly

from scenario import AUTH, Harness, envelope, event_item
from test_journal import clock_at


def event_id(n: int) -> str:
    return f"{n:032x}"


def post(n: int, pad: int = 0) -> bytes:
    body = envelope(event_item({"message": f"m{n}", "extra": {"pad": "x" * pad}}),
                    header={"event_id": event_id(n)})
    return (b"POST /api/1/envelope/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"X-Sentry-Auth: %s\r\nContent-Type: application/x-sentry-envelope\r\n"
            b"Content-Length: %d\r\n\r\n" % (AUTH["X-Sentry-Auth"].encode(), len(body)) + body)


class Served:
    """
    A data directory's store behind the real site, on the test clock, with connections over
    string transports.
    """

    def __init__(self, path: str) -> None:
        self.harness = Harness(path, clock_at(1_795_000_000))
        root = build_root(self.harness.store, self.harness.settings, self.harness.clock)
        self.site = make_site(root, max_request_body=1 << 20)
        self.site.reactor = self.harness.clock
        self.statements: list[str] = []
        self.harness.journal.database._db.set_trace_callback(self.statements.append)

    def connect(self) -> StringTransport:
        channel = self.site.buildProtocol(IPv4Address("TCP", "127.0.0.1", 5000))
        channel.callLater = self.harness.clock.callLater
        transport = StringTransport(peerAddress=IPv4Address("TCP", "127.0.0.1", 5000))
        channel.makeConnection(transport)
        transport.channel = channel
        return transport

    def send(self, transport: StringTransport, data: bytes) -> None:
        transport.channel.dataReceived(data)

    def turn(self) -> None:
        self.harness.clock.advance(0)

    def stored(self) -> list[str]:
        return [event.event_id for event in self.harness.store.events()]

    def committed(self) -> list[int]:
        """
        The journal's rows as another connection sees them: committed ones only.
        """
        with sqlite3.connect(self.harness.journal.database.path) as other:
            return [seq for (seq,) in other.execute("SELECT seq FROM journal ORDER BY seq")]


def answers(transport: StringTransport) -> list[tuple[int, dict]]:
    found = []
    for part in transport.value().split(b"HTTP/1.1 ")[1:]:
        head, _, body = part.partition(b"\r\n\r\n")
        found.append((int(head[:3]), json.loads(body)))
    return found


def test_the_requests_of_one_turn_are_committed_together_and_answered_after(tmp_path):
    served = Served(str(tmp_path))
    before = served.committed()
    first, second = served.connect(), served.connect()
    served.send(first, post(1))
    served.send(second, post(2))
    # Written into one transaction, not yet committed, applied or answered.
    assert first.value() == second.value() == b""
    assert served.stored() == [] and served.committed() == before
    served.turn()
    assert answers(first) == [(200, {"id": event_id(1)})]
    assert answers(second) == [(200, {"id": event_id(2)})]
    assert served.stored() == [event_id(1), event_id(2)]
    assert len(served.committed()) == len(before) + 2
    assert [s for s in served.statements if s in ("BEGIN", "COMMIT")] == ["BEGIN", "COMMIT"]
    assert sum(s.startswith("INSERT INTO journal") for s in served.statements) == 2
    served.harness.stop()


def test_a_group_the_disk_cannot_take_is_refused_whole(tmp_path):
    served = Served(str(tmp_path / "data"))
    database = served.harness.journal.database
    seq = served.harness.store.seq
    pages = database._db.execute("PRAGMA page_count").fetchone()[0]
    database._db.execute(f"PRAGMA max_page_count={pages + 3}")
    first, second = served.connect(), served.connect()
    served.send(first, post(1, pad=3000))
    served.send(second, post(2, pad=30000))  # no room for both
    served.turn()
    for transport in (first, second):
        [(status, body)] = answers(transport)
        assert status == 507 and body["detail"].startswith("Insufficient storage")
    # Nothing of the group was applied, and the next write takes the next number.
    assert served.stored() == [] and served.harness.store.seq == seq
    database._db.execute("PRAGMA max_page_count=1073741823")
    again = served.connect()
    served.send(again, post(3))
    served.turn()
    assert answers(again) == [(200, {"id": event_id(3)})]
    assert served.harness.store.seq == seq + 1
    shutil.copytree(tmp_path / "data", tmp_path / "crashed")
    restarted = Harness(str(tmp_path / "crashed"), clock_at(2e9))
    assert [event.event_id for event in restarted.store.events()] == [event_id(3)]


def test_a_commit_that_fails_refuses_every_request_of_its_group(tmp_path):
    served = Served(str(tmp_path))
    journal = served.harness.journal
    committing = journal.commit_group

    def full_disk():
        journal.database._db.execute("ROLLBACK")  # what SQLite does on a full disk
        journal.database._staged = 0
        raise StorageFull("Insufficient storage: the disk is full; nothing was stored")

    journal.commit_group = full_disk
    first, second = served.connect(), served.connect()
    served.send(first, post(1))
    served.send(second, post(2))
    served.turn()
    assert [answers(first)[0][0], answers(second)[0][0]] == [507, 507]
    assert served.stored() == []
    journal.commit_group = committing
    served.send(first, post(1))
    served.turn()
    assert answers(first)[1] == (200, {"id": event_id(1)})
    assert served.stored() == [event_id(1)]
    served.harness.stop()


@pytest_twisted.ensureDeferred
async def test_another_write_in_the_same_turn_comes_after_the_group(tmp_path):
    served = Served(str(tmp_path))
    waiting = served.connect()
    served.send(waiting, post(1))
    release = await served.harness.api.request(
        "POST", "/api/0/organizations/parlel/releases/",
        json_body={"version": "2.0", "projects": ["parlel"]})
    assert release.code == 201
    # The group was committed and applied first: the event's record comes before the release's.
    assert answers(waiting) == [(200, {"id": event_id(1)})]
    [event] = served.harness.store.events()
    assert event.seq == served.harness.store.seq - 1
    served.harness.stop()


def test_a_request_behind_a_waiting_one_on_its_connection_is_answered_after_it(tmp_path):
    served = Served(str(tmp_path))
    transport = served.connect()
    served.send(transport, post(1))
    served.send(transport, post(2))
    served.turn()
    served.turn()
    assert answers(transport) == [(200, {"id": event_id(1)}), (200, {"id": event_id(2)})]
    assert served.stored() == [event_id(1), event_id(2)]
    served.harness.stop()


def test_a_stop_commits_and_answers_what_waits(tmp_path):
    served = Served(str(tmp_path / "data"))
    transport = served.connect()
    served.send(transport, post(1))
    served.harness.stop()
    assert answers(transport) == [(200, {"id": event_id(1)})]
    restarted = Harness(str(tmp_path / "data"), clock_at(2e9))
    assert [event.event_id for event in restarted.store.events()] == [event_id(1)]


def test_without_a_data_directory_the_answer_is_at_once(tmp_path):
    served = Served(str(tmp_path))
    served.harness.stop()
    served.harness.store.journal = MemoryOnly()  # as a server without --data-dir has
    transport = served.connect()
    served.send(transport, post(1))
    assert answers(transport) == [(200, {"id": event_id(1)})]
    assert served.stored() == [event_id(1)]


@pytest_twisted.ensureDeferred
async def test_a_request_behind_one_of_the_group_is_read_after_another_write(tmp_path):
    # The group's answers come while another write applies the group first: what waits behind
    # one of them on its connection is read on the next turn, not inside that write.
    served = Served(str(tmp_path / "data"))
    database = served.harness.journal.database
    transport = served.connect()
    served.send(transport, post(1))
    served.send(transport, post(2))
    release = await served.harness.api.request(
        "POST", "/api/0/organizations/parlel/releases/",
        json_body={"version": "2.0", "projects": ["parlel"]})
    assert release.code == 201
    assert not database._db.in_transaction
    assert answers(transport) == [(200, {"id": event_id(1)})]
    served.turn()
    assert answers(transport)[1] == (200, {"id": event_id(2)})
    events = {event.event_id: event.seq for event in served.harness.store.events()}
    assert events[event_id(1)] < served.committed()[-2] < events[event_id(2)]
    assert served.committed()[-1] == served.harness.store.seq
    shutil.copytree(tmp_path / "data", tmp_path / "crashed")
    restarted = Harness(str(tmp_path / "crashed"), clock_at(2e9))
    assert [event.event_id for event in restarted.store.events()] == [event_id(1), event_id(2)]
    assert restarted.store.releases.find(1, "2.0") is not None


def test_the_store_counts_only_what_it_applied(tmp_path):
    served = Served(str(tmp_path))
    seq = served.harness.store.seq
    served.send(served.connect(), post(1))
    served.send(served.connect(), post(2))
    assert served.harness.store.seq == seq  # what readers go by: the last record applied
    served.turn()
    assert served.harness.store.seq == seq + 2
    served.harness.stop()


def test_a_checkpoint_commits_and_applies_the_group_first(tmp_path):
    served = Served(str(tmp_path / "data"))
    transport = served.connect()
    served.send(transport, post(1))
    assert served.harness.journal.compact()
    assert answers(transport) == [(200, {"id": event_id(1)})]
    assert served.harness.journal.database.checkpoint_seq == served.harness.store.seq
    shutil.copytree(tmp_path / "data", tmp_path / "crashed")
    restarted = Harness(str(tmp_path / "crashed"), clock_at(2e9))
    assert [event.event_id for event in restarted.store.events()] == [event_id(1)]


@pytest_twisted.ensureDeferred
async def test_a_user_report_finds_its_event_of_the_same_turn(tmp_path):
    served = Served(str(tmp_path))
    served.send(served.connect(), post(1))
    answer = await served.harness.api.request(
        "POST", "/api/0/projects/parlel/parlel/user-feedback/",
        json_body={"event_id": event_id(1), "name": "Ann", "email": "ann@example.com",
                   "comments": "It broke"})
    assert answer.code == 200
    [feedback] = (await served.harness.api.request(
        "GET", "/api/0/projects/parlel/parlel/issues/?query=issue.category:feedback")).json()
    assert feedback["metadata"]["associated_event_id"] == event_id(1)
    served.harness.stop()


def test_a_watcher_that_writes_hears_of_the_group_once_all_of_it_is_applied(tmp_path):
    # As a test does that waits for an event and then resets the server: the reset comes
    # after every record of the group, as a replay applies them.
    served = Served(str(tmp_path / "data"))
    store = served.harness.store
    heard = []

    def stored(record):
        if isinstance(record, Event) and not heard:
            heard.append(list(served.stored()))
            store.unwatch(stored)
            store.reset(Reset(time=store.now(), seed=store.seed))

    store.watch(stored)
    first, second = served.connect(), served.connect()
    served.send(first, post(1))
    served.send(second, post(2))
    served.turn()
    assert heard == [[event_id(1), event_id(2)]]
    assert served.stored() == [] and served.committed() == [store.seq]
    shutil.copytree(tmp_path / "data", tmp_path / "crashed")
    restarted = Harness(str(tmp_path / "crashed"), clock_at(2e9))
    assert list(restarted.store.events()) == [] and restarted.store.seq == store.seq
