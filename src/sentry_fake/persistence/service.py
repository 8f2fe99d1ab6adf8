"""
C{--data-dir}: the service that keeps the store's change records on disk.

At start it loads the last checkpoint and replays the records that came after it, before any
request is served; while running it is the store's journal (every record is committed before it
is applied, so before its request is answered) and takes a new checkpoint whenever the journal
has grown past twice what the state needs, or what came after the last checkpoint past half of
it (see L{JournalService._due}); on a clean stop it takes a last checkpoint and
closes the database.  Records carry their own ids and times, so a replay is deterministic by
construction, and the options of today's start never judge yesterday's writes again.

Under a reactor, SQLite's own copying of its write-ahead log into the database file (which waits
on the disk) runs in a thread of the service's, every L{WAL_INTERVAL} seconds, so that requests
do not wait for the disk (but for a moment when a grown WAL is started over).
"""

from __future__ import annotations

import gc
import time
from functools import partial
from threading import Thread
from typing import Any

from twisted.application.service import Service
from twisted.internet.defer import Deferred, succeed
from twisted.internet.interfaces import IReactorThreads
from twisted.internet.task import LoopingCall
from twisted.internet.threads import deferToThreadPool
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.python.threadpool import ThreadPool
from zope.interface import implementer

from ..errors import SentryFakeError, StorageUnavailable
from ..interfaces import IJournal
from ..store import checkpoint
from ..store.records import Ingested, Reset
from .codec import decode
from .database import Database

#: A journal is compacted once it holds more than twice this many rows, at the least.
FLOOR = 10_000
#: How often, in seconds, the WAL is copied into the database file in the background.
WAL_INTERVAL = 0.5


class _DaemonPool(ThreadPool):
    """
    A thread pool whose threads do not keep the process alive: an embedding process that exits
    without stopping the service must not wait for the WAL's thread (SQLite's copy is safe to
    cut short: the WAL stays whole).
    """

    threadFactory = partial(Thread, daemon=True)


@implementer(IJournal)
class Closed:
    """
    The journal of a store whose data directory is closed (the server is stopping).
    """

    groups = False

    def append(self, seq: int, record: Any) -> None:
        raise StorageUnavailable("The server is stopping; nothing was stored")

    stage = append

    def commit_group(self) -> None:
        raise StorageUnavailable("The server is stopping; nothing was stored")

    def payloads_left(self, seq: int, record: Any) -> dict[int, Any]:
        return {}


@implementer(IJournal)
class JournalService(Service):
    """
    The data directory of one store: its journal while running, its checkpoint at the end.
    """

    name = "journal"
    log = Logger()

    def __init__(self, store: Any, path: str, clock: Any, durable: bool = False,
                 floor: int = FLOOR) -> None:
        self.store = store
        self.path = path
        self.durable = durable
        self.clock = clock
        self.floor = floor
        self.database: Database | None = None
        self._compaction: Any = None
        self._next_try = 0
        #: The thread that copies the WAL (under a reactor only), its timer and its copy.
        self._wal_pool: ThreadPool | None = None
        self._wal_timer: LoopingCall | None = None
        self._wal_copy: Deferred[Any] | None = None
        self._wal_failing = False

    # Start: load, then journal

    def startService(self) -> None:
        super().startService()
        self.database = Database(self.path, self.durable)
        self.store.track_changes()
        self._load(self.database)
        self.store.journal = self
        if self.database.rows == 0 and self.database.checkpoint_seq == 0:
            # A new data directory: its first record is the seed it starts from.
            self.store.reset(Reset(time=self.store.now(), seed=self.store.seed))
        elif self._due():
            self.compact()
        if IReactorThreads.providedBy(self.clock):
            self._copy_wal_in_background()

    def _copy_wal_in_background(self) -> None:
        assert self.database is not None
        self.database.copy_wal_in_background()
        self._wal_pool = _DaemonPool(1, 1, name="sentry-fake-wal")
        self._wal_pool.start()
        self._wal_timer = LoopingCall(self._copy_wal)
        self._wal_timer.clock = self.clock
        self._wal_timer.start(WAL_INTERVAL, now=False)

    def _copy_wal(self) -> None:
        database, pool = self.database, self._wal_pool
        if self._wal_copy is not None or database is None or pool is None:
            return

        def copied(result: Any) -> None:
            self._wal_copy = None
            if isinstance(result, Failure):
                if not self._wal_failing:  # said once, not every half second
                    self.log.failure("could not copy the WAL of {path} into it (tried again "
                                     "every {interval} s)", result, path=database.path,
                                     interval=WAL_INTERVAL)
                self._wal_failing = True
                return
            self._wal_failing = False
            if self.database is database:
                # The WAL is started over outside of any transaction: the records of this turn
                # are committed first (this runs before the turn's own end).
                self.store.flush()
                database.restart_wal(*result)

        self._wal_copy = deferToThreadPool(self.clock, pool, database.copy_wal)
        self._wal_copy.addBoth(copied)

    def _load(self, database: Database) -> None:
        # Loading makes millions of objects and frees none: the cyclic collector would walk
        # them over and over for nothing.
        collecting = gc.isenabled()
        gc.disable()
        try:
            self._load_all(database)
        finally:
            if collecting:
                gc.enable()

    def _load_all(self, database: Database) -> None:
        started = time.monotonic()
        store = self.store
        found = database.checkpoint()
        index, upto = None, 0
        if found is not None:
            upto, parts, issues, blobs = found
            index = checkpoint.load(store, upto, parts, issues, blobs)
        kept = replayed = refused = 0
        restoring = index is not None
        latest = float("-inf")
        for seq, kind, data, content in database.records():
            record = decode(kind, data, content)
            moment = getattr(record, "time", None)
            if isinstance(moment, (int, float)) and moment > latest:
                latest = moment
            if seq <= upto:
                if index is not None and isinstance(record, Ingested):
                    checkpoint.restore_content(store, seq, record, index)
                    kept += 1
                continue
            if restoring:
                checkpoint.restored(store, index)
                restoring = False
            try:
                store.replay(seq, record)
            except SentryFakeError as error:
                # Refused when it was written too, so it changed nothing then either.
                refused += 1
                self.log.warn("journal record {seq} ({kind}) was refused on replay: {detail}",
                              seq=seq, kind=kind, detail=error.detail)
            except Exception:
                # A record this version cannot apply must not keep the rest from loading.
                refused += 1
                self.log.failure("journal record {seq} ({kind}) could not be applied",
                                 seq=seq, kind=kind)
            replayed += 1
            store.seq = seq
        if restoring:
            checkpoint.restored(store, index)
        # New records come after these, even if the clock is behind them now.
        store.resume_time(latest)
        if found is not None:
            store.seq = max(store.seq, upto)
        self.log.info(
            "loaded {path}: {events} events, {issues} issues ({kept} records from the "
            "checkpoint, {replayed} replayed) in {seconds:.2f} s", path=database.path,
            events=len(store.events()), issues=store.issue_count(), kept=kept,
            replayed=replayed, seconds=time.monotonic() - started)

    # Running: the store's journal

    def append(self, seq: int, record: Any) -> None:
        if self.database is None:
            raise StorageUnavailable("The server is stopping; nothing was stored")
        self.database.append(seq, record)
        self._compact_if_due()

    @property
    def groups(self) -> bool:
        return self.database is not None

    def stage(self, seq: int, record: Any) -> None:
        if self.database is None:
            raise StorageUnavailable("The server is stopping; nothing was stored")
        self.database.stage(seq, record)

    def commit_group(self) -> None:
        if self.database is None:
            raise StorageUnavailable("The server is stopping; nothing was stored")
        self.database.commit_group()
        self._compact_if_due()

    def _compact_if_due(self) -> None:
        if self._compaction is None and self._due():
            self._compaction = self.clock.callLater(0, self._compact_later)

    def payloads_left(self, seq: int, record: Any) -> dict[int, Any]:
        return self.database.payloads_left(seq, record) if self.database is not None else {}

    def _due(self) -> bool:
        """
        Whether a checkpoint is due: the journal holds more than twice the rows the state needs
        (old records make a start read more than it keeps), or the records after the last
        checkpoint are more than half the state (a start after a kill would apply them one by
        one, which costs more than taking the checkpoint's back).  Both grow geometrically, so
        checkpoints come less and less often as the state grows.
        """
        database = self.database
        if database is None or database.since_checkpoint == 0:
            return False
        live = max(len(self.store.events()), len(self.store.items()), self.floor)
        return database.rows >= self._next_try and (
            database.rows > 2 * live or database.since_checkpoint > live // 2)

    def _compact_later(self) -> None:
        self._compaction = None
        if self.database is not None and self._due():
            self.compact()

    def compact(self) -> bool:
        """
        Write a checkpoint of the store now and drop the records it makes redundant.

        @return: whether it was written (a full disk, say, leaves the journal as it was).
        """
        database = self.database
        if database is None:
            return False
        # What waits for the end of this turn is committed and applied first: the checkpoint
        # is of the state the journal holds.
        self.store.flush()
        started = time.monotonic()
        collecting = gc.isenabled()
        gc.disable()
        try:
            taken = checkpoint.take(self.store, everything=database.checkpoint_seq == 0)
            # What left the store and is still held reads its payload before its row goes.
            self.store.hold_departed()
            database.write_checkpoint(taken)
        except Exception as error:
            # The journal still holds everything: try again once it has grown a little more.
            self._next_try = int(database.rows * 1.1) + 1
            self.log.error("could not write a checkpoint to {path}: {detail}",
                           path=database.path,
                           detail=getattr(error, "detail", None) or repr(error))
            return False
        finally:
            if collecting:
                gc.enable()
        checkpoint.taken(self.store, taken)
        self._next_try = 0
        self.log.info("checkpoint of {path} at record {seq}: {rows} rows left, in {seconds:.2f} s",
                      path=database.path, seq=taken.seq, rows=database.rows,
                      seconds=time.monotonic() - started)
        return True

    # Stop: checkpoint, close

    def stopService(self) -> Any:
        super().stopService()
        # The records of this turn are committed and answered before the journal closes.
        self.store.flush()
        if self._compaction is not None and self._compaction.active():
            self._compaction.cancel()
        self._compaction = None
        self.store.journal = Closed()
        if self._wal_timer is not None and self._wal_timer.running:
            self._wal_timer.stop()
        self._wal_timer = None
        # A copy of the WAL under way finishes first: the database closes after it.
        copying = self._wal_copy if self._wal_copy is not None else succeed(None)
        return copying.addBoth(lambda _: self._close())

    def _close(self) -> None:
        database = self.database
        if database is not None:
            if database.since_checkpoint:
                self.compact()
            database.close()
            self.database = None
        if self._wal_pool is not None:
            self._wal_pool.stop()
            self._wal_pool = None
