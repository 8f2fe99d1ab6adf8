"""
Session replays and profiles, as the store keeps them for Sentry's routes: a replay gathered
from its C{replay_event} and C{replay_recording} items (one of each per segment), a
transaction profile by its id, and continuous profile chunks by their profiler.  Each book is
bounded like the event log (the oldest go first, and are counted).
"""

from __future__ import annotations

import zlib
from collections import OrderedDict
from typing import Any

import attrs

from ..jsoncodec import loads
from .trace_items import trace_id_of

#: The most segments one replay keeps (a replay of hours has hundreds).
MAX_SEGMENTS = 1000


def _ids(values: Any) -> list[str]:
    found = []
    for value in values if isinstance(values, list) else ():
        normalized = trace_id_of(value)
        if normalized is not None and normalized not in found:
            found.append(normalized)
    return found


@attrs.define(eq=False)
class Replay:
    id: str
    project_id: int
    started: float
    finished: float
    platform: str | None = None
    environment: str | None = None
    dist: str | None = None
    replay_type: str | None = None
    releases: list[str] = attrs.Factory(list)
    urls: list[str] = attrs.Factory(list)
    error_ids: list[str] = attrs.Factory(list)
    trace_ids: list[str] = attrs.Factory(list)
    user: dict[str, Any] = attrs.Factory(dict)
    sdk: dict[str, Any] = attrs.Factory(dict)
    contexts: dict[str, Any] = attrs.Factory(dict)
    tags: dict[str, list[str]] = attrs.Factory(dict)
    #: Segment id -> the recording's payload as sent (its header line and its data).
    segments: dict[int, bytes] = attrs.Factory(dict)
    segment_times: dict[int, float] = attrs.Factory(dict)
    #: The journal records it was gathered from.
    records: set[int] = attrs.Factory(set)


def recording_of(payload: bytes) -> tuple[int | None, Any]:
    """
    A C{replay_recording} payload's segment id (its header line) and its rrweb events (the
    rest, JSON or zlib-compressed JSON); C{None}s for what cannot be read.
    """
    header, _, data = payload.partition(b"\n")
    try:
        segment = loads(header).get("segment_id")
    except (ValueError, AttributeError):
        return None, None
    if not isinstance(segment, int) or isinstance(segment, bool):
        segment = None
    try:
        data = zlib.decompress(data)
    except zlib.error:
        pass
    try:
        return segment, loads(data, max_depth=None)
    except ValueError:
        return segment, None


def _tags(value: Any) -> dict[str, list[str]]:
    pairs = value.items() if isinstance(value, dict) else value if isinstance(value, list) \
        else ()
    found: dict[str, list[str]] = {}
    for pair in pairs:
        if isinstance(pair, (list, tuple)) and len(pair) == 2 and pair[1] is not None:
            found.setdefault(str(pair[0]), []).append(str(pair[1]))
    return found


class ReplayBook:
    """
    Replays by id, oldest first.
    """

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._replays: OrderedDict[str, Replay] = OrderedDict()
        self.evicted = 0

    def find(self, replay_id: str) -> Replay | None:
        return self._replays.get(replay_id)

    def all(self) -> list[Replay]:
        return list(self._replays.values())

    def live_records(self) -> set[int]:
        return set().union(*(replay.records for replay in self._replays.values()))

    def _replay(self, replay_id: str, project_id: int, when: float, seq: int) -> Replay:
        replay = self._replays.get(replay_id)
        if replay is None:
            replay = self._replays[replay_id] = Replay(id=replay_id, project_id=project_id,
                                                       started=when, finished=when)
            if len(self._replays) > self._capacity:
                self._replays.popitem(last=False)
                self.evicted += 1
        replay.records.add(seq)
        return replay

    def add_event(self, project_id: int, payload: Any, received: float, seq: int) -> None:
        """
        Fold a C{replay_event} (what one segment says of the replay) into its replay.
        """
        if not isinstance(payload, dict):
            return
        replay_id = trace_id_of(payload.get("replay_id") or payload.get("event_id"))
        if replay_id is None:
            return
        timestamp = payload.get("timestamp")
        started = payload.get("replay_start_timestamp")
        when = float(timestamp) if isinstance(timestamp, (int, float)) else received
        replay = self._replay(replay_id, project_id, when, seq)
        if isinstance(started, (int, float)):
            replay.started = min(replay.started, float(started))
        replay.finished = max(replay.finished, when)
        for field in ("platform", "environment", "dist", "replay_type"):
            if isinstance(payload.get(field), str):
                setattr(replay, field, payload[field])
        release = payload.get("release")
        if isinstance(release, str) and release not in replay.releases:
            replay.releases.append(release)
        for url in payload.get("urls") if isinstance(payload.get("urls"), list) else ():
            if isinstance(url, str):
                replay.urls.append(url)
        replay.error_ids += [i for i in _ids(payload.get("error_ids"))
                             if i not in replay.error_ids]
        replay.trace_ids += [i for i in _ids(payload.get("trace_ids"))
                             if i not in replay.trace_ids]
        for field, value in (("user", payload.get("user")), ("sdk", payload.get("sdk")),
                             ("contexts", payload.get("contexts"))):
            if isinstance(value, dict):
                getattr(replay, field).update(value)
        for key, values in _tags(payload.get("tags")).items():
            replay.tags.setdefault(key, [])
            replay.tags[key] += [value for value in values if value not in replay.tags[key]]

    def add_recording(self, project_id: int, replay_id: str | None, payload: bytes,
                      received: float, seq: int) -> None:
        """
        Keep a C{replay_recording} (one segment of the replay C{replay_id} names).
        """
        replay_id = trace_id_of(replay_id)
        segment, _ = recording_of(payload)
        if replay_id is None or segment is None:
            return
        replay = self._replay(replay_id, project_id, received, seq)
        if segment in replay.segments or len(replay.segments) < MAX_SEGMENTS:
            replay.segments[segment] = payload
            replay.segment_times[segment] = received


@attrs.define(eq=False)
class Profile:
    id: str
    project_id: int
    received: float
    payload: dict[str, Any]
    seq: int = 0


class ProfileBook:
    """
    Transaction profiles by id, and continuous profile chunks by project and profiler.
    """

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._profiles: OrderedDict[str, Profile] = OrderedDict()
        self._chunks: OrderedDict[tuple[int, str, str], Profile] = OrderedDict()
        #: (project id, profiler id) -> the keys of its chunks, oldest first.
        self._by_profiler: dict[tuple[int, str], list[tuple[int, str, str]]] = {}
        self.evicted = 0

    def _bounded(self, book: OrderedDict[Any, Profile]) -> None:
        if len(book) > self._capacity:
            key, _ = book.popitem(last=False)
            self.evicted += 1
            if book is self._chunks:
                owned = self._by_profiler.get(key[:2], [])
                if key in owned:
                    owned.remove(key)

    def live_records(self) -> set[int]:
        return {profile.seq for book in (self._profiles, self._chunks)
                for profile in book.values()}

    def add_profile(self, project_id: int, payload: Any, received: float, seq: int) -> None:
        if not isinstance(payload, dict):
            return
        profile_id = trace_id_of(payload.get("event_id") or payload.get("profile_id"))
        if profile_id is not None and profile_id not in self._profiles:
            self._profiles[profile_id] = Profile(profile_id, project_id, received, payload, seq)
            self._bounded(self._profiles)

    def add_chunk(self, project_id: int, payload: Any, received: float, seq: int) -> None:
        if not isinstance(payload, dict):
            return
        profiler = trace_id_of(payload.get("profiler_id"))
        chunk = trace_id_of(payload.get("chunk_id"))
        key = (project_id, profiler, chunk)
        if profiler is not None and chunk is not None and key not in self._chunks:
            self._chunks[key] = Profile(chunk, project_id, received, payload, seq)
            self._by_profiler.setdefault((project_id, profiler), []).append(key)
            self._bounded(self._chunks)

    def profile(self, profile_id: str) -> Profile | None:
        normalized = trace_id_of(profile_id)
        return self._profiles.get(normalized) if normalized else None

    def chunks(self, project_id: int, profiler_id: str) -> list[Profile]:
        profiler = trace_id_of(profiler_id)
        return [self._chunks[key] for key in self._by_profiler.get((project_id, profiler), ())]
