"""
One issue: detail, update and delete (organization and legacy routes), its tags, hashes, and
short-id lookup.
"""

from __future__ import annotations

from typing import Any

from ..errors import NotFound
from ..http import accepted, json_response, read_json_body
from ..interfaces import IDirectory, IEventLog, IIssues, IWrites
from ..store.models import Issue, Organization
from ..store.records import IssuesChanged, IssuesDeleted
from ..timefmt import isoformat
from . import serializers
from .app import app, authenticated
from .issue_updates import parse_change
from .pagination import paginate

_TAG_NAMES = {"level": "Level", "environment": "Environment", "release": "Release",
              "user": "User", "server_name": "Server", "transaction": "Transaction",
              "url": "URL", "browser": "Browser", "os": "OS", "device": "Device",
              "runtime": "Runtime", "handled": "Handled", "mechanism": "Mechanism",
              "logger": "Logger", "dist": "Dist"}


def _tag_name(key: str) -> str:
    return _TAG_NAMES.get(key, key)


class IssueDetailRoutes:
    #: The roles of the store these routes use (checked by tests/test_interfaces.py).
    roles = (IDirectory, IEventLog, IIssues, IWrites)

    def _detail(self, request: Any, issue: Issue, org: Organization) -> dict[str, Any]:
        body = self._issue_body(request, issue, org)
        body["stats"]["30d"] = serializers.issue_stats(issue, "30d", self.store.now())
        facts = self.store.issue_facts(issue)
        body.update({
            "activity": self.activity_of(issue),
            "seenBy": [], "participants": [], "pluginActions": [], "pluginIssues": [],
            "pluginContexts": [],
            "userReportCount": len(self.user_reports({issue.project_id}, issue)),
            "firstRelease": _release_ref(issue.first_release),
            "lastRelease": _release_ref(issue.last_release),
            "tags": [{"key": key, "name": _tag_name(key), "totalValues": sum(counts.values())}
                     for key, counts in sorted(facts.tag_counts.items())],
            "participantsCount": 0,
        })
        return body

    async def _get(self, request: Any, org: str | None, issue_id: str) -> bytes:
        issue, organization = self._issue_in(org, issue_id)
        await self.store.prepare_issue_facts(issue)
        return json_response(request, self._detail(request, issue, organization))

    async def _put(self, request: Any, org: str | None, issue_id: str) -> bytes:
        issue, organization = self._issue_in(org, issue_id)
        change, _ = parse_change(read_json_body(request, self.store.limits.api_body),
                                 lambda value: self.store.directory.resolve_actor(organization, value))
        self.store.change_issues(IssuesChanged(time=self.store.now(), issue_ids=(issue.id,),
                                               change=change))
        await self.store.prepare_issue_facts(issue)
        return json_response(request, self._detail(request, issue, organization))

    def _delete(self, request: Any, org: str | None, issue_id: str) -> bytes:
        issue, _ = self._issue_in(org, issue_id)
        self.store.delete_issues(IssuesDeleted(time=self.store.now(), issue_ids=(issue.id,)))
        return accepted(request)

    @app.route("/api/0/organizations/<org>/issues/<issue_id>/", methods=["GET"])
    @authenticated
    def org_issue(self, request: Any, org: str, issue_id: str) -> bytes:
        return self._get(request, org, issue_id)

    @app.route("/api/0/organizations/<org>/issues/<issue_id>/", methods=["PUT"])
    @authenticated
    def update_org_issue(self, request: Any, org: str, issue_id: str) -> bytes:
        return self._put(request, org, issue_id)

    @app.route("/api/0/organizations/<org>/issues/<issue_id>/", methods=["DELETE"])
    @authenticated
    def delete_org_issue(self, request: Any, org: str, issue_id: str) -> bytes:
        return self._delete(request, org, issue_id)

    @app.route("/api/0/issues/<issue_id>/", methods=["GET"])
    @app.route("/api/0/groups/<issue_id>/", methods=["GET"])
    @authenticated
    def legacy_issue(self, request: Any, issue_id: str) -> bytes:
        return self._get(request, None, issue_id)

    @app.route("/api/0/issues/<issue_id>/", methods=["PUT"])
    @app.route("/api/0/groups/<issue_id>/", methods=["PUT"])
    @authenticated
    def update_legacy_issue(self, request: Any, issue_id: str) -> bytes:
        return self._put(request, None, issue_id)

    @app.route("/api/0/issues/<issue_id>/", methods=["DELETE"])
    @app.route("/api/0/groups/<issue_id>/", methods=["DELETE"])
    @authenticated
    def delete_legacy_issue(self, request: Any, issue_id: str) -> bytes:
        return self._delete(request, None, issue_id)

    # Tags and hashes

    async def _tags(self, request: Any, org: str | None, issue_id: str) -> bytes:
        issue, _ = self._issue_in(org, issue_id)
        await self.store.prepare_issue_facts(issue)
        facts = self.store.issue_facts(issue)
        return json_response(request, [
            self._tag_body(facts, key, limit=9) for key in sorted(facts.tag_counts)
        ])

    def _tag_body(self, facts: Any, key: str, limit: int) -> dict[str, Any]:
        counts = facts.tag_counts.get(key)
        if counts is None:
            raise NotFound()
        return {
            "key": key, "name": _tag_name(key), "uniqueValues": len(counts),
            "totalValues": sum(counts.values()),
            "topValues": [self._tag_value(facts, key, value, count)
                          for value, count in counts.most_common(limit)],
        }

    def _tag_value(self, facts: Any, key: str, value: str, count: int) -> dict[str, Any]:
        first, last = facts.tag_seen[(key, value)]
        return {"key": key, "name": value, "value": value, "count": count,
                "firstSeen": isoformat(first), "lastSeen": isoformat(last)}

    @app.route("/api/0/organizations/<org>/issues/<issue_id>/tags/", methods=["GET"])
    @authenticated
    def org_issue_tags(self, request: Any, org: str, issue_id: str) -> bytes:
        return self._tags(request, org, issue_id)

    @app.route("/api/0/issues/<issue_id>/tags/", methods=["GET"])
    @authenticated
    def legacy_issue_tags(self, request: Any, issue_id: str) -> bytes:
        return self._tags(request, None, issue_id)

    @app.route("/api/0/organizations/<org>/issues/<issue_id>/tags/<key>/", methods=["GET"])
    @authenticated
    async def org_issue_tag(self, request: Any, org: str, issue_id: str, key: str) -> bytes:
        issue, _ = self._issue_in(org, issue_id)
        await self.store.prepare_issue_facts(issue)
        return json_response(request, self._tag_body(self.store.issue_facts(issue), key, 9))

    @app.route("/api/0/issues/<issue_id>/tags/<key>/", methods=["GET"])
    @authenticated
    async def legacy_issue_tag(self, request: Any, issue_id: str, key: str) -> bytes:
        issue, _ = self._issue_in(None, issue_id)
        await self.store.prepare_issue_facts(issue)
        return json_response(request, self._tag_body(self.store.issue_facts(issue), key, 9))

    @app.route("/api/0/organizations/<org>/issues/<issue_id>/tags/<key>/values/", methods=["GET"])
    @app.route("/api/0/issues/<issue_id>/tags/<key>/values/", methods=["GET"])
    @authenticated
    async def issue_tag_values(self, request: Any, issue_id: str, key: str,
                               org: str | None = None) -> bytes:
        issue, _ = self._issue_in(org, issue_id)
        await self.store.prepare_issue_facts(issue)
        facts = self.store.issue_facts(issue)
        counts = facts.tag_counts.get(key)
        if counts is None:
            raise NotFound()
        values = [self._tag_value(facts, key, value, count) for value, count in counts.most_common()]
        return json_response(request, paginate(request, values))

    @app.route("/api/0/organizations/<org>/issues/<issue_id>/hashes/", methods=["GET"])
    @app.route("/api/0/issues/<issue_id>/hashes/", methods=["GET"])
    @authenticated
    def issue_hashes(self, request: Any, issue_id: str, org: str | None = None) -> bytes:
        issue, _ = self._issue_in(org, issue_id)
        latest = self.store.latest_event(issue.id)
        latest_id = latest.event_id if latest is not None else None
        hashes = [{"id": hash_, "latestEvent": {"eventID": latest_id} if latest_id else None,
                   "mergedBySeer": False, "seerMatchDistance": None} for hash_ in issue.hashes]
        return json_response(request, paginate(request, hashes))

    @app.route("/api/0/organizations/<org>/shortids/<short_id>/", methods=["GET"])
    @authenticated
    async def short_id(self, request: Any, org: str, short_id: str) -> bytes:
        organization = self.store.directory.organization(org)
        issue = self.store_issue_by_short_id(organization, short_id)
        if issue is None:
            raise NotFound()
        project = self.store.directory.project_by_id(issue.project_id)
        await self.store.prepare_issue_facts(issue)
        body = self._detail(request, issue, organization)
        return json_response(request, {
            "organizationSlug": organization.slug, "projectSlug": project.slug,
            "groupId": str(issue.id), "shortId": body["shortId"], "group": body,
        })


def _release_ref(version: str | None) -> dict[str, Any] | None:
    return {"version": version, "shortVersion": version} if version else None
