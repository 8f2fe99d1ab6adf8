"""
What left the store while its payload was left in a journal row: the row goes at the next
checkpoint, and whoever still holds such an event or item (a page or a stream under way) must
still read its payload then.
"""

from __future__ import annotations

import weakref
from typing import Any


class Departed:
    """
    The events and items that left the store with their payloads left in the journal, held
    weakly: one nobody holds any more is freed as it leaves, its payload never read back.
    Called as a log's C{on_leave}.
    """

    __slots__ = ("_noted", "_prune_step", "_next_prune")

    def __init__(self, prune_step: int = 100_000) -> None:
        self._noted: list[weakref.ref[Any]] = []
        #: Every this many more noted, those freed since are forgotten (until the next
        #: checkpoint, which may fail for a while on a full disk).
        self._prune_step = self._next_prune = prune_step

    def __call__(self, record: Any) -> None:
        if record.payload_left:
            noted = self._noted
            noted.append(weakref.ref(record))
            if len(noted) >= self._next_prune:
                noted[:] = [ref for ref in noted if ref() is not None]
                self._next_prune = len(noted) + self._prune_step

    def hold(self) -> None:
        """
        Have those still held somewhere hold their payloads themselves, read from the rows
        that are about to go.
        """
        noted, self._noted = self._noted, []
        self._next_prune = self._prune_step
        for done, ref in enumerate(noted):
            record = ref()
            if record is None:
                continue
            try:
                record.hold_payload()
            except BaseException:
                # Not read (the database failing, say): the rest are noted still.
                self._noted[:0] = noted[done:]
                raise
