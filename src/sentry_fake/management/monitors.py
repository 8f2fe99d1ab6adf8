"""
Cron monitors: an organization's monitors, one monitor (by slug or id), its check-ins, and
renaming, disabling, muting or deleting it; on the organization path and the project path.

Monitors are made by check-ins (see L{sentry_fake.store.monitors}); there is no create route.
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import Invalid, NotFound
from ..http import accepted, arg, arg_list, json_response, read_json_body
from ..interfaces import IDirectory, IMonitors, IWrites
from ..store.models import Organization, Project
from ..store.monitors import Monitor
from ..store.records import MonitorChanged, MonitorDeleted
from . import monitor_shapes, project_shapes
from .app import app, authenticated
from .pagination import paginate
from .stats import stats_window

_SLUG = re.compile(r"^(?![0-9]+\Z)[a-z0-9_\-]{1,50}\Z")
_STATUSES = ("active", "disabled")


class MonitorRoutes:
    #: The roles of the store these routes use (checked by tests/test_interfaces.py).
    roles = (IDirectory, IMonitors, IWrites)

    def _monitor_project(self, organization: Organization, monitor: Monitor) -> Project | None:
        try:
            project = self.store.directory.project_by_id(monitor.project_id)
        except NotFound:
            return None
        return project if project.organization_id == organization.id else None

    def _monitor_body(self, organization: Organization, monitor: Monitor, project: Project,
                      environments: list[str]) -> dict[str, Any]:
        teams = [team for team in self.store.directory.teams_of(organization) if team.id in project.team_ids]
        return monitor_shapes.monitor(monitor, project_shapes.project(project, teams), environments)

    def _find_monitor(self, org: str, monitor_ref: str,
                      project: str | None = None) -> tuple[Organization, Monitor, Project]:
        organization = self.store.directory.organization(org)
        wanted = self.store.directory.project(organization, project) if project is not None else None
        monitor = self.store.monitors.find(organization.id, monitor_ref,
                                           wanted.id if wanted is not None else None)
        owner = self._monitor_project(organization, monitor)
        if owner is None:
            raise NotFound("Monitor does not exist.")
        return organization, monitor, owner

    @app.route("/api/0/organizations/<org>/monitors/", methods=["GET"])
    @authenticated
    def list_monitors(self, request: Any, org: str) -> bytes:
        organization = self.store.directory.organization(org)
        project_ids = None
        refs = [ref for ref in arg_list(request, "project") if ref not in ("", "-1")]
        if refs:
            project_ids = set()
            for ref in refs:
                try:
                    project_ids.add(self.store.directory.project(organization, ref).id)
                except NotFound:
                    continue
        environments = arg_list(request, "environment")
        query = (arg(request, "query") or "").strip().lower()
        found = []
        for monitor in self.store.monitors.of_organization(organization.id, project_ids):
            project = self._monitor_project(organization, monitor)
            if project is None:
                continue
            if environments and not set(environments) & set(monitor.environments):
                continue
            if query and query not in monitor.name.lower() and query not in monitor.slug:
                continue
            found.append((monitor, project))
        page = paginate(request, found)
        return json_response(request, [self._monitor_body(organization, monitor, project,
                                                          environments)
                                       for monitor, project in page])

    @app.route("/api/0/organizations/<org>/monitors/<monitor_ref>/", methods=["GET"])
    @app.route("/api/0/projects/<org>/<project>/monitors/<monitor_ref>/", methods=["GET"])
    @authenticated
    def monitor_detail(self, request: Any, org: str, monitor_ref: str,
                       project: str | None = None) -> bytes:
        organization, monitor, owner = self._find_monitor(org, monitor_ref, project)
        return json_response(request, self._monitor_body(organization, monitor, owner,
                                                         arg_list(request, "environment")))

    @app.route("/api/0/organizations/<org>/monitors/<monitor_ref>/", methods=["PUT"])
    @app.route("/api/0/projects/<org>/<project>/monitors/<monitor_ref>/", methods=["PUT"])
    @authenticated
    def update_monitor(self, request: Any, org: str, monitor_ref: str,
                       project: str | None = None) -> bytes:
        organization, monitor, owner = self._find_monitor(org, monitor_ref, project)
        body = read_json_body(request, self.store.limits.api_body) or {}
        if not isinstance(body, dict):
            raise Invalid(fields={"non_field_errors": ["Invalid data. Expected a dictionary."]})
        errors: dict[str, list[str]] = {}
        name, slug = body.get("name", monitor.name), body.get("slug", monitor.slug)
        status, muted = body.get("status", monitor.status), body.get("isMuted", monitor.is_muted)
        if not isinstance(name, str) or not name.strip():
            errors["name"] = ["This field may not be blank."]
        if not isinstance(slug, str) or not _SLUG.match(slug):
            errors["slug"] = ["Enter a valid slug consisting of lowercase letters, numbers, "
                              "underscores or hyphens. It cannot be entirely numeric."]
        if status not in _STATUSES:
            errors["status"] = [f'"{status}" is not a valid choice.']
        if not isinstance(muted, bool):
            errors["isMuted"] = ["Must be a valid boolean."]
        if errors:
            raise Invalid(fields=errors)
        changed = self.store.change_monitor(MonitorChanged(
            time=self.store.now(), organization_id=organization.id, monitor_id=monitor.id,
            slug=slug, name=name.strip(), status=status, is_muted=muted))
        return json_response(request, self._monitor_body(organization, changed, owner, []))

    @app.route("/api/0/organizations/<org>/monitors/<monitor_ref>/", methods=["DELETE"])
    @app.route("/api/0/projects/<org>/<project>/monitors/<monitor_ref>/", methods=["DELETE"])
    @authenticated
    def delete_monitor(self, request: Any, org: str, monitor_ref: str,
                       project: str | None = None) -> bytes:
        organization, monitor, _ = self._find_monitor(org, monitor_ref, project)
        environments = arg_list(request, "environment")
        if environments and not set(environments) & set(monitor.environments):
            raise NotFound("Monitor environment does not exist.")
        self.store.delete_monitor(MonitorDeleted(
            time=self.store.now(), organization_id=organization.id, monitor_id=monitor.id,
            environments=tuple(environments) if environments else None))
        return accepted(request)

    @app.route("/api/0/organizations/<org>/monitors/<monitor_ref>/stats/", methods=["GET"])
    @app.route("/api/0/projects/<org>/<project>/monitors/<monitor_ref>/stats/", methods=["GET"])
    @authenticated
    def monitor_stats(self, request: Any, org: str, monitor_ref: str,
                      project: str | None = None) -> bytes:
        """
        Check-ins per bucket (C{since}, C{until}, C{resolution}, C{environment}): how many
        were C{ok}, C{error}, C{missed} and C{timeout}, and their average C{duration} (ms).
        """
        _, monitor, _ = self._find_monitor(org, monitor_ref, project)
        _, start, end, step = stats_window(request, self.store.now())
        buckets = {ts: {"ok": 0, "error": 0, "missed": 0, "timeout": 0, "duration": 0}
                   for ts in range(start, end + 1, step)}
        durations: dict[int, list[int]] = {}
        wanted = set(arg_list(request, "environment"))
        for check_in in self.store.monitors.check_ins_of(monitor):
            bucket = int(check_in.date_added) // step * step
            if bucket not in buckets or check_in.status not in buckets[bucket]:
                continue
            if wanted and check_in.environment not in wanted:
                continue
            buckets[bucket][check_in.status] += 1
            if check_in.duration is not None:
                durations.setdefault(bucket, []).append(check_in.duration)
        for bucket, values in durations.items():
            buckets[bucket]["duration"] = sum(values) / len(values)
        return json_response(request, [{"ts": ts, **counts} for ts, counts in buckets.items()])

    @app.route("/api/0/organizations/<org>/monitors/<monitor_ref>/checkins/", methods=["GET"])
    @app.route("/api/0/projects/<org>/<project>/monitors/<monitor_ref>/checkins/",
               methods=["GET"])
    @authenticated
    def monitor_check_ins(self, request: Any, org: str, monitor_ref: str,
                          project: str | None = None) -> bytes:
        _, monitor, _ = self._find_monitor(org, monitor_ref, project)
        found = self.store.monitors.check_ins_of(monitor, arg_list(request, "environment"))
        return json_response(request, [monitor_shapes.check_in(check_in)
                                       for check_in in paginate(request, found)])
