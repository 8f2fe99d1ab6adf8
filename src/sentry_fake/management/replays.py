"""
Session replays and profiles through Sentry's routes for them: the replays of an organization
and one replay (as Sentry's replay serializer shows them), a replay's recording segments, how
many replays an issue has, a transaction profile and a continuous profiler's chunks.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timezone
from typing import Any

from ..errors import Invalid, NotFound
from ..http import arg, arg_list, json_response
from ..interfaces import IDirectory, IEventLog, ITraces
from ..store.recordings import Replay, recording_of
from ..store.trace_items import trace_id_of
from ..timefmt import parse_timestamp
from .app import app, authenticated
from .events import time_window
from .pagination import paginate

_ISSUE_IDS = re.compile(r"issue\.id:\[?([\d,\s]+)\]?")


def _user(user: dict[str, Any]) -> dict[str, Any]:
    shown = {key: user.get(key) for key in ("id", "username", "email")}
    shown["ip"] = user.get("ip_address")
    shown["geo"] = {"city": None, "country_code": None, "region": None, "subdivision": None}
    shown["display_name"] = (shown["username"] or shown["email"] or shown["id"]
                             or shown["ip"])
    return shown


def _context(replay: Replay, name: str, *fields: str) -> dict[str, Any]:
    context = replay.contexts.get(name)
    context = context if isinstance(context, dict) else {}
    return {field: context.get(field) for field in fields}


def _iso(seconds: float) -> str | None:
    try:
        return datetime.fromtimestamp(seconds, timezone.utc).isoformat(timespec="seconds")
    except (OverflowError, OSError, ValueError):
        return None


def _duration(replay: Replay) -> int:
    seconds = replay.finished - replay.started
    return int(seconds) if math.isfinite(seconds) and seconds > 0 else 0


#: What each sort of the replays list orders by.
_SORT_KEYS = {"started_at": lambda replay: replay.started,
              "finished_at": lambda replay: replay.finished, "duration": _duration,
              "count_errors": lambda replay: len(replay.error_ids)}


def replay_body(replay: Replay) -> dict[str, Any]:
    return {
        "id": replay.id, "project_id": str(replay.project_id),
        "trace_ids": list(replay.trace_ids), "error_ids": list(replay.error_ids),
        "info_ids": [], "warning_ids": [], "environment": replay.environment,
        "tags": {key: list(values) for key, values in replay.tags.items()},
        "user": _user(replay.user),
        "sdk": {"name": replay.sdk.get("name"), "version": replay.sdk.get("version")},
        "os": _context(replay, "os", "name", "version"),
        "browser": _context(replay, "browser", "name", "version"),
        "device": _context(replay, "device", "name", "brand", "model", "family"),
        "ota_updates": {"channel": None, "runtime_version": None, "update_id": None},
        "urls": list(replay.urls), "is_archived": False, "activity": 0, "clicks": [],
        "count_dead_clicks": 0, "count_rage_clicks": 0,
        "count_errors": len(replay.error_ids), "count_segments": len(replay.segments),
        "count_urls": len(replay.urls), "count_warnings": 0, "count_infos": 0,
        "dist": replay.dist, "duration": _duration(replay),
        "started_at": _iso(replay.started), "finished_at": _iso(replay.finished),
        "platform": replay.platform, "releases": list(replay.releases),
        "replay_type": replay.replay_type or "session", "has_viewed": False,
    }


class ReplayRoutes:
    #: The roles of the store these routes use (checked by tests/test_interfaces.py).
    roles = (IDirectory, IEventLog, ITraces)

    def _replays_of(self, org: str) -> list[Replay]:
        organization = self.store.directory.organization(org)
        projects = {project.id for project in self.store.directory.projects_of(organization)}
        return [replay for replay in self.store.traces.replays()
                if replay.project_id in projects]

    @app.route("/api/0/organizations/<org>/replays/", methods=["GET"])
    @authenticated
    def replays(self, request: Any, org: str) -> bytes:
        now = self.store.now()
        start, end = time_window(request, now)
        start = start if start is not None else now - 90 * 86400
        end = end if end is not None else now
        projects = {value for value in arg_list(request, "project") if value and value != "-1"}
        environments = {value for value in arg_list(request, "environment") if value}
        found = [replay for replay in self._replays_of(org)
                 if start <= replay.finished and replay.started <= end
                 and (not projects or str(replay.project_id) in projects)
                 and (not environments or replay.environment in environments)]
        order = arg(request, "sort") or arg(request, "sortBy") or arg(request, "orderBy") \
            or "-started_at"
        key = _SORT_KEYS.get(order.lstrip("-"))
        if key is None:
            raise Invalid(f"Invalid sort field: {order.lstrip('-')}")
        found.sort(key=key, reverse=order.startswith("-"))
        page = paginate(request, found)
        return json_response(request, {"data": [replay_body(replay) for replay in page]})

    def _replay(self, org: str, replay_id: str) -> Replay:
        normalized = trace_id_of(replay_id)
        replay = self.store.traces.replay(normalized) if normalized else None
        organization = self.store.directory.organization(org)
        if replay is None or self.store.directory.project_by_id(
                replay.project_id).organization_id != organization.id:
            raise NotFound()
        return replay

    @app.route("/api/0/organizations/<org>/replays/<replay_id>/", methods=["GET"])
    @authenticated
    def replay(self, request: Any, org: str, replay_id: str) -> bytes:
        return json_response(request, {"data": replay_body(self._replay(org, replay_id))})

    @app.route("/api/0/projects/<org>/<project>/replays/<replay_id>/recording-segments/",
               methods=["GET"])
    @authenticated
    def recording_segments(self, request: Any, org: str, project: str,
                           replay_id: str) -> bytes:
        organization = self.store.directory.organization(org)
        found = self.store.directory.project(organization, project)
        replay = self._replay(org, replay_id)
        if replay.project_id != found.id:
            raise NotFound()
        segments = [recording_of(replay.segments[number])[1] or []
                    for number in sorted(replay.segments)]
        return json_response(request, paginate(request, segments))

    @app.route("/api/0/organizations/<org>/replay-count/", methods=["GET"])
    @authenticated
    def replay_count(self, request: Any, org: str) -> bytes:
        """
        How many replays each issue of C{query=issue.id:[...]} has (their ids with
        C{returnIds=true}): the replays that saw one of the issue's events.
        """
        replays = self._replays_of(org)
        match = _ISSUE_IDS.search(arg(request, "query") or "")
        if match is None:
            return json_response(request, {})
        # An id of more digits than any issue id has names none (and is not read as a number).
        wanted = {int(value) for value in re.split(r"[,\s]+", match.group(1))
                  if value and len(value) <= 19}
        counted: dict[str, list[str]] = {}
        for replay in replays:
            for event_id in replay.error_ids:
                try:
                    issue_id = self.store.event(event_id).issue_id
                except NotFound:
                    continue
                if issue_id in wanted and replay.id not in counted.get(str(issue_id), []):
                    counted.setdefault(str(issue_id), []).append(replay.id)
        if arg(request, "returnIds") in ("true", "1"):
            return json_response(request, counted)
        return json_response(request, {issue: len(ids) for issue, ids in counted.items()})

    @app.route("/api/0/projects/<org>/<project>/profiling/profiles/<profile_id>/",
               methods=["GET"])
    @authenticated
    def profile(self, request: Any, org: str, project: str, profile_id: str) -> bytes:
        organization = self.store.directory.organization(org)
        found = self.store.directory.project(organization, project)
        profile = self.store.traces.profile(profile_id)
        if profile is None or profile.project_id != found.id:
            raise NotFound()
        body = processed_profile(profile.payload)
        release = body.get("release")
        body["release"] = {"version": release} if release else None
        return json_response(request, body)

    @app.route("/api/0/organizations/<org>/profiling/chunks/", methods=["GET"])
    @authenticated
    def profile_chunks(self, request: Any, org: str) -> bytes:
        organization = self.store.directory.organization(org)
        projects = [value for value in arg_list(request, "project") if value]
        if len(projects) != 1:
            raise Invalid("one project_id must be specified.")
        profiler = arg(request, "profiler_id")
        if not profiler:
            raise Invalid("profiler_id must be specified.")
        found = self.store.directory.project(organization, projects[0])
        start, end = time_window(request, self.store.now())
        chunks = []
        for chunk in self.store.traces.profile_chunks(found.id, profiler):
            times = [parse_timestamp(sample.get("timestamp"))
                     for sample in _listed(_profile_of(chunk.payload), "samples")
                     if isinstance(sample, dict)]
            times = [moment for moment in times if moment is not None] or [chunk.received]
            if (start is None or max(times) >= start) and (end is None or min(times) <= end):
                chunks.append(chunk)
        if not chunks:
            return json_response(request, {"chunk": None})
        return json_response(request, {"chunk": merged_chunk(chunks)})


def _profile_of(payload: dict[str, Any]) -> dict[str, Any]:
    profile = payload.get("profile")
    return profile if isinstance(profile, dict) else {}


def _listed(profile: dict[str, Any], field: str) -> list[Any]:
    value = profile.get(field)
    return value if isinstance(value, list) else []


def _frames_in_app(profile: dict[str, Any]) -> None:
    for frame in _listed(profile, "frames"):
        if isinstance(frame, dict) and not isinstance(frame.get("in_app"), bool):
            frame["in_app"] = False


def processed_profile(payload: dict[str, Any]) -> dict[str, Any]:
    """
    A transaction profile as Sentry's profiling service answers it: sample times and thread
    ids as numbers, every frame saying whether it is the application's.
    """
    body = dict(payload)
    profile = dict(_profile_of(body))
    samples = []
    for sample in _listed(profile, "samples"):
        if isinstance(sample, dict):
            sample = dict(sample)
            for field in ("elapsed_since_start_ns", "thread_id"):
                try:
                    sample[field] = int(sample[field])
                except (KeyError, TypeError, ValueError, OverflowError):
                    pass
            samples.append(sample)
    profile["samples"] = samples
    _frames_in_app(profile)
    body["profile"] = profile
    return body


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def merged_chunk(chunks: list[Any]) -> dict[str, Any]:
    """
    A profiler's chunks as one, as Sentry's profiling service merges them: their samples in
    time order, over one list of frames and stacks.
    """
    first = dict(chunks[0].payload)
    frames: list[Any] = []
    stacks: list[Any] = []
    samples: list[Any] = []
    threads: dict[str, Any] = {}
    for chunk in chunks:
        profile = _profile_of(chunk.payload)
        frame_base, stack_base = len(frames), len(stacks)
        # Whatever is not a frame or a stack keeps its place, so that indexes still match.
        frames += [dict(frame) if isinstance(frame, dict) else {}
                   for frame in _listed(profile, "frames")]
        stacks += [[frame_base + index for index in stack if _is_int(index)]
                   if isinstance(stack, list) else [] for stack in _listed(profile, "stacks")]
        for sample in _listed(profile, "samples"):
            if isinstance(sample, dict) and _is_int(sample.get("stack_id")):
                samples.append(dict(sample, stack_id=stack_base + sample["stack_id"],
                                    thread_id=str(sample.get("thread_id", ""))))
        metadata = profile.get("thread_metadata")
        threads.update(metadata if isinstance(metadata, dict) else {})
    samples.sort(key=lambda sample: parse_timestamp(sample.get("timestamp")) or 0.0)
    merged = {"samples": samples, "stacks": stacks, "frames": frames,
              "thread_metadata": threads}
    _frames_in_app(merged)
    first.update(profile=merged, project_id=chunks[0].project_id)
    return first
