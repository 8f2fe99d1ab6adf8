"""
The management surface: one Klein application made of the route families.
"""

from __future__ import annotations

from typing import Any, Iterable

from zope.interface import implementer

from ..interfaces import IManagementSurface, IStore
from .app import app
from .code_mappings import CodeMappingRoutes
from .events import EventRoutes
from .explore import ExploreRoutes
from .issue_activity import IssueActivityRoutes
from .issue_detail import IssueDetailRoutes
from .issue_lookup import IssueLookup
from .issues import IssueListRoutes
from .keys import KeyRoutes
from .monitors import MonitorRoutes
from .organizations import OrganizationRoutes
from .projects import ProjectRoutes
from .releases import ReleaseRoutes
from .replays import ReplayRoutes
from .stats import StatsRoutes
from .teams import TeamRoutes
from .traces import TraceRoutes
from .uploads import UploadRoutes
from .usage_stats import UsageStatsRoutes


@implementer(IManagementSurface)
class Management(OrganizationRoutes, ProjectRoutes, IssueListRoutes, IssueDetailRoutes,
                 ReleaseRoutes, EventRoutes, TeamRoutes, KeyRoutes, StatsRoutes,
                 UploadRoutes, MonitorRoutes, IssueActivityRoutes, IssueLookup,
                 CodeMappingRoutes, UsageStatsRoutes, ExploreRoutes, TraceRoutes,
                 ReplayRoutes):
    """
    C{/api/0/...}: Bearer-authenticated, Sentry's shapes, status codes and pagination.
    """

    app = app

    def __init__(self, store: IStore, tokens: Iterable[str] = ()) -> None:
        self.store = store
        self.tokens = frozenset(tokens)

    def resource(self) -> Any:
        return self.app.resource()
