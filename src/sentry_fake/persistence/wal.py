"""
Keeping the WAL of the data directory's database from growing for good: SQLite's copy of it into
the database file, done in a thread of its own, and its start over once it has grown.
"""

from __future__ import annotations

import sqlite3
from typing import Any

#: How many pages the WAL must hold, and how few a background copy may have left, for the WAL
#: to be finished and started over (L{WalCopying.restart_wal}): about 32 MiB, and 4 MiB.
WAL_RESTART_PAGES = 8192
WAL_LEFT_PAGES = 1024


class WalCopying:
    """
    The WAL's upkeep, for L{sentry_fake.persistence.database.Database}: its C{path}, its
    C{_durable} setting, its connection (C{_connection()}), a group under way (C{_staged}), and
    C{_copier}, the connection of the thread that copies.
    """

    path: str
    _durable: bool
    _staged: int
    _copier: sqlite3.Connection | None
    _connection: Any

    def copy_wal_in_background(self) -> None:
        """
        Leave copying the WAL into the database file to L{copy_wal} (called in another thread),
        instead of doing it in the middle of a commit now and then.
        """
        self._connection().execute("PRAGMA wal_autocheckpoint=0")

    def copy_wal(self) -> tuple[int, int]:
        """
        Copy what the WAL holds into the database file, without keeping writers waiting (SQLite's
        passive checkpoint), on a connection of its own: this is called in a thread, and
        returns once the disk has the copy.

        @return: how many pages the WAL held, and how many of them it did not copy.
        """
        if self._copier is None:
            self._copier = sqlite3.connect(self.path, isolation_level=None,
                                           check_same_thread=False)
            self._copier.execute(f"PRAGMA synchronous={'FULL' if self._durable else 'NORMAL'}")
        _, pages, copied = self._copier.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return max(pages, 0), max(pages - copied, 0)

    def restart_wal(self, pages: int, left: int) -> bool:
        """
        Once the WAL holds L{WAL_RESTART_PAGES} pages and a copy (L{copy_wal}, which never
        catches up with a steady stream of commits) left at most L{WAL_LEFT_PAGES} of them,
        copy the rest and start the WAL over from its beginning, here and now: commits wait
        for that moment (a few pages and a flush), and the WAL does not grow for good.  Called
        between copies, in the thread that commits.

        @param pages: how many pages the WAL held at the last copy.
        @param left: how many of them that copy left.
        @return: whether the WAL was started over.
        """
        if pages < WAL_RESTART_PAGES or left > WAL_LEFT_PAGES or self._staged:
            return False
        try:
            busy, _, _ = self._connection().execute(
                "PRAGMA wal_checkpoint(RESTART)").fetchone()
        except sqlite3.Error:
            return False  # tried again after the next copy
        return not busy
