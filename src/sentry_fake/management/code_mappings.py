"""
Code mappings: which path of a repository each stack trace root of a project stands for, as
C{sentry-cli code-mappings upload} sends them in bulk, and Sentry's list of them.

Sentry links repositories through integrations (GitHub, GitLab, ...) and refuses a bulk upload
naming a repository that no integration knows.  A fake has no integrations: a repository it does
not know is created by the upload (of the C{provider} named, if any), as a C{refs} entry of a
release creates one, and the mappings answer C{integrationId} and C{provider} C{null}.
"""

from __future__ import annotations

from typing import Any

from ..errors import Forbidden, Invalid, NotFound
from ..http import arg, arg_list, json_response, read_json_body
from ..interfaces import IDirectory, IReleases, IWrites
from ..store.code_mappings import CodeMapping
from ..store.models import Organization, Project
from ..store.records import CodeMappingsUploaded
from . import code_mapping_input
from .app import app, authenticated
from .pagination import paginate

NO_PERMISSION = "You do not have permission to perform this action."
NO_DEFAULT_BRANCH = ("Could not determine the default branch. Please provide defaultBranch "
                     "explicitly.")


def code_mapping(mapping: CodeMapping, project: Project, repository_name: str) -> dict[str, Any]:
    """
    Sentry's shape of a code mapping (a repository project path config).
    """
    return {
        "id": str(mapping.id),
        "projectId": str(project.id),
        "projectSlug": project.slug,
        "repoId": str(mapping.repository_id),
        "repoName": repository_name,
        "integrationId": None,
        "provider": None,
        "stackRoot": mapping.stack_root,
        "sourceRoot": mapping.source_root,
        "defaultBranch": mapping.default_branch,
        "automaticallyGenerated": mapping.automatically_generated,
    }


class CodeMappingRoutes:
    #: The roles of the store these routes use (checked by tests/test_interfaces.py).
    roles = (IDirectory, IReleases, IWrites)

    @app.route("/api/0/organizations/<org>/code-mappings/bulk/", methods=["POST"])
    @authenticated
    def code_mappings_bulk(self, request: Any, org: str) -> bytes:
        organization = self.store.directory.organization(org)
        values = code_mapping_input.bulk_code_mappings(
            read_json_body(request, self.store.limits.api_body))
        project = next((found for found in self.store.directory.projects_of(organization)
                        if found.slug == values["project"]), None)
        if project is None:
            raise NotFound(f"Project not found or not active: {values['project']}")
        if not values["default_branch"]:
            raise Invalid(NO_DEFAULT_BRANCH)
        results = self.store.upload_code_mappings(CodeMappingsUploaded(
            time=self.store.now(), organization_id=organization.id, project_id=project.id,
            repository=values["repository"], provider=values["provider"],
            default_branch=values["default_branch"], mappings=tuple(values["mappings"])))
        mappings = [{"stackRoot": mapping.stack_root, "sourceRoot": mapping.source_root,
                     "status": "created" if created else "updated"}
                    for mapping, created in results]
        created = sum(1 for entry in mappings if entry["status"] == "created")
        return json_response(request, {"created": created, "updated": len(mappings) - created,
                                       "errors": 0, "mappings": mappings})

    @app.route("/api/0/organizations/<org>/code-mappings/", methods=["GET"])
    @authenticated
    def code_mapping_list(self, request: Any, org: str) -> bytes:
        organization = self.store.directory.organization(org)
        if arg(request, "integrationId"):
            # No integration is installed on a fake's organizations.
            raise NotFound()
        projects = {project.id: project for project in self._listed_projects(request, organization)}
        repositories = {repo.id: repo.name
                        for repo in self.store.releases.repositories(organization.id)}
        mappings = [mapping for mapping in
                    self.store.releases.code_mappings(organization.id, list(projects))
                    if mapping.repository_id in repositories]
        page = paginate(request, mappings)
        return json_response(request, [
            code_mapping(mapping, projects[mapping.project_id], repositories[mapping.repository_id])
            for mapping in page])

    def _listed_projects(self, request: Any, organization: Organization) -> list[Project]:
        """
        The projects the C{project} parameter names (ids or slugs; C{-1} or none: all).
        """
        wanted = [ref for ref in arg_list(request, "project") if ref not in ("", "-1")]
        if not wanted:
            return self.store.directory.projects_of(organization)
        try:
            return [self.store.directory.project(organization, ref) for ref in wanted]
        except NotFound:
            raise Forbidden(NO_PERMISSION)
