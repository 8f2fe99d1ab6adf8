"""
Model records as Sentry's REST API shows them.  Pure functions: no Klein, no requests.

Ids are strings except where Sentry documents integers; datetimes carry an offset.
"""

from __future__ import annotations

import hashlib
from typing import Any

from ..short_ids import base32, base32_decode  # noqa: F401 (what routes read short ids with)
from ..store.models import ClientKey, Issue, Organization, Project, Team, User
from ..timefmt import isoformat

#: The avatar of whatever has not uploaded one (Sentry draws its initials).
AVATAR = {"avatarType": "letter_avatar", "avatarUuid": None, "avatarUrl": None}


def organization(org: Organization, base: str) -> dict[str, Any]:
    return {
        "id": str(org.id), "slug": org.slug, "name": org.name,
        "dateCreated": isoformat(org.date_created), "isEarlyAdopter": False, "require2FA": False,
        "requireEmailVerification": False, "features": [],
        "status": {"id": "active", "name": "active"}, "avatar": dict(AVATAR),
        "hasAuthProvider": False, "allowMemberInvite": True, "allowMemberProjectCreation": True,
        "allowSuperuserAccess": False,
        "links": {"organizationUrl": base, "regionUrl": base},
    }


def team_summary(team: Team) -> dict[str, Any]:
    return {"id": str(team.id), "slug": team.slug, "name": team.name}


def team(team_: Team, project_count: int = 0) -> dict[str, Any]:
    return {
        **team_summary(team_), "dateCreated": isoformat(team_.date_created), "isMember": True,
        "teamRole": "admin", "flags": {"idp:provisioned": False},
        "access": ["event:read", "event:write", "project:read", "project:write", "team:read"],
        "hasAccess": True, "isPending": False, "memberCount": 1, "avatar": dict(AVATAR),
        "projectCount": project_count,
    }


def client_key(key: ClientKey, base: str) -> dict[str, Any]:
    scheme, _, host = base.partition("://")
    pid, public = key.project_id, key.public
    return {
        "id": public, "name": key.name, "label": key.name, "public": public, "secret": key.secret,
        "projectId": pid, "isActive": key.is_active, "rateLimit": key.rate_limit,
        "dateCreated": isoformat(key.date_created),
        "dsn": {
            "public": f"{scheme}://{public}@{host}/{pid}",
            "secret": f"{scheme}://{public}:{key.secret}@{host}/{pid}",
            "csp": f"{base}/api/{pid}/csp-report/?sentry_key={public}",
            "security": f"{base}/api/{pid}/security/?sentry_key={public}",
            "minidump": f"{base}/api/{pid}/minidump/?sentry_key={public}",
            "nel": f"{base}/api/{pid}/nel/?sentry_key={public}",
            "unreal": f"{base}/api/{pid}/unreal/{public}/",
            "crons": f"{base}/api/{pid}/cron/___MONITOR_SLUG___/{public}/",
            "cdn": f"{base}/js-sdk-loader/{public}.min.js",
            "playstation": f"{base}/api/{pid}/playstation/?sentry_key={public}",
            "integration": f"{base}/api/{pid}/integration/",
            "otlp_traces": f"{base}/api/{pid}/integration/otlp/v1/traces",
            "otlp_logs": f"{base}/api/{pid}/integration/otlp/v1/logs",
        },
        "browserSdkVersion": "latest", "browserSdk": {"choices": [["latest", "latest"]]},
        "dynamicSdkLoaderOptions": {"hasReplay": True, "hasPerformance": True, "hasDebug": False,
                                    "hasFeedback": False, "hasLogsAndMetrics": False},
    }


def status_details(details: dict[str, Any]) -> dict[str, Any]:
    shown = dict(details)
    if isinstance(shown.get("ignoreUntil"), (int, float)):
        shown["ignoreUntil"] = isoformat(shown["ignoreUntil"])
    return shown


def issue_stats(issue: Issue, period: str, now: float) -> list[list[int]]:
    """
    Event counts per bucket for C{24h} (hourly, 24 buckets) or C{14d}/C{30d} (daily).
    """
    if period == "24h":
        step, buckets = 3600, 24
    else:
        step, buckets = 86400, int(period[:-1]) if period[:-1].isdigit() else 14
    end = int(now) // step * step
    start = end - (buckets - 1) * step
    counts = [0] * buckets
    for hour, count in issue.hourly.items():
        index = (hour // step * step - start) // step
        if 0 <= index < buckets:
            counts[index] += count
    return [[start + i * step, counts[i]] for i in range(buckets)]


def avatar_url(email: str) -> str:
    """
    Where Sentry points a user without an uploaded avatar: the Gravatar of their e-mail.
    """
    digest = hashlib.md5(email.strip().lower().encode(), usedforsecurity=False).hexdigest()
    return f"https://gravatar.com/avatar/{digest}?s=32&d=mm"


def user(user_: User) -> dict[str, Any]:
    return {
        "id": str(user_.id), "name": user_.name, "username": user_.username,
        "email": user_.email, "avatarUrl": avatar_url(user_.email), "isActive": True,
        "isSuspended": False, "hasPasswordAuth": True,
        "isManaged": False, "dateJoined": isoformat(user_.date_joined), "lastLogin": None,
        "has2fa": False, "lastActive": None, "isSuperuser": False, "isStaff": False,
        "experiments": {}, "emails": [{"id": str(user_.id), "email": user_.email,
                                       "is_verified": True}],
        "avatar": {"avatarType": "letter_avatar", "avatarUuid": None, "avatarUrl": None},
    }


def actor(assignee: User | Team | None) -> dict[str, Any] | None:
    """
    An issue's C{assignedTo}: a user or a team, as Sentry's actor serializer shows them.
    """
    if assignee is None:
        return None
    if isinstance(assignee, Team):
        return {"type": "team", "id": str(assignee.id), "name": assignee.slug}
    return {"type": "user", "id": str(assignee.id), "name": assignee.name,
            "email": assignee.email}


def _derived_data(issue_: Issue, assigned: bool, last_progressed: str | None) -> dict[str, Any]:
    """
    Where Sentry's triage would say the issue stands, for an issue Seer never looked at.
    """
    if issue_.status == "resolved":
        progress = "fix_applied"
    elif issue_.substatus == "regressed":
        progress = "regressed"
    else:
        progress = "assigned" if assigned else "identified"
    return {"blocker": "none", "progress": progress,
            "status": "open" if issue_.status == "unresolved" else issue_.status,
            "viewCount": 1 if issue_.has_seen else 0, "hasOpenFixPr": False,
            "isAssigned": assigned, "hasRootCause": False, "lastCompletedAutofixStep": "none",
            "lastProgressedAt": last_progressed}


def inbox(issue_: Issue) -> dict[str, Any] | None:
    """
    Why the issue is in the inbox (C{is:for_review}): new (reason 0) or regressed (2).
    """
    if not issue_.for_review:
        return None
    return {"reason": 0 if issue_.substatus == "new" else 2, "reason_details": None,
            "date_added": isoformat(issue_.first_seen if issue_.substatus == "new"
                                    else issue_.last_seen)}


def issue(issue_: Issue, project_: Project, org: Organization, base: str, now: float,
          stats_period: str | None = "24h", assignee: User | Team | None = None,
          latest_has_attachments: bool = False) -> dict[str, Any]:
    count = str(issue_.times_seen)
    first_seen, last_seen = isoformat(issue_.first_seen), isoformat(issue_.last_seen)
    category = "error" if issue_.type in ("error", "default", "csp") else issue_.type
    feedback = issue_.type == "feedback"
    progressed = [entry["date"] for entry in issue_.activity if entry["type"] != "note"]
    body = {
        "id": str(issue_.id),
        "shortId": f"{project_.slug.upper()}-{base32(issue_.short_id)}",
        "title": issue_.title, "culprit": issue_.culprit,
        "permalink": f"{base}/organizations/{org.slug}/issues/{issue_.id}/",
        "logger": issue_.logger, "level": issue_.level, "status": issue_.status,
        "statusDetails": status_details(issue_.status_details), "substatus": issue_.substatus,
        "isPublic": issue_.is_public, "platform": issue_.platform,
        "priority": issue_.priority or ("high" if issue_.level in ("error", "fatal") else "medium"),
        "priorityLockedAt": None, "seerFixabilityScore": None,
        "seerAutofixLastTriggered": None, "seerExplorerAutofixLastTriggered": None,
        "project": {"id": str(project_.id), "name": project_.name, "slug": project_.slug,
                    "platform": project_.platform},
        # Feedback issues are Sentry's issue platform's: their events are of the generic type.
        "type": "generic" if feedback else issue_.type,
        "issueType": "feedback" if feedback else "error", "issueCategory": category,
        "metadata": dict(issue_.metadata),
        "numComments": sum(1 for entry in issue_.activity if entry["type"] == "note"),
        "assignedTo": actor(assignee),
        "isBookmarked": issue_.is_bookmarked, "isSubscribed": issue_.is_subscribed,
        "subscriptionDetails": None, "hasSeen": issue_.has_seen, "annotations": [],
        "isUnhandled": issue_.is_unhandled, "count": count, "userCount": len(issue_.users),
        "firstSeen": first_seen, "lastSeen": last_seen, "shareId": None,
        "derivedData": _derived_data(issue_, assignee is not None,
                                     isoformat(progressed[-1]) if progressed else None),
        "lifetime": {"count": count, "userCount": len(issue_.users),
                     "firstSeen": first_seen, "lastSeen": last_seen},
        "filtered": None, "sessionCount": 0, "inbox": inbox(issue_), "owners": None,
        "integrationIssues": [], "sentryAppIssues": [],
        "latestEventHasAttachments": latest_has_attachments,
        "matchingEventId": None, "matchingEventEnvironment": None,
    }
    if stats_period:
        # Asked for no period (C{groupStatsPeriod=}), Sentry leaves the stats out.
        body["stats"] = {stats_period: issue_stats(issue_, stats_period, now)}
    return body
