"""
The records the store keeps.  Plain attrs classes: no HTTP, no JSON shapes (see the serializers).

Events keep the payload bytes as they arrived plus the few fields that normalization derived, so a
stored event costs about its own JSON size in memory; the full document is rebuilt when read.

With a data directory, payloads are left in its journal (what a start takes back, and what a
running server stores): an event's C{raw} and an item's C{payload} are then held as a handle
(anything with C{load()}, which reads the bytes again each time they are asked for, and
C{len()}) instead of the bytes themselves.
"""

from __future__ import annotations

from typing import Any, Mapping

import attrs


def payload_bytes(payload: Any) -> bytes:
    """
    A payload's bytes: itself, or what its handle reads (where a data directory left it).
    """
    return payload if type(payload) is bytes else payload.load()


@attrs.define(eq=False)
class Organization:
    id: int
    slug: str
    name: str
    date_created: float


@attrs.define(eq=False)
class User:
    id: int
    name: str
    email: str
    username: str
    date_joined: float


@attrs.define(eq=False)
class Team:
    id: int
    organization_id: int
    slug: str
    name: str
    date_created: float


@attrs.define(eq=False)
class Project:
    id: int
    organization_id: int
    slug: str
    name: str
    date_created: float
    platform: str | None = None
    team_ids: list[int] = attrs.Factory(list)
    status: str = "active"
    is_bookmarked: bool = False
    first_event: float | None = None
    #: The kinds of data the project has received: envelope item types, and C{transaction}
    #: for a transaction event (what Sentry's C{hasSessions}, C{hasLogs}, ... flags say).
    received: set[str] = attrs.Factory(set)
    #: The last short id handed to an issue of this project (Sentry counts per project from 1).
    short_id_counter: int = 0
    environments: set[str] = attrs.Factory(set)
    #: Made by lenient ingest, because an SDK sent to its id before anyone created it.
    first_use: bool = False


@attrs.define(eq=False)
class ClientKey:
    id: int
    project_id: int
    public: str
    secret: str
    name: str
    date_created: float
    is_active: bool = True
    rate_limit: dict[str, int] | None = None


@attrs.define(eq=False, slots=True)
class Event:
    """
    One stored event (error, message, transaction, CSP report, ...).

    C{raw} is the payload as received; the other fields are what normalization set or
    replaced, and win over C{raw} when the document is rebuilt.
    """

    event_id: str
    project_id: int
    type: str
    received: float
    timestamp: float
    level: str
    platform: str
    title: str
    culprit: str
    message: str
    release: str | None
    environment: str | None
    user: dict[str, Any] | None
    logger: str | None
    unhandled: bool
    hashes: list[str]
    #: The payload (see L{raw}).
    _raw: Any
    metadata: dict[str, Any]
    #: The trace it happened in (its C{contexts.trace.trace_id}), and the span it happened in.
    trace_id: str | None = None
    span_id: str | None = None
    location: str | None = None
    #: Set when it is filed under its issue (errors and messages; never transactions).
    issue_id: int | None = None
    #: The sequence number of the change record that stored it.
    seq: int = 0

    @property
    def raw(self) -> bytes:
        """
        The payload as received.
        """
        return payload_bytes(self._raw)

    @property
    def size(self) -> int:
        """
        The payload's length (without reading it where it was left).
        """
        return len(self._raw)

    @property
    def payload_left(self) -> bool:
        """
        Whether the payload is left where the journal keeps it (L{leave_payload}).
        """
        return type(self._raw) is not bytes

    def hold_payload(self) -> None:
        """
        Hold the payload itself from now on: the event leaves the store, and where its
        payload was left may go with it while something still holds the event.
        """
        self._raw = payload_bytes(self._raw)

    def leave_payload(self, left: Mapping[int, Any]) -> None:
        """
        Hold the handle to where the journal keeps the payload, if it keeps it (C{left}: by
        the id of the payload's bytes, see L{sentry_fake.interfaces.IJournal.payloads_left}).
        """
        self._raw = left.get(id(self._raw), self._raw)


@attrs.define(eq=False, slots=True)
class Issue:
    """
    A group of events that share a grouping hash, with the state people change through the API.
    """

    id: int
    project_id: int
    short_id: int
    hashes: list[str]
    type: str
    title: str
    culprit: str
    metadata: dict[str, Any]
    level: str
    logger: str | None
    platform: str
    first_seen: float
    last_seen: float
    times_seen: int = 0
    users: set[str] = attrs.Factory(set)
    environments: set[str] = attrs.Factory(set)
    releases: set[str] = attrs.Factory(set)
    status: str = "unresolved"
    substatus: str | None = "new"
    status_details: dict[str, Any] = attrs.Factory(dict)
    assigned_to: str | None = None
    is_bookmarked: bool = False
    has_seen: bool = False
    is_public: bool = False
    is_subscribed: bool = False
    is_unhandled: bool = False
    priority: str | None = None
    #: An ignored issue's condition for coming back (see L{sentry_fake.store.issues}).
    snooze: dict[str, Any] | None = None
    first_release: str | None = None
    last_release: str | None = None
    #: Events per hour, keyed by the hour's epoch second, for the C{stats} buckets.
    hourly: dict[int, int] = attrs.Factory(dict)
    #: What happened to it, oldest first (notes, status changes, assignments, regressions):
    #: C{id}, C{type}, C{data}, C{user} (a user id or C{None}) and C{date}.
    activity: list[dict[str, Any]] = attrs.Factory(list)

    @property
    def for_review(self) -> bool:
        """
        Whether the issue is in Sentry's inbox (C{is:for_review}): unresolved, and new or
        regressed.
        """
        return self.status == "unresolved" and self.substatus in ("new", "regressed")


@attrs.define(eq=False, slots=True)
class CapturedItem:
    """
    One envelope item as it arrived: sessions, check-ins, attachments, client reports, logs, ...
    """

    id: int
    type: str
    project_id: int
    event_id: str | None
    headers: dict[str, Any]
    #: The payload (see L{payload}).
    _payload: Any
    received: float
    #: The sequence number of the change record that stored it.
    seq: int = 0

    @property
    def payload(self) -> bytes:
        """
        The item's bytes as received.
        """
        return payload_bytes(self._payload)

    @property
    def size(self) -> int:
        """
        The payload's length (without reading it where it was left).
        """
        return len(self._payload)

    @property
    def payload_left(self) -> bool:
        """
        Whether the payload is left where the journal keeps it.
        """
        return type(self._payload) is not bytes

    def hold_payload(self) -> None:
        """
        Hold the payload itself from now on (see L{Event.hold_payload}).
        """
        self._payload = payload_bytes(self._payload)
