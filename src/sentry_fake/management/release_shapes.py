"""
Releases, deploys, commits and repositories as Sentry's REST API shows them.  Pure functions.

Release ids and the ids in a release's C{projects} are integers (as Sentry documents); deploy,
commit author and repository ids are strings; datetimes carry an offset.
"""

from __future__ import annotations

import re
from typing import Any, Iterable

from ..store.models import Project
from ..store.release_models import PROVIDER_NAMES, Commit, Deploy, Release, Repository
from ..timefmt import isoformat

# The release and version grammar of Sentry's release parser.
_RELEASE = re.compile(r"^(@?[^@]+)@(.+?)\Z")
_VERSION = re.compile(
    r"""^(?P<major>[0-9][0-9]*)
        (?:\.(?P<minor>[0-9][0-9]*))?
        (?:\.(?P<patch>[0-9][0-9]*))?
        (?:\.(?P<revision>[0-9][0-9]*))?
        (?P<pre>(?:-|[a-z])
            (?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)?
            (?:\.(?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*))*)?
        (?:\+(?P<build>[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$""",
    re.VERBOSE,
)
_HEX = re.compile(r"^[a-fA-F0-9]+\Z")


def _is_build_hash(text: str | None) -> bool:
    return bool(text) and len(text) in (12, 16, 20, 32, 40, 64) and bool(_HEX.match(text))


def version_info(version: str) -> dict[str, Any]:
    """
    C{versionInfo}: the package, the parsed version, a short description and the build hash,
    as Sentry's release parser reads C{package@1.2.3+build}.
    """
    raw = version.strip()
    match = _RELEASE.match(raw)
    package, version_raw = (match.group(1), match.group(2)) if match else (None, raw)
    parsed = None
    if match and not _is_build_hash(version_raw):
        parsed = _VERSION.match(version_raw)
    body: dict[str, Any] = {"raw": version_raw}
    build_hash = None
    if parsed:
        parts = [parsed.group(name) for name in ("major", "minor", "patch", "revision")]
        components = sum(part is not None for part in parts)
        pre = parsed.group("pre") or None
        if pre and pre.startswith("-"):
            pre = pre[1:] or None
        build = parsed.group("build")
        body.update({
            "major": int(parts[0]), "minor": int(parts[1] or 0), "patch": int(parts[2] or 0),
            "pre": pre, "buildCode": build, "components": components,
        })
        if _is_build_hash(build):
            build_hash = build
        description = ".".join(part for part in parts if part is not None)
        if pre:
            description += f"-{pre}"
        if build_hash or build:
            description += f" ({(build_hash or '')[:12] or build})"
    elif _is_build_hash(version_raw):
        build_hash = version_raw
        description = version_raw[:12]
    else:
        description = raw
    return {"package": package, "version": body, "description": description,
            "buildHash": build_hash}


def repository(repo: Repository) -> dict[str, Any]:
    if repo.provider:
        provider = {"id": repo.provider, "name": PROVIDER_NAMES.get(repo.provider, repo.provider)}
    else:
        provider = {"id": "unknown", "name": "Unknown Provider"}
    return {
        "id": str(repo.id), "name": repo.name, "url": repo.url, "provider": provider,
        "status": repo.status, "dateCreated": isoformat(repo.date_created),
        "integrationId": None, "externalSlug": repo.name if repo.provider else None,
        "externalId": None,
    }


def author(name: str | None, email: str | None) -> dict[str, Any]:
    """
    A commit author that matches no user of the organization.
    """
    return {"name": name, "email": email}


def release_summary(release: Release) -> dict[str, Any]:
    return {
        "version": release.version, "shortVersion": release.version, "ref": release.ref,
        "url": release.url, "dateReleased": isoformat(release.date_released),
        "dateCreated": isoformat(release.date_created),
    }


def commit(commit_: Commit, repo: Repository,
           releases: Iterable[Release] = ()) -> dict[str, Any]:
    has_author = commit_.author_name is not None or commit_.author_email is not None
    return {
        "id": commit_.key, "message": commit_.message,
        "dateCreated": isoformat(commit_.date_created), "pullRequest": None,
        "suspectCommitType": "", "repository": repository(repo),
        "author": author(commit_.author_name, commit_.author_email) if has_author else {},
        "releases": [release_summary(release) for release in releases],
    }


def deploy(deploy_: Deploy) -> dict[str, Any]:
    return {
        "id": str(deploy_.id), "environment": deploy_.environment,
        "dateStarted": isoformat(deploy_.date_started),
        "dateFinished": isoformat(deploy_.date_finished),
        "name": deploy_.name, "url": deploy_.url,
    }


def release_project(project: Project, release: Release, health: bool = False) -> dict[str, Any]:
    counts = release.health.get(project.id)
    body = {
        "id": project.id, "slug": project.slug, "name": project.name,
        "newGroups": release.new_groups.get(project.id, 0), "platform": project.platform,
        "platforms": [project.platform] if project.platform else [],
        "hasHealthData": counts is not None and counts.total > 0,
    }
    if health:
        body["healthData"] = counts.describe() if counts is not None else None
    return body


def release(release_: Release, projects: Iterable[Project], last_commit: dict[str, Any] | None,
            last_deploy: Deploy | None, authors: Iterable[tuple[str | None, str | None]],
            owner: dict[str, Any] | None = None, health: bool = False) -> dict[str, Any]:
    """
    The release object; the caller looks up its projects, last commit (already shaped), last
    deploy, commit authors and owner.  With C{health}, each project carries C{healthData}.
    """
    return {
        "id": release_.id, "version": release_.version, "shortVersion": release_.version,
        "status": release_.status, "versionInfo": version_info(release_.version),
        "ref": release_.ref, "url": release_.url,
        "dateReleased": isoformat(release_.date_released),
        "dateCreated": isoformat(release_.date_created),
        "dateStarted": isoformat(release_.date_started),
        "data": dict(release_.data), "newGroups": release_.total_new_groups, "owner": owner,
        "commitCount": len(release_.commit_ids), "lastCommit": last_commit,
        "deployCount": release_.deploy_count,
        "lastDeploy": deploy(last_deploy) if last_deploy is not None else None,
        "authors": [author(name, email) for name, email in authors],
        "projects": [release_project(project, release_, health) for project in projects],
        "firstEvent": isoformat(release_.first_event),
        "lastEvent": isoformat(release_.last_event),
        "currentProjectMeta": {}, "userAgent": release_.user_agent,
    }
