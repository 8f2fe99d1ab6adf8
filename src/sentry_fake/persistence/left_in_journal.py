"""
A handle to bytes left in a journal row: what the store holds for a payload rather than the
bytes, where the data directory keeps them.
"""

from __future__ import annotations

from typing import Any


class LeftInJournal:
    """
    Bytes of a journal row left in the database, read from it each time they are asked for.
    """

    __slots__ = ("_database", "_seq", "_offset", "_size")

    def __init__(self, database: Any, seq: int, offset: int, size: int) -> None:
        self._database, self._seq, self._offset, self._size = database, seq, offset, size

    def __len__(self) -> int:
        return self._size

    def load(self) -> bytes:
        return self._database.content(self._seq, self._offset, self._size)

    def part(self, offset: int, size: int) -> LeftInJournal:
        """
        The C{size} of these bytes from C{offset}, left in the journal too.
        """
        return LeftInJournal(self._database, self._seq, self._offset + offset, size)
