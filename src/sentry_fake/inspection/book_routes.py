"""
The pages of the other books, at Sentry's URLs: releases and one release (with its commits,
deploys, files and health), cron monitors and one monitor's check-ins, and user feedback.
"""

from __future__ import annotations

from typing import Any

from ..errors import NotFound
from ..http import arg
from ..interfaces import IDirectory, IEventLog, IMonitors, IReleases, IUploads
from ..management.pagination import parse_cursor
from ..pages import links
from ..pages.feedback_page import feedback_content, feedback_of
from ..pages.issue_rows import pager
from ..pages.monitor_pages import monitor_content, monitors_content
from ..pages.release_pages import release_content, releases_content
from .app import app
from .page_base import PageBase, page

CHECK_INS_PER_PAGE = 50
FEEDBACK_PER_PAGE = 25


def _offset(request: Any) -> int:
    return parse_cursor(arg(request, "cursor"))[1]


def _pager(path: str, offset: int, size: int, shown: int, has_next: bool,
           total: int | None = None) -> Any:
    previous = links.with_cursor(path, [], max(0, offset - size)) if offset else None
    following = links.with_cursor(path, [], offset + size) if has_next else None
    text = "none"
    if shown:
        text = f"{offset + 1}–{offset + shown}" + (f" of {total}" if total is not None else "")
    return pager(previous, following, text)


class ReleasePages(PageBase):
    #: The roles of the store these routes use (checked by tests/test_interfaces.py).
    roles = (IDirectory, IReleases, IUploads)

    @app.route("/organizations/<org>/releases/", methods=["GET"])
    @page
    def release_list(self, request: Any, org: str) -> bytes:
        organization = self.organization_named(org)
        directory = self.store.directory
        query, status = arg(request, "query") or "", arg(request, "status", "open") or ""
        project_ids = [int(value) for value in request.args.get(b"project", [])
                       if value.isdigit()] or None
        found = self.store.releases.releases(organization.id, query or None, project_ids,
                                             status or None)
        shown = [(release, [directory.project_by_id(pid) for pid in release.project_ids])
                 for release in found]
        content = releases_content(organization.slug, shown, self.store.now(), query, status)
        return self.respond(request, "Releases", organization.slug, "releases",
                            [(organization.slug, links.issues_url(organization.slug)),
                             ("Releases", None)], content)

    @app.route("/organizations/<org>/releases/<path:version>/", methods=["GET"])
    @page
    def release_detail(self, request: Any, org: str, version: str) -> bytes:
        organization = self.organization_named(org)
        book = self.store.releases
        release = book.get(organization.id, version)
        projects = [self.store.directory.project_by_id(pid) for pid in release.project_ids]
        commits = []
        for commit in book.commits(release):
            try:
                repository = book.repository_by_id(commit.repository_id)
            except NotFound:
                repository = None
            commits.append((commit, repository))
        files = [(bundle_file.url, dist, bundle_file.size) for _, bundle_file, dist
                 in self.store.uploads.release_files(organization.id, release.version)]
        content = release_content(organization.slug, release, projects, commits,
                                  book.deploys(release), files, self.store.now())
        return self.respond(request, release.version, organization.slug, "releases",
                            [(organization.slug, links.issues_url(organization.slug)),
                             ("Releases", links.releases_url(organization.slug)),
                             (release.version, None)], content)


class MonitorPages(PageBase):
    #: The roles of the store these routes use (checked by tests/test_interfaces.py).
    roles = (IDirectory, IMonitors)

    @app.route("/organizations/<org>/crons/", methods=["GET"])
    @app.route("/organizations/<org>/insights/crons/", methods=["GET"])
    @page
    def monitor_list(self, request: Any, org: str) -> bytes:
        organization = self.organization_named(org)
        directory = self.store.directory
        shown = [(monitor, directory.project_by_id(monitor.project_id))
                 for monitor in self.store.monitors.of_organization(organization.id)]
        content = monitors_content(organization.slug, shown, self.store.now())
        return self.respond(request, "Crons", organization.slug, "crons",
                            [(organization.slug, links.issues_url(organization.slug)),
                             ("Crons", None)], content)

    def _monitor_page(self, request: Any, org: str, monitor_ref: str,
                      project_slug: str | None) -> bytes:
        organization = self.organization_named(org)
        directory = self.store.directory
        project_id = (directory.project(organization, project_slug).id
                      if project_slug is not None else None)
        monitor = self.store.monitors.find(organization.id, monitor_ref, project_id)
        project = directory.project_by_id(monitor.project_id)
        check_ins = self.store.monitors.check_ins_of(monitor)
        offset = _offset(request)
        shown = check_ins[offset:offset + CHECK_INS_PER_PAGE]
        path = links.monitor_url(organization.slug, project.slug, monitor.slug)
        content = monitor_content(organization.slug, monitor, project, shown,
                                  _pager(path, offset, CHECK_INS_PER_PAGE, len(shown),
                                         offset + CHECK_INS_PER_PAGE < len(check_ins),
                                         len(check_ins)), self.store.now())
        return self.respond(request, monitor.name, organization.slug, "crons",
                            [(organization.slug, links.issues_url(organization.slug)),
                             ("Crons", links.crons_url(organization.slug)), (monitor.name, None)],
                            content)

    @app.route("/organizations/<org>/crons/<project>/<monitor>/", methods=["GET"])
    @app.route("/organizations/<org>/insights/crons/<project>/<monitor>/", methods=["GET"])
    @page
    def monitor_detail(self, request: Any, org: str, project: str, monitor: str) -> bytes:
        return self._monitor_page(request, org, monitor, project)

    @app.route("/organizations/<org>/crons/<monitor>/", methods=["GET"])
    @page
    def monitor_detail_by_slug(self, request: Any, org: str, monitor: str) -> bytes:
        return self._monitor_page(request, org, monitor, None)


class FeedbackPages(PageBase):
    #: The roles of the store these routes use (checked by tests/test_interfaces.py).
    roles = (IDirectory, IEventLog)

    @app.route("/organizations/<org>/feedback/", methods=["GET"])
    @page
    def feedback(self, request: Any, org: str) -> bytes:
        organization = self.organization_named(org)
        directory = self.store.directory
        projects = {project.id: project for project in directory.projects_of(organization)}
        offset = _offset(request)
        # Both kinds, newest first: each log is read from its newest end, as far as the page
        # (and one more, to know whether another page follows).
        wanted = offset + FEEDBACK_PER_PAGE + 1
        found = sorted((item for kind in ("user_report", "feedback")
                        for item in self.store.items(kind).newest(0, wanted)
                        if item.project_id in projects), key=lambda item: item.id, reverse=True)
        chosen = found[offset:offset + FEEDBACK_PER_PAGE]
        more = len(found) > offset + FEEDBACK_PER_PAGE
        entries = []
        for item in chosen:
            entry = feedback_of(item)
            issue_id = None
            if entry.event_id:
                try:
                    issue_id = self.store.event(entry.event_id).issue_id
                except NotFound:
                    issue_id = None
            entries.append((entry, projects.get(item.project_id), issue_id))
        path = links.feedback_url(organization.slug)
        content = feedback_content(organization.slug, entries,
                                   _pager(path, offset, FEEDBACK_PER_PAGE, len(chosen), more),
                                   self.store.now())
        return self.respond(request, "User Feedback", organization.slug, "feedback",
                            [(organization.slug, links.issues_url(organization.slug)),
                             ("User Feedback", None)], content)
