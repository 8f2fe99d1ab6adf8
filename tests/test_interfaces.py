"""
Every implementation provides the interface it declares, and every route family uses only the
roles of the store it names.
"""

import ast
import inspect
import textwrap

import pytest
from twisted.internet.task import Clock
from zope.interface.verify import verifyClass, verifyObject

from sentry_fake.application import Settings, build_root
from sentry_fake.ingest import cron, native, open_sentry, reports, surface as ingest_surface
from sentry_fake.ingest.surface import Ingest
from sentry_fake.ingest.spotlight import SpotlightRoutes
from sentry_fake.inspection import (book_routes, home_routes, issue_routes, live_routes,
                                    page_base, trace_feeds, trace_views)
from sentry_fake.inspection.surface import Inspection
from sentry_fake.interfaces import (IDirectory, IEventLog, IIngestSurface, IInspectionSurface,
                                    IIssues, IJournal, IManagementSurface, IMonitors, IOutcomes,
                                    IReleases, IStore, ITraces, IUploads, IWrites)
from sentry_fake.management import (code_mappings, events, explore, issue_activity,
                                    issue_detail, issue_lookup, issues, keys, monitors,
                                    organizations, projects, releases, replays, stats, teams,
                                    traces, uploads, usage_stats)
from sentry_fake.management.surface import Management
from sentry_fake.persistence.database import Database
from sentry_fake.persistence.service import Closed, JournalService
from sentry_fake.store.directory import Directory
from sentry_fake.store.monitors import MonitorBook
from sentry_fake.store.outcomes import OutcomeBook
from sentry_fake.store.releases import ReleaseBook
from sentry_fake.store.service import MemoryOnly, StoreService
from sentry_fake.store.traces import TraceBook
from sentry_fake.store.uploads import UploadBook
from sentry_fake.store.writes import WRITERS

#: What each book attribute of the store provides.
BOOKS = {"directory": IDirectory, "releases": IReleases, "monitors": IMonitors,
         "uploads": IUploads, "outcomes": IOutcomes, "traces": ITraces}
ROUTE_FAMILIES = [
    ingest_surface.EnvelopeRoutes, cron.CronRoutes, native.NativeRoutes, reports.ReportRoutes,
    open_sentry.OpenSentryRoutes, Inspection, events.EventRoutes,
    issue_detail.IssueDetailRoutes, issue_lookup.IssueLookup, issues.IssueListRoutes,
    issue_activity.IssueActivityRoutes,
    keys.KeyRoutes,
    monitors.MonitorRoutes, organizations.OrganizationRoutes, projects.ProjectRoutes,
    releases.ReleaseRoutes, stats.StatsRoutes, teams.TeamRoutes, uploads.UploadRoutes,
    code_mappings.CodeMappingRoutes, usage_stats.UsageStatsRoutes, explore.ExploreRoutes,
    traces.TraceRoutes, replays.ReplayRoutes,
    SpotlightRoutes, page_base.PageBase, home_routes.HomePage, issue_routes.IssuePages,
    book_routes.ReleasePages, book_routes.MonitorPages, book_routes.FeedbackPages,
    live_routes.LiveRoutes, trace_views.TraceViews, trace_feeds.TraceFeeds,
]


def test_every_surface_and_the_store():
    store = StoreService(Clock())
    root = build_root(store, Settings())
    assert verifyObject(IStore, store) and verifyClass(IStore, StoreService)
    assert verifyObject(IIngestSurface, root.ingest) and verifyClass(IIngestSurface, Ingest)
    assert verifyObject(IManagementSurface, root.management)
    assert verifyClass(IManagementSurface, Management)
    assert verifyObject(IInspectionSurface, root.inspection)
    assert verifyClass(IInspectionSurface, Inspection)
    for surface in (root.ingest, root.management, root.inspection):
        assert surface.store is store


def test_every_role_of_the_store():
    store = StoreService(Clock())
    for role in (IEventLog, IIssues, IWrites):
        assert verifyObject(role, store)
    assert verifyObject(IDirectory, store.directory) and verifyClass(IDirectory, Directory)
    assert verifyObject(IReleases, store.releases) and verifyClass(IReleases, ReleaseBook)
    assert verifyObject(IMonitors, store.monitors) and verifyClass(IMonitors, MonitorBook)
    assert verifyObject(IUploads, store.uploads) and verifyClass(IUploads, UploadBook)
    assert verifyObject(ITraces, store.traces) and verifyClass(ITraces, TraceBook)
    assert verifyObject(IOutcomes, store.outcomes) and verifyClass(IOutcomes, OutcomeBook)


def test_every_journal(tmp_path):
    for journal in (MemoryOnly(), Closed(), Database(str(tmp_path / "data")),
                    JournalService(StoreService(Clock()), str(tmp_path / "other"), Clock())):
        assert verifyObject(IJournal, journal)


def test_one_write_method_per_record_type():
    from sentry_fake.store.records import RECORD_TYPES

    assert set(WRITERS) == set(RECORD_TYPES.values())
    # Besides: an ingest committed with the other requests of its turn, and the end of a turn.
    assert set(WRITERS.values()) | {"ingest_soon", "flush"} == set(IWrites.names())


def _store_uses(cls) -> set[str]:
    """
    What a class's methods use of C{self.store}: C{name} for the store's own attributes and
    C{book.name} for a book's (through a local alias too: C{book = self.store.releases}).
    """
    tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    used: set[str] = set()

    def is_store(node) -> bool:
        return (isinstance(node, ast.Attribute) and node.attr == "store"
                and isinstance(node.value, ast.Name) and node.value.id == "self")

    for function in ast.walk(tree):
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        aliases = {}
        for node in ast.walk(function):
            if (isinstance(node, ast.Assign) and len(node.targets) == 1
                    and isinstance(node.targets[0], ast.Name)
                    and isinstance(node.value, ast.Attribute) and is_store(node.value.value)):
                aliases[node.targets[0].id] = node.value.attr
        for node in ast.walk(function):
            if not isinstance(node, ast.Attribute):
                continue
            if is_store(node.value):
                used.add(node.attr)
            elif (isinstance(node.value, ast.Attribute) and is_store(node.value.value)
                  and node.value.attr in BOOKS):
                used.add(f"{node.value.attr}.{node.attr}")
            elif isinstance(node.value, ast.Name) and aliases.get(node.value.id) in BOOKS:
                used.add(f"{aliases[node.value.id]}.{node.attr}")
    return used


@pytest.mark.parametrize("family", ROUTE_FAMILIES, ids=lambda cls: cls.__name__)
def test_route_families_use_only_the_roles_they_name(family):
    roles = family.__dict__["roles"]
    allowed = set(IStore.names()) - set().union(*(role.names() for role in (IEventLog, IIssues,
                                                                          IWrites)))
    for role in roles:
        allowed |= set(role.names())
    for name, role in BOOKS.items():
        if role in roles:
            allowed |= {f"{name}.{member}" for member in role.names()}
        else:
            allowed.discard(name)
    used = _store_uses(family)
    assert used, f"{family.__name__} uses nothing of the store"
    assert used <= allowed, f"{family.__name__} uses {sorted(used - allowed)} beyond {roles}"
