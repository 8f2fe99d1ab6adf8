"""
What left the store while its payload was left in a journal row: the row goes at the next
checkpoint, and whoever still holds such an event or item (a page or a stream under way) must
still read its payload then.
"""

from __future__ import annotations

import weakref
from typing import Any


class LeftBehind:
    """
    The events and items that left the store with their payloads left in the journal, held
    weakly: one nobody holds any more is freed as it leaves, its payload never read back.
    Called as a log's C{on_leave}.
    """

    __slots__ = ("_left", "_prune_at", "_pruned_at")

    def __init__(self, prune_at: int = 100_000) -> None:
        self._left: list[weakref.ref[Any]] = []
        #: How many it notes before it forgets those freed since (until the next checkpoint,
        #: which may fail for a while on a full disk).
        self._prune_at = self._pruned_at = prune_at

    def __call__(self, record: Any) -> None:
        if record.payload_left:
            left = self._left
            left.append(weakref.ref(record))
            if len(left) >= self._pruned_at:
                left[:] = [ref for ref in left if ref() is not None]
                self._pruned_at = len(left) + self._prune_at

    def hold(self) -> None:
        """
        Have those still held somewhere hold their payloads themselves, read from the rows
        that are about to go.
        """
        left, self._left = self._left, []
        self._pruned_at = self._prune_at
        for ref in left:
            record = ref()
            if record is not None:
                record.hold_payload()
