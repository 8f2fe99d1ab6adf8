"""
Change records as journal rows: a JSON document, and the bytes the record carries beside it.

Most records are their fields as JSON (through the store's converter).  The two that carry bytes
are written by hand: an L{Ingested} record (the ingest hot path) keeps its events' payloads and
its items' payloads one after the other, an item that is an event's payload pointing at it
instead of repeating it; L{ChunksUploaded} keeps its chunks the same way.
"""

from __future__ import annotations

from typing import Any

import attrs

from ..jsoncodec import dumps, loads
from ..store.codec import converter
from ..store.models import Event
from ..store.records import (RECORD_TYPES, CheckInSent, ChunksUploaded, Ingested, ItemSent,
                             KeyCreated, ProjectCreated)

_EVENT_FIELDS = tuple(field.name for field in attrs.fields(Event)
                      if field.name not in ("_raw", "issue_id", "seq"))
#: Where the payload goes among the fields of a journaled event, to build it positionally.
_RAW_AT = [field.name for field in attrs.fields(Event)].index("_raw")
assert _EVENT_FIELDS[_RAW_AT:] == tuple(
    field.name for field in attrs.fields(Event)[_RAW_AT + 1:len(_EVENT_FIELDS) + 1])


class UnknownRecord(ValueError):
    """
    A journal row of a kind this version does not know.
    """


def encode(record: Any) -> tuple[str, bytes, bytes | None]:
    """
    @return: the row of a record: its kind, its JSON document, and its bytes (or C{None}).
    """
    kind = type(record).__name__
    if kind == "Ingested":
        data, content = _encode_ingested(record)
        return kind, data, content
    if kind == "ChunksUploaded":
        document = {"time": record.time, "organization_id": record.organization_id,
                    "chunks": [[checksum, len(data)] for checksum, data in record.chunks]}
        return kind, dumps(document), b"".join(data for _, data in record.chunks)
    return kind, dumps(converter.unstructure(record)), None


def decode(kind: str, data: bytes, content: Any) -> Any:
    """
    The record of a journal row.  C{content} is the row's bytes (or C{None}), or a handle to
    them where they were left in the journal (with C{load()}, and C{part(offset, size)}, a
    handle to some of them): the payloads of an L{Ingested} record are then handles too.

    @raise UnknownRecord: the row is of a kind this version does not know.
    """
    if kind == "Ingested":
        return _decode_ingested(data, content or b"")
    if content is not None and type(content) is not bytes:
        content = content.load()
    if kind == "ChunksUploaded":
        document = loads(data, max_depth=None)
        chunks, position = [], 0
        for checksum, size in document["chunks"]:
            chunks.append((checksum, (content or b"")[position:position + size]))
            position += size
        return ChunksUploaded(time=document["time"], organization_id=document["organization_id"],
                              chunks=tuple(chunks))
    cls = RECORD_TYPES.get(kind)
    if cls is None:
        raise UnknownRecord(kind)
    return converter.structure(loads(data, max_depth=None), cls)


def _payloads(record: Ingested) -> tuple[list[bytes], list[int]]:
    """
    The payloads an L{Ingested} row holds, one after the other: its events' and then its
    items' (an item that is an event's payload is not repeated), and the index among them of
    each item's.
    """
    blobs: list[bytes] = []
    shared: dict[int, int] = {}
    for event in record.events:
        shared[id(event.raw)] = len(blobs)
        blobs.append(event.raw)
    places = []
    for item in record.items:
        index = shared.get(id(item.payload))
        if index is None:
            index = len(blobs)
            blobs.append(item.payload)
        places.append(index)
    return blobs, places


def payload_offsets(record: Ingested) -> list[tuple[bytes, int]]:
    """
    Each payload of an L{Ingested} row's bytes (see L{encode}), with where it starts in them.
    """
    found, offset = [], 0
    for blob in _payloads(record)[0]:
        found.append((blob, offset))
        offset += len(blob)
    return found


def _encode_ingested(record: Ingested) -> tuple[bytes, bytes]:
    blobs, places = _payloads(record)
    events = [[getattr(event, name) for name in _EVENT_FIELDS] for event in record.events]
    items = [[item.type, item.headers, index, item.event_id]
             for item, index in zip(record.items, places)]
    document: dict[str, Any] = {"t": record.time, "p": record.project_id, "e": events,
                                "i": items, "n": [len(blob) for blob in blobs]}
    if record.check_ins:
        document["c"] = converter.unstructure(list(record.check_ins))
    if record.project_created is not None:
        document["pc"] = converter.unstructure(record.project_created)
    if record.key_created is not None:
        document["kc"] = converter.unstructure(record.key_created)
    return dumps(document), b"".join(blobs)


def _decode_ingested(data: bytes, content: Any) -> Ingested:
    document = loads(data, max_depth=None)
    sizes = document["n"]
    if len(sizes) == 1 and sizes[0] == len(content):
        # The usual record: one payload, kept as read (or the handle to all of the row's).
        blobs = [content]
    else:
        blobs, position = [], 0
        for size in sizes:
            blobs.append(content[position:position + size] if type(content) is bytes
                         else content.part(position, size))
            position += size
    events = []
    for index, fields in enumerate(document["e"]):
        fields.insert(_RAW_AT, blobs[index])
        events.append(Event(*fields))
    items = tuple([ItemSent(kind, headers, blobs[index], event_id)
                   for kind, headers, index, event_id in document["i"]])
    check_ins = document.get("c")
    return Ingested(
        time=document["t"], project_id=document["p"], events=tuple(events), items=items,
        check_ins=tuple(converter.structure(check_ins, list[CheckInSent])) if check_ins else (),
        project_created=(converter.structure(document["pc"], ProjectCreated)
                         if "pc" in document else None),
        key_created=converter.structure(document["kc"], KeyCreated) if "kc" in document else None,
    )

