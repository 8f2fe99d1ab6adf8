"""
Cron monitors: each organization's monitors, their environments and their check-ins.

Check-ins arrive from SDKs (envelope C{check_in} items) and from the cron HTTP endpoint.  As in
Sentry, a check-in names its monitor by slug and the monitor is found or created (upserted,
with the C{monitor_config} when the check-in carries one); a check-in whose C{check_in_id} is
already known updates that check-in (C{in_progress}, then C{ok} or C{error} with a duration).
Unlike Sentry, a first check-in without a C{monitor_config} creates the monitor too, with an
empty schedule: a fake should show what was sent rather than drop it.
"""

from __future__ import annotations

import re
import uuid
from typing import Any, Iterable

import attrs
from twisted.logger import Logger
from zope.interface import implementer

from ..errors import Invalid, NotFound
from ..interfaces import IMonitors
from ..jsoncodec import loads
from .codec import converter
from .models import Project
from .schedule import empty_config, next_expected, read_monitor_config

#: The statuses a client may send; C{missed} and C{timeout} are the server's to decide.
CHECK_IN_STATUSES = ("in_progress", "ok", "error")
FINISHED = ("ok", "error")
#: The check-in id that means "the latest check-in still in progress".
NIL_ID = "0" * 32
SLUG_LENGTH = 50
ENVIRONMENT_LENGTH = 64
DEFAULT_ENVIRONMENT = "production"
#: The longest a check-in may say it ran, in seconds (a year; and never infinite or NaN).
MAX_DURATION = 365 * 86400
#: Check-ins kept per monitor, the newest (Sentry keeps 90 days of them).
MAX_CHECK_INS = 1000

_NOT_SLUG = re.compile(r"[^\w\s-]")
_DASHES = re.compile(r"[-\s]+")

log = Logger()


def monitor_slug(text: str) -> str:
    """
    The slug Sentry files a check-in's C{monitor_slug} under: lower case, words joined by dashes,
    at most 50 characters.
    """
    slug = _DASHES.sub("-", _NOT_SLUG.sub("", text.lower())).strip("-_")
    return slug[:SLUG_LENGTH].strip("-")


def _bad(cause: str) -> Invalid:
    return Invalid("invalid check-in", causes=[cause])


def _check_in_id(value: Any) -> str:
    if value is None or value == "":
        return NIL_ID
    if not isinstance(value, str):
        raise _bad("check_in_id must be a UUID")
    try:
        return uuid.UUID(value).hex
    except ValueError:
        raise _bad(f"check_in_id {value!r} is not a UUID")


def read_check_in(value: Any) -> dict[str, Any]:
    """
    A check-in payload, checked and normalized: C{check_in_id} (32 hex digits, L{NIL_ID} when
    absent), C{monitor_slug}, C{status}, C{environment}, C{duration} (seconds or C{None}),
    C{monitor_config} (Sentry's config shape or C{None}) and C{trace_id}.

    @raise Invalid: it is not a check-in.
    """
    if not isinstance(value, dict):
        raise _bad("the check-in must be a JSON object")
    slug = value.get("monitor_slug")
    if not isinstance(slug, str) or not monitor_slug(slug):
        raise _bad("the monitor slug is empty or invalid")
    status = value.get("status")
    if status not in CHECK_IN_STATUSES:
        raise _bad(f"status must be one of {', '.join(CHECK_IN_STATUSES)}")
    environment = value.get("environment")
    if environment is not None and not isinstance(environment, str):
        raise _bad("environment must be a string")
    if environment and len(environment) > ENVIRONMENT_LENGTH:
        raise _bad("environment is longer than 64 characters")
    duration = value.get("duration")
    if duration is not None and (not isinstance(duration, (int, float))
                                 or isinstance(duration, bool)
                                 or not 0 <= duration <= MAX_DURATION):
        raise _bad("duration must be a number of seconds")
    config = value.get("monitor_config")
    contexts = value.get("contexts")
    trace = contexts.get("trace") if isinstance(contexts, dict) else None
    trace_id = trace.get("trace_id") if isinstance(trace, dict) else value.get("trace_id")
    return {
        "check_in_id": _check_in_id(value.get("check_in_id")),
        "monitor_slug": monitor_slug(slug),
        "status": status,
        "environment": environment or DEFAULT_ENVIRONMENT,
        "duration": float(duration) if duration is not None else None,
        "monitor_config": read_monitor_config(config) if config is not None else None,
        "trace_id": trace_id if isinstance(trace_id, str) else None,
    }


def parse_check_in(payload: bytes) -> dict[str, Any] | None:
    """
    A C{check_in} envelope item's payload, read by L{read_check_in}; C{None} (and a log line)
    for a JSON object that is not a valid check-in, which Sentry drops while processing.

    @raise Invalid: it is not JSON, or not a JSON object (the envelope is refused).
    """
    try:
        value = loads(payload)
    except ValueError as error:
        raise _bad(f"invalid check-in payload: {error}")
    if not isinstance(value, dict):
        raise _bad("the check-in must be a JSON object")
    try:
        return read_check_in(value)
    except Invalid as error:
        log.info("dropped a check-in: {reason}", reason="; ".join(error.causes))
        return None


@attrs.define(eq=False)
class CheckIn:
    """
    One run of a monitored job.  C{duration} is in milliseconds, as Sentry keeps it.
    """

    id: str
    monitor_id: str
    project_id: int
    environment: str
    status: str
    date_added: float
    date_updated: float
    date_clock: float
    monitor_config: dict[str, Any]
    duration: int | None = None
    date_in_progress: float | None = None
    expected_time: float | None = None
    trace_id: str | None = None


@attrs.define(eq=False)
class MonitorEnvironment:
    """
    A monitor in one environment: its own status and check-in times.
    """

    name: str
    date_created: float
    status: str = "active"
    is_muted: bool = False
    last_checkin: float | None = None
    next_checkin: float | None = None
    next_checkin_latest: float | None = None


@attrs.define(eq=False)
class Monitor:
    """
    A cron monitor.  C{id} is its GUID (hyphenated, as Sentry shows it).
    """

    id: str
    organization_id: int
    project_id: int
    slug: str
    name: str
    date_created: float
    status: str = "active"
    is_muted: bool = False
    config: dict[str, Any] = attrs.Factory(empty_config)
    environments: dict[str, MonitorEnvironment] = attrs.Factory(dict)
    #: Oldest first.
    check_ins: list[CheckIn] = attrs.Factory(list)


@implementer(IMonitors)
class MonitorBook:
    """
    The monitors of every organization, found by slug or id, and every check-in by its id.
    """

    def __init__(self) -> None:
        self._monitors: dict[tuple[int, str], Monitor] = {}
        self._check_ins: dict[str, CheckIn] = {}

    def __len__(self) -> int:
        return len(self._monitors)

    def record(self, project: Project, checked: dict[str, Any], now: float,
               monitor_guid: str, check_in_guid: str) -> CheckIn | None:
        """
        File a check-in (as L{read_check_in} gave it) under its monitor.

        @param monitor_guid: the GUID of the monitor, should the check-in create it.
        @param check_in_guid: the GUID of the check-in, should it come without one.
        @return: the check-in created or updated, or C{None} when Sentry would drop it (the
            monitor is disabled, or the slug or check-in belongs to another project).
        """
        monitor = self._upsert(project, checked["monitor_slug"], checked["monitor_config"], now,
                               monitor_guid)
        if monitor is None or monitor.status == "disabled":
            return None
        environment = monitor.environments.get(checked["environment"])
        if environment is None:
            environment = MonitorEnvironment(name=checked["environment"], date_created=now)
            monitor.environments[environment.name] = environment
        existing = self._existing(monitor, environment, checked["check_in_id"])
        if existing is False:
            return None
        duration = checked["duration"]
        millis = int(duration * 1000) if duration is not None else None
        if existing is not None:
            check_in = existing
            if not self._update(check_in, checked["status"], millis, now):
                return check_in
        else:
            check_in = self._create(monitor, environment, checked, millis, now, check_in_guid)
        environment.last_checkin = now
        expected = next_expected(monitor.config, now)
        environment.next_checkin, environment.next_checkin_latest = expected
        if check_in.status == "ok":
            environment.status = "ok"
        elif check_in.status == "error":
            environment.status = "error"
        return check_in

    def _upsert(self, project: Project, slug: str, config: dict[str, Any] | None,
                now: float, guid: str) -> Monitor | None:
        key = (project.organization_id, slug)
        monitor = self._monitors.get(key)
        if monitor is None:
            monitor = Monitor(id=guid, organization_id=project.organization_id,
                              project_id=project.id, slug=slug, name=slug, date_created=now)
            self._monitors[key] = monitor
        elif monitor.project_id != project.id:
            log.info("dropped a check-in for monitor {slug!r}: it belongs to project {owner}, "
                     "not {project}", slug=slug, owner=monitor.project_id, project=project.id)
            return None
        if config is not None:
            monitor.config = config
        return monitor

    def _existing(self, monitor: Monitor, environment: MonitorEnvironment,
                  check_in_id: str) -> CheckIn | None | bool:
        """
        The check-in a payload updates, C{None} for a new one, C{False} for one to drop.
        """
        if check_in_id == NIL_ID:
            for check_in in reversed(monitor.check_ins):
                if check_in.environment == environment.name and check_in.status == "in_progress":
                    return check_in
            return None
        found = self._check_ins.get(check_in_id)
        if found is not None and (found.monitor_id != monitor.id
                                  or found.environment != environment.name):
            log.info("dropped check-in {id}: it belongs to another monitor or environment",
                     id=check_in_id)
            return False
        return found

    @staticmethod
    def _update(check_in: CheckIn, status: str, millis: int | None, now: float) -> bool:
        """
        Move a known check-in on; C{False} when it had already finished (Sentry keeps the
        first closing status).
        """
        if check_in.status in FINISHED:
            return False
        check_in.date_updated = now
        if status in FINISHED:
            check_in.status = status
            check_in.duration = (millis if millis is not None
                                 else abs(int((now - check_in.date_added) * 1000)))
        return True

    def _create(self, monitor: Monitor, environment: MonitorEnvironment,
                checked: dict[str, Any], millis: int | None, now: float,
                new_guid: str) -> CheckIn:
        guid = checked["check_in_id"]
        if guid == NIL_ID:
            guid = new_guid
        added = now - millis / 1000 if millis is not None else now
        check_in = CheckIn(
            id=guid, monitor_id=monitor.id, project_id=monitor.project_id,
            environment=environment.name, status=checked["status"], date_added=added,
            date_updated=now, date_clock=now - now % 60, monitor_config=dict(monitor.config),
            duration=millis, expected_time=environment.next_checkin,
            date_in_progress=added if checked["status"] == "in_progress" else None,
            trace_id=checked["trace_id"])
        monitor.check_ins.append(check_in)
        self._check_ins[guid] = check_in
        if len(monitor.check_ins) > MAX_CHECK_INS:
            for old in monitor.check_ins[:-MAX_CHECK_INS]:
                self._check_ins.pop(old.id, None)
            del monitor.check_ins[:-MAX_CHECK_INS]
        return check_in

    def of_organization(self, organization_id: int,
                        project_ids: Iterable[int] | None = None) -> list[Monitor]:
        """
        An organization's monitors (of some projects only, when given), by name.
        """
        wanted = set(project_ids) if project_ids is not None else None
        found = [monitor for (org_id, _), monitor in self._monitors.items()
                 if org_id == organization_id
                 and (wanted is None or monitor.project_id in wanted)]
        return sorted(found, key=lambda monitor: (monitor.name.lower(), monitor.slug))

    def find(self, organization_id: int, id_or_slug: str, project_id: int | None = None) -> Monitor:
        """
        A monitor by slug or GUID.

        @raise NotFound: no such monitor (in that project, when given).
        """
        monitor = self._monitors.get((organization_id, id_or_slug))
        if monitor is None:
            monitor = next((candidate for (org_id, _), candidate in self._monitors.items()
                            if org_id == organization_id and candidate.id == id_or_slug), None)
        if monitor is None or (project_id is not None and monitor.project_id != project_id):
            raise NotFound("Monitor does not exist.")
        return monitor

    def check_rename(self, monitor: Monitor, slug: str) -> None:
        """
        @raise Invalid: another monitor of the organization has that slug.
        """
        if slug != monitor.slug and (monitor.organization_id, slug) in self._monitors:
            raise Invalid(fields={"slug": [f'The slug "{slug}" is already in use.']})

    def rename(self, monitor: Monitor, slug: str) -> None:
        """
        Give a monitor a new slug (check-ins keep following it).

        @raise Invalid: the slug is taken in its organization.
        """
        if slug == monitor.slug:
            return
        self.check_rename(monitor, slug)
        key = (monitor.organization_id, slug)
        del self._monitors[(monitor.organization_id, monitor.slug)]
        monitor.slug = slug
        self._monitors[key] = monitor

    def remove(self, monitor: Monitor, environments: Iterable[str] | None = None) -> None:
        """
        Forget a monitor with its check-ins, or only some of its environments.
        """
        names = set(environments) if environments is not None else set(monitor.environments)
        gone = [check_in for check_in in monitor.check_ins if check_in.environment in names]
        for check_in in gone:
            self._check_ins.pop(check_in.id, None)
        monitor.check_ins = [c for c in monitor.check_ins if c.environment not in names]
        for name in names:
            monitor.environments.pop(name, None)
        if environments is None:
            self._monitors.pop((monitor.organization_id, monitor.slug), None)

    # The checkpoint of a journal

    def dump(self) -> list[Any]:
        return converter.unstructure(list(self._monitors.values()))

    @classmethod
    def load(cls, state: list[Any]) -> "MonitorBook":
        book = cls()
        for monitor in converter.structure(state, list[Monitor]):
            book._monitors[(monitor.organization_id, monitor.slug)] = monitor
            for check_in in monitor.check_ins:
                book._check_ins[check_in.id] = check_in
        return book

    def check_ins_of(self, monitor: Monitor, environments: Iterable[str] = ()) -> list[CheckIn]:
        """
        A monitor's check-ins, newest first (in some environments only, when named).
        """
        names = set(environments)
        return [check_in for check_in in reversed(monitor.check_ins)
                if not names or check_in.environment in names]
