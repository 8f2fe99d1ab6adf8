"""
Monitors, their environments and their check-ins as Sentry's REST API shows them.  Pure
functions: no Klein, no requests.
"""

from __future__ import annotations

from typing import Any, Iterable

from ..store.monitors import CheckIn, Monitor, MonitorEnvironment
from ..timefmt import isoformat


def monitor_environment(environment: MonitorEnvironment, monitor: Monitor) -> dict[str, Any]:
    return {
        "name": environment.name, "status": environment.status, "isMuted": environment.is_muted,
        "dateCreated": isoformat(monitor.date_created),
        "lastCheckIn": isoformat(environment.last_checkin),
        "nextCheckIn": isoformat(environment.next_checkin),
        "nextCheckInLatest": isoformat(environment.next_checkin_latest),
        "activeIncident": None,
    }


def _environment_order(environment: MonitorEnvironment) -> tuple[int, float, str]:
    # Failing environments first, then by the latest check-in, as Sentry orders them.
    rank = {"error": 0, "ok": 2, "active": 3, "disabled": 4}.get(environment.status, 1)
    return rank, -(environment.last_checkin or 0.0), environment.name


def monitor(monitor_: Monitor, project: dict[str, Any],
            environments: Iterable[str] = ()) -> dict[str, Any]:
    """
    A monitor (C{project} is the serialized project); only the named environments when given.
    """
    names = set(environments)
    shown = sorted((env for env in monitor_.environments.values()
                    if not names or env.name in names), key=_environment_order)
    return {
        "id": monitor_.id, "status": monitor_.status, "isMuted": monitor_.is_muted,
        "isUpserting": False, "type": "cron_job", "name": monitor_.name, "slug": monitor_.slug,
        "config": dict(monitor_.config), "dateCreated": isoformat(monitor_.date_created),
        "project": project, "environments": [monitor_environment(env, monitor_) for env in shown],
        "owner": None,
    }


def check_in(check_in_: CheckIn) -> dict[str, Any]:
    """
    One check-in; C{duration} in milliseconds.  A check-in no schedule expected (the first of
    an environment, or one of a monitor without a schedule) was expected when it was sent.
    """
    guid = check_in_.id
    expected = check_in_.expected_time or check_in_.date_clock
    return {
        "id": f"{guid[:8]}-{guid[8:12]}-{guid[12:16]}-{guid[16:20]}-{guid[20:]}",
        "environment": check_in_.environment, "status": check_in_.status,
        "duration": check_in_.duration, "dateCreated": isoformat(check_in_.date_added),
        "dateAdded": isoformat(check_in_.date_added),
        "dateUpdated": isoformat(check_in_.date_updated),
        "dateInProgress": isoformat(check_in_.date_in_progress),
        "dateClock": isoformat(check_in_.date_clock),
        "expectedTime": isoformat(expected),
        "monitorConfig": dict(check_in_.monitor_config),
    }
