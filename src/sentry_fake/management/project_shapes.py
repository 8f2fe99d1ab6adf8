"""
Projects as Sentry's REST API shows them: the summary every list and nested project carries,
and the detail of one project with its settings at Sentry's defaults.  Pure functions.
"""

from __future__ import annotations

import hashlib
from typing import Any, Iterable

from ..store.models import Organization, Project, Team
from ..timefmt import isoformat
from .serializers import AVATAR, organization, team_summary

_COLORS = ("#3f70bf", "#bf3f76", "#3fbf6a", "#bf8b3f", "#6f3fbf", "#3fb0bf")
#: Sentry's project flags, and the kinds of data (envelope item types, C{transaction}) that
#: set each.
_DATA_FLAGS = {
    "hasSessions": {"session", "sessions"}, "hasMonitors": {"check_in"},
    "hasFeedbacks": {"feedback", "user_report"}, "hasNewFeedbacks": {"feedback"},
    "hasReplays": {"replay_event", "replay_recording", "replay_video"},
    "hasProfiles": {"profile", "profile_chunk"}, "hasLogs": {"log", "otel_log"},
    "hasTraceMetrics": {"trace_metric"},
}
#: Flags the fake never sets: they need what Sentry derives from span data or integrations.
_UNSET_FLAGS = ("hasFlags", "hasMinifiedStackTrace", "hasInsightsHttp", "hasInsightsDb",
                "hasInsightsAssets", "hasInsightsAppStart", "hasInsightsScreenLoad",
                "hasInsightsVitals", "hasInsightsCaches", "hasInsightsQueues",
                "hasInsightsAgentMonitoring", "hasInsightsMCP")
_ACCESS = ["event:read", "event:write", "project:read", "project:releases"]


def project(project_: Project, teams: Iterable[Team]) -> dict[str, Any]:
    """
    A project as lists show it (Sentry's project summary, with its teams).
    """
    team_list = [team_summary(t) for t in teams]
    body = {
        "id": str(project_.id), "slug": project_.slug, "name": project_.name,
        "platform": project_.platform, "dateCreated": isoformat(project_.date_created),
        "isBookmarked": project_.is_bookmarked, "isMember": True, "hasAccess": True,
        "access": list(_ACCESS), "features": [], "firstEvent": isoformat(project_.first_event),
        "firstTransactionEvent": "transaction" in project_.received,
        **{flag: bool(kinds & project_.received) for flag, kinds in _DATA_FLAGS.items()},
        **dict.fromkeys(_UNSET_FLAGS, False),
        "isInternal": False, "isPublic": False,
        "environments": sorted(project_.environments), "status": project_.status,
        "teams": team_list, "latestRelease": None, "latestDeploys": None,
        "platforms": [project_.platform] if project_.platform else [],
        "hasUserReports": "user_report" in project_.received, "avatar": dict(AVATAR),
        "color": _COLORS[project_.id % len(_COLORS)],
    }
    if team_list:
        body["team"] = team_list[0]
    return body


def project_detail(project_: Project, teams: Iterable[Team], org: Organization,
                   base: str) -> dict[str, Any]:
    """
    One project with its settings: the fake has no settings to change, so each is Sentry's
    default for a new project.
    """
    token = hashlib.sha1(f"{org.id}:{project_.id}".encode()).hexdigest()
    return {
        **project(project_, teams), "organization": organization(org, base),
        "options": {"sentry:csp_ignored_sources_defaults": True,
                    "sentry:csp_ignored_sources": "", "sentry:reprocessing_active": False,
                    "filters:blacklisted_ips": "", "filters:releases": "",
                    "filters:error_messages": "", "feedback:branding": True},
        "digestsMinDelay": 300, "digestsMaxDelay": 1800, "subjectPrefix": "",
        "allowedDomains": ["*"], "resolveAge": 0, "dataScrubber": True,
        "dataScrubberDefaults": True, "safeFields": [], "storeCrashReports": None,
        "sensitiveFields": [], "subjectTemplate": "$shortID - $title",
        "securityToken": token, "securityTokenHeader": None, "verifySSL": False,
        "scrubIPAddresses": False, "scrapeJavaScript": True,
        "enableAutoReleaseCreation": True,
        "highlightTags": [], "highlightContext": {},
        "highlightPreset": {"tags": [], "context": {}},
        "groupingConfig": "newstyle:2023-01-11", "groupingEnhancements": "",
        "derivedGroupingEnhancements": "", "secondaryGroupingExpiry": 0,
        "secondaryGroupingConfig": None, "fingerprintingRules": "",
        "processingIssues": 0, "defaultEnvironment": None, "relayPiiConfig": None,
        "builtinSymbolSources": ["ios", "microsoft"], "dynamicSamplingBiases": None,
        "symbolSources": "[]", "isDynamicallySampled": False,
        "tempestFetchScreenshots": False, "autofixAutomationTuning": "off",
        "seerScannerAutomation": False, "seerNightshiftTweaks": None,
        "scmSourceContextEnabled": False, "debugFilesRole": None,
        "plugins": [],
    }
