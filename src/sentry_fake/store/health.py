"""
Release health: the session updates and aggregates SDKs send, counted per release and project
the way Sentry's release health shows them (sessions, users, crashed, errored, abnormal).
"""

from __future__ import annotations

from typing import Any

import attrs

_FINAL = {"exited", "crashed", "abnormal", "errored"}


@attrs.define
class SessionCounts:
    """
    One project's sessions in one release.
    """

    sessions: set[str] = attrs.Factory(set)
    users: set[str] = attrs.Factory(set)
    crashed: set[str] = attrs.Factory(set)
    errored: set[str] = attrs.Factory(set)
    abnormal: set[str] = attrs.Factory(set)
    crashed_users: set[str] = attrs.Factory(set)
    #: Pre-aggregated counts (C{sessions} items), which carry no session ids.
    aggregated: dict[str, int] = attrs.Factory(lambda: {"total": 0, "crashed": 0,
                                                        "errored": 0, "abnormal": 0})

    def add_update(self, update: dict[str, Any]) -> None:
        sid = str(update.get("sid") or "")
        if not sid:
            return
        did = update.get("did")
        self.sessions.add(sid)
        if did:
            self.users.add(str(did))
        status = update.get("status")
        if status == "crashed":
            self.crashed.add(sid)
            if did:
                self.crashed_users.add(str(did))
        elif status == "abnormal":
            self.abnormal.add(sid)
        if status == "errored" or (isinstance(update.get("errors"), int) and update["errors"] > 0):
            self.errored.add(sid)

    def add_aggregate(self, bucket: dict[str, Any]) -> None:
        counts = {name: bucket.get(name) if isinstance(bucket.get(name), int) else 0
                  for name in ("exited", "errored", "abnormal", "crashed")}
        self.aggregated["total"] += sum(counts.values())
        for name in ("crashed", "errored", "abnormal"):
            self.aggregated[name] += counts[name]
        if bucket.get("did"):
            self.users.add(str(bucket["did"]))

    @property
    def total(self) -> int:
        return len(self.sessions) + self.aggregated["total"]

    def describe(self) -> dict[str, Any]:
        """
        Sentry's C{healthData} of a release's project.
        """
        total = self.total
        crashed = len(self.crashed) + self.aggregated["crashed"]
        errored = len(self.errored) + self.aggregated["errored"]
        users = len(self.users)
        return {
            "hasHealthData": total > 0,
            "totalSessions": total, "totalUsers": users,
            "sessionsCrashed": crashed, "sessionsErrored": errored,
            "sessionsAbnormal": len(self.abnormal) + self.aggregated["abnormal"],
            "crashFreeSessions": round(100.0 * (total - crashed) / total, 4) if total else None,
            "crashFreeUsers": (round(100.0 * (users - len(self.crashed_users)) / users, 4)
                               if users else None),
            "durationP50": None, "durationP90": None, "adoption": None,
            "sessionsAdoption": None, "totalUsers24h": None, "totalSessions24h": None,
            "totalProjectUsers24h": None, "totalProjectSessions24h": None, "stats": {},
        }


def session_releases(item_type: str, payload: Any) -> list[tuple[str, str | None, Any]]:
    """
    What a C{session} or C{sessions} item says, per release: C{(release, environment, entries)}
    where entries are session updates or aggregate buckets.
    """
    if not isinstance(payload, dict):
        return []
    attrs_ = payload.get("attrs") if isinstance(payload.get("attrs"), dict) else {}
    release = attrs_.get("release")
    if not isinstance(release, str) or not release:
        return []
    environment = attrs_.get("environment")
    if item_type == "session":
        return [(release, environment, [payload])]
    buckets = payload.get("aggregates")
    if not isinstance(buckets, list):
        return []
    return [(release, environment, [b for b in buckets if isinstance(b, dict)])]
