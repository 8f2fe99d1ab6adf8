"""
Where the store keeps the payloads of its events (and of the items that are an event's
payload): one after another in large blocks of memory, instead of one allocation each.

A stored payload is the bulk of what an event costs (about 6 KB of an SDK error's 9), and a
server that keeps taking events in keeps touching memory it never touched before: on a virtual
machine each new page of it costs the kernel more than the work that fills it.  A block is
mapped at once and, where the system allows, backed by huge pages (one fault for 2 MB instead
of one for every 4 KB).  A block whose payloads have all left the store (evicted, removed) is
used again, so a store at its limit touches no new memory at all.

A payload in a block is held as a L{Kept} handle (what L{sentry_fake.store.models} calls a
payload left elsewhere): C{load()} copies its bytes out, C{len()} is its size, and C{release()}
says one holder of it is done with it.
"""

from __future__ import annotations

import mmap
from typing import Any

#: How large a block is, and the largest payload kept in one (a larger one is kept as it is).
BLOCK = 32 << 20
LARGEST = 1 << 20
_PRIVATE = getattr(mmap, "MAP_PRIVATE", 0) | getattr(mmap, "MAP_ANONYMOUS", 0)


class _Block:
    __slots__ = ("memory", "used", "live")

    def __init__(self) -> None:
        # Private: shared anonymous memory is backed by huge pages only if the system says
        # so for shared memory, which it seldom does.
        self.memory = mmap.mmap(-1, BLOCK, flags=_PRIVATE) if _PRIVATE else mmap.mmap(-1, BLOCK)
        if hasattr(mmap, "MADV_HUGEPAGE"):
            try:
                self.memory.madvise(mmap.MADV_HUGEPAGE)
            except OSError:
                pass  # not on this system: ordinary pages
        self.used = 0
        #: How many payloads in it are still held.
        self.live = 0


class Kept:
    """
    One payload in a block, or, once one of its holders let go while others still hold it,
    in bytes of its own: a place in a block is held only while all its holders are.
    """

    __slots__ = ("_block", "_offset", "_size", "_holders", "_own")

    def __init__(self, block: _Block, offset: int, size: int) -> None:
        self._block, self._offset, self._size = block, offset, size
        self._holders = 1
        self._own: bytes | None = None

    def __len__(self) -> int:
        return self._size

    def load(self) -> bytes:
        if self._own is not None:
            return self._own
        return self._block.memory[self._offset:self._offset + self._size]

    def release(self) -> None:
        """
        One holder of the payload is done with it.  Its place in the block is left to others
        at once: those that still hold it hold a copy from now on (an event's item that stays
        after its event, or the other way round, keeps no block for it).
        """
        self._holders -= 1
        if self._own is None:
            if self._holders > 0:
                self._own = self.load()
            self._block.live -= 1


class PayloadArena:
    """
    The blocks of one store's event payloads.  Events leave the store oldest first, so a
    block's payloads leave it together and the block is used again soon after; items, which
    come and go at other rates, would keep whole blocks for one payload each, and share only
    their event's payload.  (Nothing in a block refers back to the arena: a store's state
    forms no reference cycles, and is freed as soon as it is let go.)
    """

    def __init__(self) -> None:
        self._current: _Block | None = None
        #: The blocks filled before the current one, whose payloads may still be held.
        self._filled: list[_Block] = []
        #: The last payload put, and where: an item that is that event's payload shares it.
        self._last: tuple[Any, Kept] | None = None

    def put(self, data: Any) -> Any:
        """
        A handle to an event's payload C{data} kept in a block (C{data} itself when it is not
        bytes, or too large to keep in one).
        """
        if type(data) is not bytes:
            return data
        size = len(data)
        if size > LARGEST:
            return data
        block = self._current
        if block is None or block.used + size > BLOCK:
            block = self._next_block()
        offset = block.used
        block.memory[offset:offset + size] = data
        block.used += size
        block.live += 1
        kept = Kept(block, offset, size)
        self._last = (data, kept)
        return kept

    def share(self, data: Any) -> Any:
        """
        The handle of the payload put last if C{data} is those very bytes (an event's item:
        one payload, with one more holder), else C{data} itself.
        """
        last = self._last
        if last is not None and last[0] is data and last[1]._holders > 0:
            last[1]._holders += 1
            return last[1]
        return data

    def _next_block(self) -> _Block:
        """
        A block to fill: a filled one none of whose payloads is held any more, or a new one.
        Of the others no longer holding anything, one is kept for later and the rest are
        given back to the system.
        """
        if self._current is not None:
            self._filled.append(self._current)
        free = [block for block in self._filled if block.live == 0]
        if free:
            self._filled = [block for block in self._filled if block.live]
            block = free.pop()
            for spare in free[1:]:
                spare.memory.close()
            self._filled.extend(free[:1])
            block.used = 0
        else:
            block = _Block()
        self._current = block
        return block
