"""
Change records: every change to the store, as a value.

A route parses a whole request into one of these before anything changes; one store method
applies it, all or nothing (see L{sentry_fake.store.writes}), and with C{--data-dir} the same
record is committed to the journal before the answer goes out.  A record carries everything its
change needs that the state before it does not determine: its time, the random ids it hands out
(client key secrets, monitor and check-in GUIDs) and the events as they were normalized.  So a
replay of the journal rebuilds the very same state whatever the options of the server replaying
it, and whatever the version of the normalizer.

Fields of a C{...Changed} record left L{UNSET} are not touched.
"""

from __future__ import annotations

from typing import Any

import attrs

from .issues import UNSET, IssueChange
from .models import Event
from .outcome_rules import Tracked
from .seed import Seed

__all__ = ["UNSET", "IssueChange"]


# The store as a whole

@attrs.frozen
class Reset:
    """
    Forget everything and start again from a seed (C{POST /__parlel/reset}, and the first
    record of every journal).
    """

    time: float
    seed: Seed


# Ingest

@attrs.frozen
class ItemSent:
    """
    One envelope item (or what an ingest endpoint keeps as one), as it arrived.
    """

    type: str
    headers: dict[str, Any]
    #: Its bytes; in a record a start reads back from a data directory, a handle to where they
    #: were left (applying it reads them through L{sentry_fake.store.models.payload_bytes}).
    payload: Any
    event_id: str | None = None


@attrs.frozen
class CheckInSent:
    """
    One cron check-in, read by L{sentry_fake.store.monitors.read_check_in}, with the GUIDs
    it takes if it creates its monitor or a check-in without an id of its own.
    """

    checked: dict[str, Any]
    monitor_guid: str
    check_in_guid: str


@attrs.frozen
class KeyCreated:
    """
    A client key for a project (C{POST .../keys/}, or a key an SDK used first, in lenient mode).
    """

    time: float
    project_id: int
    public: str
    secret: str
    name: str = "Default"
    rate_limit: dict[str, int] | None = None


@attrs.frozen
class ProjectCreated:
    """
    A project with its default client key.  C{id} is given for a project an SDK sent to
    first (lenient mode; its key is the one the SDK used, or none if that key is another
    project's); otherwise the next free id is taken.
    """

    time: float
    organization_id: int
    team_id: int | None
    name: str
    slug: str
    key_public: str | None
    key_secret: str | None
    platform: str | None = None
    id: int | None = None


@attrs.frozen
class Ingested:
    """
    What one ingest request brought: events (already normalized and hashed), check-ins and
    items, and the project and key it created on first use (lenient mode only).
    """

    time: float
    project_id: int
    events: tuple[Event, ...] = ()
    check_ins: tuple[CheckInSent, ...] = ()
    items: tuple[ItemSent, ...] = ()
    project_created: ProjectCreated | None = None
    key_created: KeyCreated | None = None
    #: Its events' payloads as ingest decoded them, by position, where they are at hand: a
    #: pure function of each event's C{raw}, so never journaled (a replay decodes C{raw}).
    decoded: tuple[Any, ...] = attrs.field(default=(), eq=False, repr=False)


@attrs.frozen
class OutcomesTracked:
    """
    What became of data a project was sent and the store was not given: a request answered
    429 (C{rate_limited}) or refused (C{invalid}), in each data category it held.  What ingest
    stores, and the client reports it brings, count from their L{Ingested} record.
    """

    time: float
    project_id: int
    outcomes: tuple[Tracked, ...]


# The directory

@attrs.frozen
class ProjectChanged:
    time: float
    project_id: int
    slug: Any = UNSET
    name: Any = UNSET
    platform: Any = UNSET
    is_bookmarked: Any = UNSET
    #: The ids of the teams that have access to it, all of them.
    team_ids: Any = UNSET


@attrs.frozen
class ProjectDeleted:
    time: float
    project_id: int


@attrs.frozen
class TeamCreated:
    time: float
    organization_id: int
    slug: str
    name: str


@attrs.frozen
class TeamChanged:
    time: float
    team_id: int
    slug: Any = UNSET
    name: Any = UNSET


@attrs.frozen
class TeamDeleted:
    time: float
    team_id: int


@attrs.frozen
class KeyChanged:
    time: float
    key_id: int
    name: Any = UNSET
    is_active: Any = UNSET
    rate_limit: Any = UNSET


@attrs.frozen
class KeyDeleted:
    time: float
    key_id: int


# Issues

@attrs.frozen
class IssuesChanged:
    time: float
    issue_ids: tuple[int, ...]
    change: IssueChange


@attrs.frozen
class IssuesDeleted:
    time: float
    issue_ids: tuple[int, ...]


@attrs.frozen
class NoteAdded:
    time: float
    issue_id: int
    text: str
    user_id: int | None = None


@attrs.frozen
class NoteChanged:
    time: float
    issue_id: int
    note_id: int
    text: str


@attrs.frozen
class NoteDeleted:
    time: float
    issue_id: int
    note_id: int


# Releases

@attrs.frozen
class ReleaseCreated:
    """
    A release created, or an existing one given more projects (Sentry's idempotent create).
    """

    time: float
    organization_id: int
    version: str
    project_ids: tuple[int, ...]
    ref: str | None = None
    url: str | None = None
    date_started: float | None = None
    date_released: float | None = None
    status: str | None = None
    owner: str | None = None
    user_agent: str | None = None
    commits: tuple[dict[str, Any], ...] | None = None
    refs: tuple[dict[str, Any], ...] | None = None


@attrs.frozen
class ReleaseChanged:
    time: float
    organization_id: int
    version: str
    ref: str | None = None
    url: str | None = None
    date_released: float | None = None
    status: str | None = None
    commits: tuple[dict[str, Any], ...] | None = None
    refs: tuple[dict[str, Any], ...] | None = None


@attrs.frozen
class ReleaseDeleted:
    time: float
    organization_id: int
    version: str


@attrs.frozen
class DeployCreated:
    time: float
    organization_id: int
    version: str
    environment: str
    project_ids: tuple[int, ...]
    name: str | None = None
    url: str | None = None
    date_started: float | None = None
    date_finished: float | None = None


@attrs.frozen
class RepositoryCreated:
    time: float
    organization_id: int
    name: str
    provider: str | None
    url: str | None


@attrs.frozen
class CodeMappingsUploaded:
    """
    Stack trace roots of a project mapped to source roots of a repository (C{POST
    .../code-mappings/bulk/}), as (stack root, source root) pairs; a repository the
    organization does not have yet is created.
    """

    time: float
    organization_id: int
    project_id: int
    repository: str
    provider: str | None
    default_branch: str
    mappings: tuple[tuple[str, str], ...]


# Monitors

@attrs.frozen
class MonitorChanged:
    time: float
    organization_id: int
    monitor_id: str
    slug: str
    name: str
    status: str
    is_muted: bool


@attrs.frozen
class MonitorDeleted:
    """
    A monitor forgotten, or only some of its environments (C{environments} not C{None}).
    """

    time: float
    organization_id: int
    monitor_id: str
    environments: tuple[str, ...] | None = None


# Uploads

@attrs.frozen
class ChunksUploaded:
    """
    Chunks sentry-cli uploaded, each already checked against its SHA-1.
    """

    time: float
    organization_id: int
    chunks: tuple[tuple[str, bytes], ...]


@attrs.frozen
class BundleAssembled:
    time: float
    organization_id: int
    project_ids: tuple[int, ...]
    checksum: str
    chunks: tuple[str, ...]
    version: str | None = None
    dist: str | None = None


@attrs.frozen
class DebugFilesAssembled:
    """
    A debug file assemble request: C{files} maps each file's SHA-1 to its C{name},
    C{debug_id} and C{chunks}.
    """

    time: float
    organization_id: int
    project_id: int
    files: dict[str, dict[str, Any]]


@attrs.frozen
class DebugFileDeleted:
    time: float
    project_id: int
    debug_file_id: int


#: Every record type, by the name the journal files it under.
RECORD_TYPES: dict[str, type] = {cls.__name__: cls for cls in (
    Reset, Ingested, ProjectCreated, ProjectChanged, ProjectDeleted, TeamCreated, TeamChanged,
    TeamDeleted, KeyCreated, KeyChanged, KeyDeleted, IssuesChanged, IssuesDeleted, NoteAdded,
    NoteChanged, NoteDeleted,
    ReleaseCreated, ReleaseChanged, ReleaseDeleted, DeployCreated, RepositoryCreated,
    CodeMappingsUploaded, MonitorChanged, MonitorDeleted, ChunksUploaded, BundleAssembled,
    DebugFilesAssembled, DebugFileDeleted, OutcomesTracked,
)}
