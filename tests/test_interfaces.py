"""
Every implementation provides the interface it declares.
"""

from twisted.internet.task import Clock
from zope.interface.verify import verifyClass, verifyObject

from sentry_fake.application import Settings, build_root
from sentry_fake.ingest.surface import Ingest
from sentry_fake.inspection.surface import Inspection
from sentry_fake.interfaces import IIngestSurface, IInspectionSurface, IManagementSurface, IStore
from sentry_fake.management.surface import Management
from sentry_fake.store.service import StoreService


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
