"""
The store as a checkpoint: what a journal keeps so that a start costs O(state), not O(history).

A checkpoint holds every book as plain JSON values (issues one by one, so that only those that
changed are written again), the bytes of uploads under their SHA-1, and an index of the events
and items still in memory.  Those events and items are not copied: they stay in the journal, in
the L{Ingested} records that brought them, and the index says which record holds each one (and
under which issue).  A start loads the checkpoint, takes the events and items back from the
records it names, and replays only the records that came after it.
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator, Mapping

import attrs

from ..errors import NotFound
from ..jsoncodec import dumps, loads
from .codec import converter
from .directory import Directory
from .issues import IssueBook
from .models import CapturedItem, Issue
from .monitors import MonitorBook
from .outcomes import OutcomeBook
from .records import Ingested
from .releases import ReleaseBook
from .trace_writes import TRACE_ITEMS

__all__ = ["Checkpoint", "take", "load", "restore_content", "restored"]


@attrs.frozen
class Checkpoint:
    """
    The state as of record C{seq}.

    C{issues} are the issues changed since the last checkpoint (encoded), C{removed_issues}
    those gone since; C{blobs} are every upload's bytes by SHA-1; C{live} the sequence numbers
    of the journal records that still hold an event or item in memory.
    """

    seq: int
    parts: dict[str, Any]
    issues: list[tuple[int, bytes]]
    removed_issues: list[int]
    blobs: dict[str, bytes]
    live: set[int]


def encode_issue(issue: Issue) -> bytes:
    return dumps(converter.unstructure(issue))


def decode_issue(data: bytes) -> Issue:
    return converter.structure(loads(data, max_depth=None), Issue)


def take(store: Any, everything: bool = False) -> Checkpoint:
    """
    A checkpoint of C{store} now.  With C{everything}, every issue is written, not only those
    changed since the last checkpoint (for a journal that has none yet).
    """
    book = store.issue_book
    if everything:
        changed: Iterable[Issue] = list(book.all_issues())
    else:
        changed = [book.get(issue_id) for issue_id in sorted(book.changed)]
    uploads, blobs = store.uploads.dump()
    events = [[event.event_id, event.seq, event.issue_id or 0] for event in store.events()]
    # Per record, the id of its last item: its items took consecutive ids, and those that
    # went went first, so the id of each is known from the record.
    items: dict[int, int] = {}
    for item in store.items():
        items[item.seq] = item.id
    oldest = store.items()[0].id if len(store.items()) else store._next_item
    parts = {
        "store": {"next_item": store._next_item, "evicted": store._events.evicted,
                  "evicted_items": store._items.evicted,
                  "evicted_traces": store.traces.counters()},
        "directory": store.directory.dump(),
        "issue_book": book.dump_orders(),
        "releases": store.releases.dump(),
        "monitors": store.monitors.dump(),
        "outcomes": store.outcomes.dump(),
        "uploads": uploads,
        "content": {"events": events, "items": [[seq, last] for seq, last in items.items()],
                    "oldest_item": oldest,
                    # The transaction events whose spans the trace book keeps, by record:
                    # which of a record's transactions ingest took (a repeat of a kept
                    # event's id brings none) is not in the record.
                    "transactions": sorted({(block.seq, event_id)
                                            for block in store.traces.span_blocks()
                                            for event_id in block.event_ids()})},
    }
    # Spans, logs and metrics are derived again from the records that brought them.
    live = {seq for _, seq, _ in events} | set(items) | store.traces.live_records()
    return Checkpoint(seq=store.seq, parts=parts,
                      issues=[(issue.id, encode_issue(issue)) for issue in changed],
                      removed_issues=sorted(book.removed), blobs=blobs, live=live)


def taken(store: Any, checkpoint: Checkpoint) -> None:
    """
    Note that C{checkpoint} is safely written: what it wrote no longer counts as changed.
    """
    book = store.issue_book
    book.changed.difference_update(issue_id for issue_id, _ in checkpoint.issues)
    book.removed.difference_update(checkpoint.removed_issues)


@attrs.define
class ContentIndex:
    """
    Which journal record holds each event and item a checkpoint kept.
    """

    #: Event id -> (the sequence number of its record, its issue id or 0).
    events: dict[str, tuple[int, int]]
    #: Sequence number of a record -> the id of its last item.
    items: dict[int, int]
    oldest_item: int
    #: What the trace book had evicted (deriving its content again evicts some anew).
    evicted_traces: dict[str, int]
    #: (record, event id) of the transaction events whose spans the trace book kept, or
    #: C{None} (a checkpoint that did not say: every transaction's spans are derived).
    transactions: set[tuple[int, str]] | None = None


def load(store: Any, seq: int, parts: Mapping[str, Any], issues: Iterator[bytes],
         blobs: Mapping[str, bytes]) -> ContentIndex:
    """
    Make C{store}'s state the checkpoint's (its events and items are then taken back with
    L{restore_content}).
    """
    store._start_over(store.seed, parts["directory"]["now"])
    store.seq = seq
    store.directory = Directory.load(parts["directory"])
    store.issue_book = IssueBook.load(parts["issue_book"], (decode_issue(data) for data in issues))
    store.releases = ReleaseBook.load(parts["releases"])
    store.monitors = MonitorBook.load(parts["monitors"])
    store.outcomes = OutcomeBook.load(parts.get("outcomes"))
    store.uploads.load(parts["uploads"], blobs)
    counters = parts["store"]
    store._next_item = counters["next_item"]
    # What was evicted before the checkpoint; what the replay evicts comes on top.
    store._events.evicted = counters["evicted"]
    store._items.evicted = counters["evicted_items"]
    content = parts["content"]
    index = ContentIndex(
        events={event_id: (event_seq, issue_id) for event_id, event_seq, issue_id
                in content["events"]},
        items={item_seq: last for item_seq, last in content["items"]},
        oldest_item=content["oldest_item"],
        evicted_traces=counters.get("evicted_traces", {}),
        transactions=({(seq, event_id) for seq, event_id in content["transactions"]}
                      if "transactions" in content else None))
    return index


def restore_content(store: Any, seq: int, record: Ingested, index: ContentIndex) -> None:
    """
    Take back the events and items of a record older than the checkpoint (which already holds
    everything else the record did).
    """
    for event in record.events:
        found = index.events.get(event.event_id)
        if found is None or found[0] != seq or event.event_id in store._events:
            # Not kept, or a repeat of an id the record already had (the first one is kept).
            continue
        event.seq, event.issue_id = seq, found[1] or None
        store._keep_event(event)
    _restore_traces(store, seq, record, index)
    last = index.items.get(seq)
    if last is None:
        return
    first = last - len(record.items) + 1
    for number, sent in enumerate(record.items):
        item_id = first + number
        if item_id < index.oldest_item:
            continue
        store._items.add(CapturedItem(item_id, sent.type, record.project_id, sent.event_id,
                                      sent.headers, sent.payload, record.time, seq))


def _restore_traces(store: Any, seq: int, record: Ingested, index: ContentIndex) -> None:
    """
    Derive again the spans, logs and metrics a record brought (the trace book keeps, as it
    did, the newest of them), and take back the transaction events made of its segments.
    """
    transactions = [event for event in record.events if event.type == "transaction" and (
        index.transactions is None or (seq, event.event_id) in index.transactions)]
    if not transactions:
        for sent in record.items:
            if sent.type in TRACE_ITEMS:
                break
        else:
            return  # nothing for the trace book (most records: an error event)
    try:
        project = store.directory.project_by_id(record.project_id)
    except NotFound:
        return  # deleted since, with everything it had

    def keep_segment(event: Any) -> None:
        found = index.events.get(event.event_id)
        if found is not None and found[0] == seq and event.event_id not in store._events:
            event.seq = seq
            store._keep_event(event)

    store._derive_traces(project, record, seq, transactions, keep_segment)


def restored(store: Any, index: ContentIndex) -> None:
    """
    After the last record older than the checkpoint is taken back: the trace book's evictions
    are the checkpoint's again (deriving its content again evicted some anew).
    """
    store.traces.restore_counters(index.evicted_traces)
