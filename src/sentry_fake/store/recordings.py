"""
Session replays and profiles, as the store keeps them for Sentry's routes: a replay gathered
from its C{replay_event} and C{replay_recording} items (one of each per segment), a
transaction profile by its id, and continuous profile chunks by their profiler.  Each book is
bounded like the event log (the oldest go first, and are counted).
"""

from __future__ import annotations

import zlib
from collections import OrderedDict
from itertools import islice
from typing import Any, Iterable, Iterator

import attrs

from ..jsoncodec import loads
from ..timefmt import parse_timestamp
from .trace_items import trace_id_of

#: The most segments one replay keeps (a replay of hours has hundreds).
MAX_SEGMENTS = 1000
#: The most urls one replay keeps: a page every few seconds of a replay of an hour.
MAX_URLS = 1000
#: The most error ids and trace ids one replay keeps (each).
MAX_IDS = 1000
#: The most releases, tag keys and values of one tag key one replay keeps.
MAX_RELEASES = MAX_TAG_KEYS = MAX_TAG_VALUES = 100


def _ids(values: Any) -> Iterator[str]:
    for value in values if isinstance(values, list) else ():
        normalized = trace_id_of(value)
        if normalized is not None:
            yield normalized


def _add_new(kept: list[str], seen: set[str], values: Iterable[str], cap: int) -> None:
    """
    Append to C{kept} the C{values} it does not have yet (C{seen} is its set), in order, up
    to C{cap} in all.
    """
    for value in values:
        if len(kept) >= cap:
            return
        if value not in seen:
            seen.add(value)
            kept.append(value)


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
    #: What each of its lists (by name, a tag's by C{tags:} and its key) has, to add new ones.
    seen: dict[str, set[str]] = attrs.Factory(dict)

    def add_new(self, name: str, kept: list[str], values: Iterable[str], cap: int) -> None:
        seen = self.seen.get(name)
        if seen is None:
            seen = self.seen[name] = set(kept)
        _add_new(kept, seen, values, cap)


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
        when = parse_timestamp(payload.get("timestamp"))
        when = received if when is None else when
        started = parse_timestamp(payload.get("replay_start_timestamp"))
        replay = self._replay(replay_id, project_id, when, seq)
        if started is not None:
            replay.started = min(replay.started, started)
        replay.finished = max(replay.finished, when)
        for field in ("platform", "environment", "dist", "replay_type"):
            if isinstance(payload.get(field), str):
                setattr(replay, field, payload[field])
        release = payload.get("release")
        if isinstance(release, str):
            replay.add_new("releases", replay.releases, [release], MAX_RELEASES)
        urls = payload.get("urls")
        room = MAX_URLS - len(replay.urls)
        if isinstance(urls, list) and room > 0:
            replay.urls += islice((url for url in urls if isinstance(url, str)), room)
        replay.add_new("error_ids", replay.error_ids, _ids(payload.get("error_ids")), MAX_IDS)
        replay.add_new("trace_ids", replay.trace_ids, _ids(payload.get("trace_ids")), MAX_IDS)
        for field, value in (("user", payload.get("user")), ("sdk", payload.get("sdk")),
                             ("contexts", payload.get("contexts"))):
            if isinstance(value, dict):
                getattr(replay, field).update(value)
        for key, values in _tags(payload.get("tags")).items():
            if key not in replay.tags and len(replay.tags) >= MAX_TAG_KEYS:
                continue
            replay.add_new("tags:" + key, replay.tags.setdefault(key, []), values,
                           MAX_TAG_VALUES)

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


def _index(value: Any, count: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < count


def readable_profile(profile: Any) -> bool:
    """
    Whether the C{profile} of a profile or chunk has the shape its readers need: samples
    (objects, each on a stack it has), stacks (lists of its frames' indexes), frames
    (objects) and thread metadata (an object), each where present.  Relay drops a profile
    it cannot read as a whole.
    """
    if not isinstance(profile, dict):
        return False
    samples, stacks = profile.get("samples", []), profile.get("stacks", [])
    frames, threads = profile.get("frames", []), profile.get("thread_metadata", {})
    if not (isinstance(samples, list) and isinstance(stacks, list)
            and isinstance(frames, list) and isinstance(threads, (dict, type(None)))):
        return False
    if not all(isinstance(frame, dict) for frame in frames):
        return False
    if not all(isinstance(stack, list) and all(_index(index, len(frames)) for index in stack)
               for stack in stacks):
        return False
    return all(isinstance(sample, dict) and ("stack_id" not in sample
                                             or _index(sample["stack_id"], len(stacks)))
               for sample in samples)


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
        """
        Keep a transaction profile (one with no C{profile}, as Android's legacy format, too).
        """
        if not isinstance(payload, dict) or (
                "profile" in payload and not readable_profile(payload["profile"])):
            return
        profile_id = trace_id_of(payload.get("event_id") or payload.get("profile_id"))
        if profile_id is not None and profile_id not in self._profiles:
            self._profiles[profile_id] = Profile(profile_id, project_id, received, payload, seq)
            self._bounded(self._profiles)

    def add_chunk(self, project_id: int, payload: Any, received: float, seq: int) -> None:
        if not isinstance(payload, dict) or not readable_profile(payload.get("profile")):
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
