"""
What a data directory holds, and whether this version can use it: one SQLite database in a
layout of a known format, never an older version's files guessed at.
"""

from __future__ import annotations

import os
import sqlite3

from .. import __version__
from ..errors import SentryFakeError

FILENAME = "sentry-fake.sqlite3"
#: The layout of the database; a file of another layout is refused, never guessed at.
FORMAT = 2
#: What an older version kept in a data directory (never read: a pickle is not loaded).
LEGACY_FILES = ("journal.sfj", "snapshot.pickle")


class DataDirError(SentryFakeError):
    """
    The data directory cannot be used (written by another version, unreadable, ...).
    """


def check_data_dir(path: str) -> None:
    """
    Refuse a data directory this version cannot use, with a sentence saying why.

    @raise DataDirError: it holds an older version's files, or a database of another format.
    """
    for name in LEGACY_FILES:
        if os.path.exists(os.path.join(path, name)):
            raise DataDirError(
                f"{path} holds {name}, the state of an older sentry-fake, which this version "
                f"({__version__}) cannot read; move it away or empty the directory")
    database = os.path.join(path, FILENAME)
    if not os.path.exists(database):
        return
    try:
        connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
        try:
            rows = dict(connection.execute("SELECT key, value FROM meta").fetchall())
        finally:
            connection.close()
    except sqlite3.Error as error:
        raise DataDirError(f"{database} is not a sentry-fake database ({error})")
    if rows.get("format") != str(FORMAT):
        raise DataDirError(
            f"{database} was written by sentry-fake {rows.get('version', 'unknown')} in data "
            f"format {rows.get('format', 'unknown')}; this version ({__version__}) reads "
            f"format {FORMAT} only")
