"""
Writing to a store in unit tests the way the surfaces do: through change records.
"""

from __future__ import annotations

import json
from typing import Any

from sentry_fake.ingest.batch import IngestBatch
from sentry_fake.store import records


def ingest(store, payload: dict[str, Any], project_id: int = 1, raw: bytes | None = None,
           item_type: str = "event"):
    """
    Store one event as the store endpoint would, and return it.
    """
    batch = IngestBatch(store, project_id, None, strict=False)
    event = batch.event(payload, raw if raw is not None else json.dumps(payload).encode(),
                        item_type)
    return batch.commit().events[0] if event else None


def check_in(store, payload: dict[str, Any], project_id: int = 1):
    """
    File one cron check-in as the cron endpoint would, and return it.
    """
    from sentry_fake.store.monitors import read_check_in

    batch = IngestBatch(store, project_id, None, strict=False)
    batch.check_in(read_check_in(payload))
    return batch.commit().check_ins[0]


def create_project(store, name: str, slug: str | None = None, organization: str = "parlel",
                   team_id: int | None = None, platform: str | None = None):
    from sentry_fake import ids
    from sentry_fake.store.directory import slugify

    org = store.directory.organization(organization)
    return store.create_project(records.ProjectCreated(
        time=store.now(), organization_id=org.id, team_id=team_id, name=name,
        slug=slug or slugify(name), platform=platform, key_public=ids.hex_token(16),
        key_secret=ids.hex_token(16)))


def reset(store) -> None:
    store.reset(records.Reset(time=store.now(), seed=store.seed))
