"""
Keep Python's cyclic garbage collector from pausing the server in proportion to what it stores.

A full collection walks every tracked object, so with a hundred thousand stored events each one
costs hundreds of milliseconds and shows up as latency spikes.  The stored records form no
reference cycles (they are freed by reference counting when evicted or reset), so after each
batch of stores they are moved to the collector's permanent generation with C{gc.freeze()} and
never walked again.  Only a daemon built by C{twistd} runs this; an embedding process keeps its
own collector settings.

The youngest generation is also collected less often than Python's default (every 700 more
tracked objects than were freed): decoding one event's JSON makes a few hundred objects that
live until its request is answered, and a collection in the middle of one walks them for
nothing.  With a higher threshold a collection rarely meets one in flight.
"""

from __future__ import annotations

import gc
from typing import Any

from twisted.application.internet import TimerService
from twisted.logger import Logger


class HeapFreezer(TimerService):
    """
    Every C{interval} seconds, if the store grew by at least C{batch} records since the last
    time, collect what is garbage now and freeze the rest.  The first time is at start, so what
    a data directory loaded is frozen before the first request (without a collection first:
    loading makes next to no garbage).
    """

    log = Logger()
    #: The youngest generation's threshold while running (the older ones are left as they are).
    young = 20_000

    def __init__(self, store: Any, interval: float = 0.5, batch: int = 500,
                 clock: Any = None) -> None:
        super().__init__(interval, self.tick)
        if clock is not None:
            self.clock = clock
        self._store = store
        self._batch = batch
        self._seen: int | None = None
        self._thresholds: tuple[int, ...] | None = None

    def startService(self) -> None:
        self._thresholds = gc.get_threshold()
        gc.set_threshold(max(self.young, self._thresholds[0]), *self._thresholds[1:])
        super().startService()

    def stopService(self) -> Any:
        if self._thresholds is not None:
            gc.set_threshold(*self._thresholds)
            self._thresholds = None
        return super().stopService()

    def tick(self) -> bool:
        stored = self._store.stored_total
        if self._seen is not None and stored - self._seen < self._batch:
            return False
        first, self._seen = self._seen is None, stored
        if not first:
            # At start (what a data directory loaded, with the collector off) there is next to
            # no garbage, and a full collection would walk every loaded record once for it.
            gc.collect()
        gc.freeze()
        return True
