"""
The data directory's database: one SQLite file (the standard library's C{sqlite3}) holding the
journal of change records and the last checkpoint of the store.

Durability: the database is in WAL mode.  Each record is committed before its request is
answered, in a transaction of its own or with the hot path's other records of its turn of the
reactor (L{Database.stage}, L{Database.commit_group}), so a process that dies at any moment
(C{kill -9}, a crash) loses nothing acknowledged: committed transactions are in the WAL file,
which SQLite reads back at the next start.  By default (C{synchronous=NORMAL}) commits are not flushed to the disk
itself, so a power cut or a kernel crash can lose the last moments, never the consistency of
the file; with C{durable} (C{--fsync}) every commit is flushed (C{synchronous=FULL}) and
survives those too, at the cost of a disk flush per write.

SQLite copies the WAL into the database file now and then (a checkpoint of its own, which
flushes the file to the disk and can wait on it for a long while).  A server copies it in a
thread of its own instead (L{copy_wal}, with C{copy_wal_in_background}), so that a commit only
writes to the WAL; the thread that commits waits for the disk only for the moment it takes to
start a grown WAL over (L{restart_wal}: what the copy left, a few pages, and a flush).

A full or failing disk makes a commit fail: the transaction is rolled back, the record is not
applied, and the caller is told (L{StorageFull}, L{StorageUnavailable}); the next commit is
tried afresh, so writes work again once there is room.
"""

from __future__ import annotations

import os
import sqlite3
from itertools import chain
from typing import Any, Iterable, Iterator

from zope.interface import implementer

from .. import __version__
from ..errors import SentryFakeError, StorageFull, StorageUnavailable
from ..interfaces import IJournal
from ..jsoncodec import dumps, loads
from ..store.checkpoint import Checkpoint
from ..store.records import Ingested, Reset
from .codec import encode, payload_offsets
from .data_dir import FILENAME, FORMAT, check_data_dir
from .left_in_journal import LeftInJournal
from .wal import WalCopying

#: How much of the database file a load maps into memory at most.
LOAD_MMAP = 1 << 34

_INSERT = "INSERT INTO journal VALUES (?, ?, ?, ?)"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS journal (
    seq INTEGER PRIMARY KEY, kind TEXT NOT NULL, data BLOB NOT NULL, content BLOB);
CREATE TABLE IF NOT EXISTS parts (name TEXT PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS issues (id INTEGER PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS blobs (key TEXT PRIMARY KEY, data BLOB NOT NULL);
"""


def _refusal(error: sqlite3.Error, what: str) -> SentryFakeError:
    if getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL or "full" in str(error):
        return StorageFull(f"Insufficient storage: the data directory is full; {what}")
    return StorageUnavailable(f"The data directory cannot be written ({error}); {what}")


def _dead_runs(rows: Iterable[int], live: set[int]) -> list[tuple[int, int]]:
    """
    The rows (sequence numbers, ascending) that hold nothing live, as runs of consecutive rows
    (first, last): what old events leave behind is mostly one run, deleted in one statement.
    """
    runs: list[tuple[int, int]] = []
    first = last = None
    for seq in rows:
        if seq in live:
            if first is not None:
                runs.append((first, last))
                first = None
        else:
            if first is None:
                first = seq
            last = seq
    if first is not None:
        runs.append((first, last))
    return runs


@implementer(IJournal)
class Database(WalCopying):
    """
    The journal and checkpoint of one data directory.
    """

    def __init__(self, path: str, durable: bool = False) -> None:
        os.makedirs(path, mode=0o700, exist_ok=True)
        check_data_dir(path)
        self.path = os.path.join(path, FILENAME)
        if not os.path.exists(self.path):
            # Created private to its owner: it holds every event and client key secret.
            os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
        self._db: sqlite3.Connection | None = sqlite3.connect(
            self.path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
        self._db.executescript(_SCHEMA)
        self._db.execute("INSERT OR IGNORE INTO meta VALUES ('format', ?)", (str(FORMAT),))
        self._db.execute("INSERT OR REPLACE INTO meta VALUES ('version', ?)", (__version__,))
        self.checkpoint_seq = int(self._meta("checkpoint_seq") or 0)
        # Counted when first asked for, or by L{records} as it reads them (counting alone
        # reads every page of the journal's table).
        self._rows: int | None = None
        self._since_checkpoint: int | None = None
        #: The rows kept by the checkpoint (learnt while they are read) and the last row.
        self._kept: list[int] | None = None
        self.last_seq = self._count("SELECT coalesce(max(seq), 0) FROM journal")
        self._blobs = {key for (key,) in self._db.execute("SELECT key FROM blobs")}
        #: The connection L{copy_wal} uses (in the thread that calls it).
        self._copier: sqlite3.Connection | None = None
        self._durable = durable
        #: How many records L{stage} wrote into the transaction under way, and the last one.
        self._staged = 0
        self._staged_last = 0

    @property
    def rows(self) -> int:
        """
        How many rows the journal has.
        """
        if self._rows is None:
            self._rows = self._count("SELECT count(*) FROM journal")
        return self._rows

    @rows.setter
    def rows(self, value: int) -> None:
        self._rows = value

    @property
    def since_checkpoint(self) -> int:
        """
        How many rows of the journal came after the checkpoint.
        """
        if self._since_checkpoint is None:
            self._since_checkpoint = self._count(
                "SELECT count(*) FROM journal WHERE seq > ?", self.checkpoint_seq)
        return self._since_checkpoint

    @since_checkpoint.setter
    def since_checkpoint(self, value: int) -> None:
        self._since_checkpoint = value

    def _count(self, query: str, *args: Any) -> int:
        return self._connection().execute(query, args).fetchone()[0]

    def _meta(self, key: str) -> str | None:
        row = self._connection().execute("SELECT value FROM meta WHERE key = ?",
                                         (key,)).fetchone()
        return row[0] if row else None

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            raise StorageUnavailable("The server is stopping; nothing was stored")
        return self._db

    def _open_alone(self) -> sqlite3.Connection:
        """
        The connection, for a write of its own: never while a group (L{stage}) is open, which
        it would join, uncommitted.
        """
        db = self._connection()
        if self._staged or db.in_transaction:
            raise StorageUnavailable("A group of records is being written; nothing was stored")
        return db

    # Writing

    def append(self, seq: int, record: Any) -> None:
        kind, data, content = encode(record)
        db = self._open_alone()
        try:
            if isinstance(record, Reset):
                # A reset forgets everything before it, in the same transaction.
                db.execute("BEGIN IMMEDIATE")
                for table in ("journal", "parts", "issues", "blobs"):
                    db.execute(f"DELETE FROM {table}")
                db.execute("INSERT OR REPLACE INTO meta VALUES ('checkpoint_seq', '0')")
                db.execute(_INSERT, (seq, kind, data, content))
                db.execute("COMMIT")
                self.rows = self.since_checkpoint = 1
                self.checkpoint_seq, self.last_seq, self._kept = 0, seq, []
                self._blobs = set()
                return
            db.execute(_INSERT, (seq, kind, data, content))
        except sqlite3.Error as error:
            self._roll_back(db)
            raise _refusal(error, "nothing was stored")
        self.rows += 1
        self.since_checkpoint += 1
        self.last_seq = seq

    #: It commits records in groups (L{stage}, L{commit_group}).
    groups = True

    def stage(self, seq: int, record: Any) -> None:
        """
        Write a record into the transaction that L{commit_group} commits (begun by the first
        of its group).  A failure rolls the whole group back.
        """
        kind, data, content = encode(record)
        db = self._connection()
        try:
            if not db.in_transaction:
                db.execute("BEGIN")
            db.execute(_INSERT, (seq, kind, data, content))
        except sqlite3.Error as error:
            self._roll_back(db)
            raise _refusal(error, "nothing was stored")
        self._staged += 1
        self._staged_last = seq

    def commit_group(self) -> None:
        """
        Commit the records L{stage} wrote since the last group, all or none.
        """
        if not self._staged:
            return
        db = self._connection()
        staged, self._staged = self._staged, 0
        try:
            db.execute("COMMIT")
        except sqlite3.Error as error:
            self._roll_back(db)
            raise _refusal(error, "nothing was stored")
        self.rows += staged
        self.since_checkpoint += staged
        self.last_seq = self._staged_last

    def payloads_left(self, seq: int, record: Any) -> dict[int, LeftInJournal]:
        """
        Handles to the payloads of an L{Ingested} record committed as row C{seq}, by the id
        of their bytes (none for another record).
        """
        if type(record) is not Ingested:
            return {}
        return {id(blob): LeftInJournal(self, seq, offset, len(blob))
                for blob, offset in payload_offsets(record) if type(blob) is bytes}

    def _roll_back(self, db: sqlite3.Connection) -> None:
        self._staged = 0  # a group under way is rolled back with it
        if db.in_transaction:
            try:
                db.execute("ROLLBACK")
            except sqlite3.Error:
                pass

    def write_checkpoint(self, checkpoint: Checkpoint) -> None:
        """
        Replace the checkpoint with C{checkpoint} and drop the journal rows it makes
        redundant, in one transaction.

        @raise StorageFull: there was no room (the previous checkpoint and the journal stay).
        @raise StorageUnavailable: it could not be written otherwise.
        """
        db = self._open_alone()
        new_blobs = {key: data for key, data in checkpoint.blobs.items() if key not in self._blobs}
        gone_blobs = self._blobs - set(checkpoint.blobs)
        try:
            db.execute("BEGIN IMMEDIATE")
            db.executemany("INSERT OR REPLACE INTO parts VALUES (?, ?)",
                           [(name, dumps(part)) for name, part in checkpoint.parts.items()])
            db.executemany("INSERT OR REPLACE INTO issues VALUES (?, ?)", checkpoint.issues)
            db.executemany("DELETE FROM issues WHERE id = ?",
                           [(issue_id,) for issue_id in checkpoint.removed_issues])
            db.executemany("INSERT OR REPLACE INTO blobs VALUES (?, ?)", new_blobs.items())
            db.executemany("DELETE FROM blobs WHERE key = ?", [(key,) for key in gone_blobs])
            # The rows up to the checkpoint: those the last one kept, then every row after it.
            kept = self._kept
            if kept is None:
                kept = [seq for (seq,) in db.execute(
                    "SELECT seq FROM journal WHERE seq <= ? ORDER BY seq", (self.checkpoint_seq,))]
            rows = list(chain(kept, range(self.checkpoint_seq + 1, checkpoint.seq + 1)))
            dropped = 0
            for first, last in _dead_runs(rows, checkpoint.live):
                dropped += db.execute("DELETE FROM journal WHERE seq BETWEEN ? AND ?",
                                      (first, last)).rowcount
            db.execute("INSERT OR REPLACE INTO meta VALUES ('checkpoint_seq', ?)",
                       (str(checkpoint.seq),))
            db.execute("COMMIT")
        except sqlite3.Error as error:
            self._roll_back(db)
            raise _refusal(error, "the checkpoint was not written")
        self._blobs = (self._blobs | set(new_blobs)) - gone_blobs
        self._kept = [seq for seq in rows if seq in checkpoint.live]
        self.checkpoint_seq = checkpoint.seq
        self.rows -= dropped
        self.since_checkpoint = 0

    # Reading

    def checkpoint(self) -> tuple[int, dict[str, Any], Iterator[bytes], dict[str, bytes]] | None:
        """
        The last checkpoint: its sequence number, its parts, its issues (lazily) and the
        upload bytes; C{None} when there is none.
        """
        db = self._connection()
        parts = {name: loads(data, max_depth=None) for name, data in db.execute("SELECT name, data FROM parts")}
        if not parts:
            return None
        issues = (data for (data,) in db.execute("SELECT data FROM issues ORDER BY id"))
        blobs = dict(db.execute("SELECT key, data FROM blobs"))
        return self.checkpoint_seq, parts, issues, blobs

    def records(self) -> Iterator[tuple[int, str, bytes, Any]]:
        """
        Every journal row, oldest first, read as it is used (not all at once): its sequence
        number, kind, document and bytes.  The bytes are left in the file and come as a
        L{LeftInJournal} handle (C{None} for a row without any): the events and items a start
        takes back, from the checkpoint or by applying a record again, hold the handle and
        read their payloads when asked for, as those a running server stores do
        (L{payloads_left}).
        """
        db = self._connection()
        # Read through a memory map while loading: fewer copies of the file's pages.
        db.execute(f"PRAGMA mmap_size={LOAD_MMAP}")
        kept: list[int] = []
        upto = self.checkpoint_seq
        rows = 0
        try:
            for seq, kind, data, size in db.execute(
                    "SELECT seq, kind, data, length(content) FROM journal ORDER BY seq"):
                rows += 1
                if seq <= upto:
                    kept.append(seq)
                yield seq, kind, data, None if size is None else LeftInJournal(self, seq, 0, size)
            self._kept = kept
            self.rows, self.since_checkpoint = rows, rows - len(kept)
        finally:
            if self._db is not None:
                self._db.execute("PRAGMA mmap_size=0")

    def content(self, seq: int, offset: int, size: int) -> bytes:
        """
        C{size} bytes from C{offset} of the bytes of journal row C{seq} (none if the row is
        gone: what it held left the store first).

        @raise StorageUnavailable: the database is closed.
        """
        row = self._connection().execute(
            "SELECT substr(content, ?, ?) FROM journal WHERE seq = ?",
            (offset + 1, size, seq)).fetchone()
        return row[0] if row is not None and row[0] is not None else b""

    def close(self) -> None:
        """
        Close the database (the last connection to close copies the WAL into the file).
        """
        if self._copier is not None:
            self._copier.close()
            self._copier = None
        if self._db is not None:
            self._db.close()
            self._db = None

