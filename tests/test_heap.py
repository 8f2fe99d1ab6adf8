"""
The heap freezer: stored records leave the collector's way in batches.
"""

import gc

from twisted.internet.task import Clock

from sentry_fake.heap import HeapFreezer
from sentry_fake.store.service import StoreService
from records import ingest, reset


def test_freezes_only_after_a_batch_of_stores(monkeypatch):
    frozen, collected = [], []
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(True))
    monkeypatch.setattr(gc, "collect", lambda: collected.append(len(frozen)))
    clock = Clock()
    store = StoreService(clock)
    freezer = HeapFreezer(store, interval=1, batch=3, clock=clock)
    freezer.startService()
    try:
        # At start: whatever a data directory loaded, frozen without walking it first.
        assert frozen == [True] and collected == []
        project = store.directory.project_by_id(1)
        for n in range(2):
            ingest(store, {"message": f"m{n}"}, project.id, b"{}")
        clock.advance(1)
        assert frozen == [True]
        ingest(store, {"message": "m3"}, project.id, b"{}")
        clock.advance(1)
        assert frozen == [True, True] and collected == [1]
        clock.advance(1)
        assert frozen == [True, True]
        reset(store)
        for n in range(3):
            ingest(store, {"message": f"again {n}"}, project.id, b"{}")
        clock.advance(1)
        assert frozen == [True, True, True]
    finally:
        freezer.stopService()


def test_collects_the_youngest_generation_less_often_while_running():
    before = gc.get_threshold()
    freezer = HeapFreezer(StoreService(Clock()), clock=Clock())
    freezer.startService()
    try:
        running = gc.get_threshold()
        assert running[0] == max(HeapFreezer.young, before[0]) and running[0] > 700
        assert running[1:] == before[1:]
    finally:
        freezer.stopService()
    assert gc.get_threshold() == before
