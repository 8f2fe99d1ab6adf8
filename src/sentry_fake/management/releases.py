"""
Releases, their commits and deploys, and the organization's repositories.

Every release route answers on the organization path and, where Sentry (and older sentry-cli
versions) use one, on the project path too; a project path only sees releases of that project.
Versions arrive percent-encoded and are decoded before routing, so a version holding a slash
cannot be addressed (sentry-cli sends U+FFFD for it) and answers 404, as in Sentry.
"""

from __future__ import annotations

from typing import Any

from ..errors import Forbidden, Invalid, NotFound
from ..http import arg, arg_list, json_response, read_json_body
from ..interfaces import IDirectory, IReleases, IWrites
from ..store.models import Organization, Project
from ..store.records import (DeployCreated, ReleaseChanged, ReleaseCreated, ReleaseDeleted,
                             RepositoryCreated)
from ..store.release_models import Release
from . import release_input, release_shapes, serializers
from .app import app, authenticated
from .pagination import paginate

INVALID_PROJECTS = "Invalid project ids or slugs"
NO_PERMISSION = "You do not have permission to perform this action."
UNKNOWN_OWNER = "Could not resolve owner to a member of the organization."


def _user_agent(request: Any) -> str | None:
    value = request.getHeader(b"user-agent")
    return value.decode("latin-1")[:256] if value else None


class ReleaseRoutes:
    #: The roles of the store these routes use (checked by tests/test_interfaces.py).
    roles = (IDirectory, IReleases, IWrites)

    # Lookups shared by the routes

    def _organization_and_project(self, org: str,
                                  project: str | None) -> tuple[Organization, Project | None]:
        organization = self.store.directory.organization(org)
        found = self.store.directory.project(organization, project) if project is not None else None
        return organization, found

    def _release(self, org: str, version: str,
                 project: str | None = None) -> tuple[Organization, Release]:
        organization, found = self._organization_and_project(org, project)
        release = self.store.releases.get(organization.id, version)
        if found is not None and found.id not in release.project_ids:
            raise NotFound()
        return organization, release

    def _projects_named(self, organization: Organization, refs: list[Any]) -> list[Project]:
        """
        The organization's projects named by slug or id; any other name is a field error.
        """
        projects = []
        for ref in refs:
            if isinstance(ref, bool) or not isinstance(ref, (str, int)):
                raise Invalid(fields={"projects": [INVALID_PROJECTS]})
            try:
                project = self.store.directory.project(organization, ref)
            except NotFound:
                raise Invalid(fields={"projects": [INVALID_PROJECTS]})
            if project not in projects:
                projects.append(project)
        return projects

    def _release_projects(self, release: Release) -> list[Project]:
        projects = []
        for project_id in release.project_ids:
            try:
                projects.append(self.store.directory.project_by_id(project_id))
            except NotFound:
                continue
        return projects

    def _commit_body(self, commit: Any) -> dict[str, Any]:
        book = self.store.releases
        return release_shapes.commit(commit, book.repository_by_id(commit.repository_id),
                                     book.releases_of_commit(commit))

    def _release_body(self, release: Release, request: Any = None) -> dict[str, Any]:
        book = self.store.releases
        commits = book.commits(release)
        health = request is not None and arg(request, "health") in ("1", "true")
        return release_shapes.release(
            release, self._release_projects(release),
            self._commit_body(commits[0]) if commits else None,
            book.deploy(release.last_deploy_id), book.authors(release),
            self._owner_body(release.owner), health=health,
        )

    def _owner_id(self, owner: str | None) -> str | None:
        """
        The id of the user an C{owner} field names by id, username or email.
        """
        if not owner:
            return None
        for user in self.store.directory.users():
            if owner in (str(user.id), user.username, user.email):
                return str(user.id)
        raise Invalid(fields={"owner": [UNKNOWN_OWNER]})

    def _owner_body(self, owner_id: str | None) -> dict[str, Any] | None:
        user = self.store.directory.user(int(owner_id)) if owner_id else None
        return serializers.user(user) if user is not None else None

    def _answer_creation(self, request: Any, creation: Any) -> bytes:
        status = 208 if creation.already_reported else 201
        return json_response(request, self._release_body(creation.release), status)

    # Lists and creation

    @app.route("/api/0/organizations/<org>/releases/", methods=["GET"])
    @authenticated
    def release_list(self, request: Any, org: str) -> bytes:
        organization = self.store.directory.organization(org)
        status = arg(request, "status", "open")
        if status and status not in release_input.STATUSES:
            raise Invalid("invalid value for status")
        if (arg(request, "sort") or "date") != "date":
            raise Invalid("invalid sort")
        wanted = [ref for ref in arg_list(request, "project") if ref not in ("", "-1")]
        if wanted:
            try:
                projects = [self.store.directory.project(organization, ref) for ref in wanted]
            except NotFound:
                raise Forbidden(NO_PERMISSION)
        else:
            projects = self.store.directory.projects_of(organization)
        releases = self.store.releases.releases(
            organization.id, query=arg(request, "query"),
            project_ids=[project.id for project in projects], status=status or None)
        page = paginate(request, releases)
        return json_response(request, [self._release_body(release, request) for release in page])

    @app.route("/api/0/projects/<org>/<project>/releases/", methods=["GET"])
    @authenticated
    def release_list_of_project(self, request: Any, org: str, project: str) -> bytes:
        organization, found = self._organization_and_project(org, project)
        releases = self.store.releases.releases(organization.id, query=arg(request, "query"),
                                                project_ids=[found.id])
        releases.sort(key=lambda release: (release.sort_date, release.id), reverse=True)
        page = paginate(request, releases)
        return json_response(request, [self._release_body(release, request) for release in page])

    def _create(self, request: Any, organization: Organization, values: dict[str, Any],
                projects: list[Project]) -> bytes:
        owner = self._owner_id(values["owner"])
        creation = self.store.create_release(ReleaseCreated(
            time=self.store.now(), organization_id=organization.id, version=values["version"],
            project_ids=tuple(project.id for project in projects), ref=values["ref"],
            url=values["url"], date_started=values["date_started"],
            date_released=values["date_released"], status=values["status"], owner=owner,
            user_agent=_user_agent(request), commits=_tupled(values["commits"]),
            refs=_tupled(values["refs"])))
        return self._answer_creation(request, creation)

    @app.route("/api/0/organizations/<org>/releases/", methods=["POST"])
    @authenticated
    def release_create(self, request: Any, org: str) -> bytes:
        organization = self.store.directory.organization(org)
        values = release_input.new_release(read_json_body(request, self.store.limits.api_body))
        projects = self._projects_named(organization, values["projects"])
        return self._create(request, organization, values, projects)

    @app.route("/api/0/projects/<org>/<project>/releases/", methods=["POST"])
    @authenticated
    def release_create_for_project(self, request: Any, org: str, project: str) -> bytes:
        organization, found = self._organization_and_project(org, project)
        body = read_json_body(request, self.store.limits.api_body)
        values = release_input.new_release(body, with_projects=False)
        return self._create(request, organization, values, [found])

    # One release

    @app.route("/api/0/organizations/<org>/releases/<version>/", methods=["GET"])
    @app.route("/api/0/projects/<org>/<project>/releases/<version>/", methods=["GET"])
    @authenticated
    def release_detail(self, request: Any, org: str, version: str,
                       project: str | None = None) -> bytes:
        _, release = self._release(org, version, project)
        return json_response(request, self._release_body(release, request))

    @app.route("/api/0/organizations/<org>/releases/<version>/", methods=["PUT"])
    @app.route("/api/0/projects/<org>/<project>/releases/<version>/", methods=["PUT"])
    @authenticated
    def release_update(self, request: Any, org: str, version: str,
                       project: str | None = None) -> bytes:
        organization, release = self._release(org, version, project)
        values = release_input.release_update(
            read_json_body(request, self.store.limits.api_body))
        changed = self.store.change_release(ReleaseChanged(
            time=self.store.now(), organization_id=organization.id, version=release.version,
            ref=values["ref"], url=values["url"], date_released=values["date_released"],
            status=values["status"], commits=_tupled(values["commits"]),
            refs=_tupled(values["refs"])))
        return json_response(request, self._release_body(changed))

    @app.route("/api/0/organizations/<org>/releases/<version>/", methods=["DELETE"])
    @app.route("/api/0/projects/<org>/<project>/releases/<version>/", methods=["DELETE"])
    @authenticated
    def release_delete(self, request: Any, org: str, version: str,
                       project: str | None = None) -> bytes:
        organization, release = self._release(org, version, project)
        self.store.delete_release(ReleaseDeleted(time=self.store.now(),
                                                 organization_id=organization.id,
                                                 version=release.version))
        request.setResponseCode(204)
        return b""

    @app.route("/api/0/organizations/<org>/releases/<version>/commits/", methods=["GET"])
    @app.route("/api/0/projects/<org>/<project>/releases/<version>/commits/", methods=["GET"])
    @authenticated
    def release_commits(self, request: Any, org: str, version: str,
                        project: str | None = None) -> bytes:
        _, release = self._release(org, version, project)
        page = paginate(request, self.store.releases.commits(release))
        return json_response(request, [self._commit_body(commit) for commit in page])

    @app.route("/api/0/organizations/<org>/releases/<version>/previous-with-commits/",
               methods=["GET"])
    @authenticated
    def release_previous_with_commits(self, request: Any, org: str, version: str) -> bytes:
        _, release = self._release(org, version)
        previous = self.store.releases.previous_with_commits(release)
        return json_response(request, self._release_body(previous) if previous else {})

    # Deploys

    @app.route("/api/0/organizations/<org>/releases/<version>/deploys/", methods=["GET"])
    @authenticated
    def release_deploys(self, request: Any, org: str, version: str) -> bytes:
        _, release = self._release(org, version)
        page = paginate(request, self.store.releases.deploys(release))
        return json_response(request, [release_shapes.deploy(deploy) for deploy in page])

    @app.route("/api/0/organizations/<org>/releases/<version>/deploys/", methods=["POST"])
    @authenticated
    def release_deploy_create(self, request: Any, org: str, version: str) -> bytes:
        organization, release = self._release(org, version)
        values = release_input.new_deploy(read_json_body(request, self.store.limits.api_body))
        projects = self._release_projects(release)
        if values["projects"] is not None:
            named = self._projects_named(organization, values["projects"])
            if any(project not in projects for project in named):
                raise Invalid(fields={"projects": [INVALID_PROJECTS]})
            projects = named
        deploy = self.store.create_deploy(DeployCreated(
            time=self.store.now(), organization_id=organization.id, version=release.version,
            environment=values["environment"],
            project_ids=tuple(project.id for project in projects), name=values["name"],
            url=values["url"], date_started=values["date_started"],
            date_finished=values["date_finished"]))
        return json_response(request, release_shapes.deploy(deploy), 201)

    # Repositories

    @app.route("/api/0/organizations/<org>/repos/", methods=["GET"])
    @authenticated
    def repository_list(self, request: Any, org: str) -> bytes:
        organization = self.store.directory.organization(org)
        repos = self.store.releases.repositories(organization.id)
        query = (arg(request, "query") or "").lower()
        if query:
            repos = [repo for repo in repos if query in repo.name.lower()]
        status = arg(request, "status")
        if status:
            repos = [repo for repo in repos if repo.status == status]
        page = paginate(request, repos)
        return json_response(request, [release_shapes.repository(repo) for repo in page])

    @app.route("/api/0/organizations/<org>/repos/", methods=["POST"])
    @authenticated
    def repository_create(self, request: Any, org: str) -> bytes:
        organization = self.store.directory.organization(org)
        values = release_input.new_repository(read_json_body(request, self.store.limits.api_body))
        repo = self.store.create_repository(RepositoryCreated(
            time=self.store.now(), organization_id=organization.id, name=values["name"],
            provider=values["provider"], url=values["url"]))
        return json_response(request, release_shapes.repository(repo), 201)


def _tupled(entries: list[Any] | None) -> tuple[Any, ...] | None:
    return tuple(entries) if entries is not None else None
