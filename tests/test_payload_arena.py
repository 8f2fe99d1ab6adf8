"""
The payload arena: payloads kept one after another in large blocks, read back as they came,
their place used again once everything in a block has left the store.
"""

import gc
import json
import weakref

import pytest
import pytest_twisted
from twisted.internet.task import Clock

from sentry_fake.store import payload_arena
from sentry_fake.store.payload_arena import PayloadArena
from sentry_fake.store.service import StoreService

from scenario import AUTH, Harness, envelope, event_item


@pytest.fixture
def small_blocks(monkeypatch):
    monkeypatch.setattr(payload_arena, "BLOCK", 1000)
    monkeypatch.setattr(payload_arena, "LARGEST", 400)


def test_a_payload_reads_back_as_it_came_and_says_its_size(small_blocks):
    arena = PayloadArena()
    payloads = [bytes([n]) * (50 + n) for n in range(40)]  # spans several blocks
    kept = [arena.put(data) for data in payloads]
    assert [held.load() for held in kept] == payloads
    assert [len(held) for held in kept] == [len(data) for data in payloads]
    assert arena.put("not bytes") == "not bytes"
    large = b"x" * 401
    assert arena.put(large) is large  # kept as it is


def test_an_item_that_is_the_last_events_payload_shares_its_place(small_blocks):
    arena = PayloadArena()
    data = b"event payload"
    first = arena.put(data)
    assert arena.share(data) is first
    other = (data + b"!")[:-1]  # equal, but other bytes: not shared, kept as they are
    assert arena.share(other) is other
    # Once every holder let go, the place may be another's: nothing shares it any more.
    first.release()
    first.release()
    assert arena.share(data) is data


def test_a_block_is_used_again_once_all_its_payloads_are_released(small_blocks):
    arena = PayloadArena()
    first_block = [arena.put(bytes([1]) * 300) for _ in range(3)]  # 900 bytes: one block
    later = arena.put(bytes([2]) * 300)  # opens a second block
    assert later._block is not first_block[0]._block
    for held in first_block[:2]:
        held.release()
    # Still held: the block keeps its payloads.
    assert first_block[2].load() == bytes([1]) * 300
    first_block[2].release()
    more = [arena.put(bytes([3]) * 300) for _ in range(3)]  # fills the second block, then...
    assert more[-1]._block is first_block[0]._block  # ...the first one, free again
    assert later.load() == bytes([2]) * 300 and more[-1].load() == bytes([3]) * 300


def test_a_payload_leaves_its_block_when_one_of_its_holders_lets_go(small_blocks):
    arena = PayloadArena()
    data = bytes([7]) * 300
    shared = arena.put(data)
    assert arena.share(data) is shared
    fillers = [arena.put(bytes([8]) * 300) for _ in range(2)]  # the first block is full
    for held in [shared, *fillers]:
        held.release()  # shared: one of its two holders (an event that left, say)
    # The first block holds nothing now: it is used again, and the one still holding the
    # payload (its item) reads its own copy.
    again = [arena.put(bytes([9]) * 300) for _ in range(3)]
    assert again[0]._block is shared._block
    assert shared.load() == data and again[0].load() == bytes([9]) * 300
    live = shared._block.live
    shared.release()  # the last holder: it held a copy, and the block is not touched
    assert shared._block.live == live == 3


def test_free_blocks_past_one_spare_go_back_to_the_system(small_blocks):
    arena = PayloadArena()
    kept = [arena.put(bytes([n]) * 400) for n in range(8)]  # two a block: four blocks
    for held in kept:
        held.release()
    arena.put(b"x" * 400)  # a fifth block is due: one free block is used, one kept spare
    live_blocks = {id(block) for block in arena._filled} | {id(arena._current)}
    closed = [held._block for held in kept if id(held._block) not in live_blocks]
    assert len(live_blocks) == 2 and len({id(block) for block in closed}) == 2
    assert all(block.memory.closed for block in closed)


def test_items_that_come_and_go_do_not_hold_blocks_for_events_that_stay():
    clock = Clock()
    clock.advance(1_795_000_000)
    store = StoreService(clock, max_events=50)
    # An event, then a stream of other items (as a client sending logs or sessions does).
    for round_ in range(20):
        store_event(store, json.dumps({"message": f"m{round_}"}).encode())
        for n in range(30):
            store_item(store, "attachment", bytes([n]) * 20_000)
    assert not any(isinstance(item._payload, payload_arena.Kept) for item in store.items()
                   if item.type == "attachment")
    assert store.payloads._current is not None and not store.payloads._filled


def test_an_item_kept_after_its_event_holds_no_block(monkeypatch):
    # Events sent to the store endpoint bring no item; an envelope's event does. The items
    # then stay far longer than the events: each would keep a block for its event's payload.
    monkeypatch.setattr(payload_arena, "BLOCK", 4000)
    clock = Clock()
    clock.advance(1_795_000_000)
    store = StoreService(clock, max_events=20)
    from sentry_fake.ingest.batch import IngestBatch

    for n in range(400):
        payload = json.dumps({"message": f"m{n}", "pad": "x" * 300}).encode()
        if n % 10 == 0:
            store_event(store, payload)
        else:
            batch = IngestBatch(store, 1, "parlel", False, "127.0.0.1")
            batch.event(json.loads(payload), payload)
            batch.commit()
    arena = store.payloads
    blocks = [arena._current, *arena._filled]
    held = sum(len(event.raw) for event in store.events())
    assert len(blocks) <= held // 4000 + 3
    assert [json.loads(item.payload)["message"] for item in store.items()][-1] == "m390"


def test_an_arena_let_go_is_freed_without_the_cyclic_collector(small_blocks):
    # A daemon freezes what it stores out of the collector's reach: its state must not
    # need the collector to be freed.
    arena = PayloadArena()
    kept = [arena.put(bytes([n]) * 300) for n in range(5)]
    memories = [weakref.ref(held._block.memory) for held in kept]
    collecting = gc.isenabled()
    gc.disable()
    try:
        del arena, kept
        assert [memory() for memory in memories] == [None] * 5
    finally:
        if collecting:
            gc.enable()


def test_the_store_keeps_payloads_in_its_arena_and_evicted_ones_in_their_own_bytes():
    clock = Clock()
    clock.advance(1_795_000_000)
    store = StoreService(clock, max_events=3)
    for n in range(5):
        store_event(store, json.dumps({"message": f"m{n}"}).encode())
    kept = list(store.events())
    assert [json.loads(event.raw)["message"] for event in kept] == ["m2", "m3", "m4"]
    assert not any(isinstance(event._raw, bytes) for event in kept)
    # An event's item shares the event's place.
    items = list(store.items())
    assert [item._payload for item in items] == [event._raw for event in kept]


def store_event(store, payload):
    from sentry_fake.ingest.batch import IngestBatch
    from sentry_fake.ingest.envelope import parse_envelope
    from sentry_fake.ingest.processing import accept_envelope

    batch = IngestBatch(store, 1, "parlel", False, "127.0.0.1")
    accept_envelope(batch, parse_envelope(envelope(({"type": "event"}, payload))), store.limits)
    batch.commit()


def store_item(store, item_type, payload):
    from sentry_fake.ingest.batch import IngestBatch
    from sentry_fake.ingest.envelope import parse_envelope
    from sentry_fake.ingest.processing import accept_envelope

    batch = IngestBatch(store, 1, "parlel", False, "127.0.0.1")
    accept_envelope(batch, parse_envelope(envelope(({"type": item_type}, payload))),
                    store.limits)
    batch.commit()


@pytest_twisted.ensureDeferred
async def test_a_reset_starts_a_new_arena_and_leaves_what_readers_hold(tmp_path):
    harness = Harness(str(tmp_path), Clock())
    answer = await harness.api.request("POST", "/api/1/envelope/", token=None, headers=AUTH,
                                       body=envelope(event_item({"message": "before"})))
    assert answer.code == 200
    [held] = harness.store.events()
    arena = harness.store.payloads
    assert (await harness.api.request("POST", "/__parlel/reset")).code in (200, 204)
    assert harness.store.payloads is not arena and not list(harness.store.events())
    assert json.loads(held.raw)["message"] == "before"
    harness.stop()
