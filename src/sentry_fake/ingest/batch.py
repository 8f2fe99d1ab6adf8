"""
What one ingest request brings, gathered into one L{Ingested} record before anything is
stored: its events (normalized and hashed here, on the way in), check-ins and items, and, in
lenient mode, the project and client key an SDK used before anyone created them.
"""

from __future__ import annotations

from typing import Any

from .. import ids
from ..errors import IngestRejected, NotFound
from ..interfaces import IDirectory, IStore
from ..jsoncodec import dumps
from ..store.feedback import feedback_event, report_payload
from ..store.event_derivation import derive
from ..store.grouping import exceptions
from ..store.limits import Limits
from ..store.models import Event
from ..store.normalize import build_event, event_type, normalize_event_id
from ..store.records import CheckInSent, Ingested, ItemSent, KeyCreated, ProjectCreated
from ..store.trace_items import trace_of
from ..store.writes import Accepted


def _rejected(cause: str) -> IngestRejected:
    return IngestRejected("event submission rejected", causes=[cause])


def ingest_target(directory: IDirectory, project_id: int, public_key: str | None,
                  strict: bool, now: float, limits: Limits | None = None,
                  ) -> tuple[ProjectCreated | None, KeyCreated | None]:
    """
    Check the project an SDK sends to, and say what lenient mode creates for it: the project
    (up to C{limits.first_use_projects} of them) and the key (up to
    C{limits.first_use_keys} a project; past that, an unknown key is accepted, not kept).

    @return: the project to create (it is new) and the client key to create (it is new).
    @raise IngestRejected: when C{strict}, the key does not open the project; when not, the
        project is unknown and lenient mode has made as many as it makes.
    """
    limits = limits or Limits()
    try:
        project = directory.project_by_id(project_id)
    except NotFound:
        project = None
    key = directory.key(public_key) if public_key else None
    if strict:
        if key is None:
            raise _rejected("invalid public key")
        if not key.is_active:
            raise _rejected("key is disabled")
        if project is None or key.project_id != project_id:
            raise _rejected("project id does not match the public key")
        return None, None
    fresh_key = public_key if public_key and key is None else None
    if project is None:
        made = sum(1 for other in directory.projects_of() if other.first_use)
        if made >= limits.first_use_projects:
            raise _rejected(f"project {project_id} does not exist, and {made} projects were "
                            "made on first use already: create it through the API")
        organization = directory.organizations()[0]
        teams = directory.teams_of(organization)
        slug = directory.free_slug(organization, f"project-{project_id}")
        created = ProjectCreated(
            time=now, organization_id=organization.id, team_id=teams[0].id if teams else None,
            name=slug, slug=slug, key_public=fresh_key,
            key_secret=ids.hex_token(16) if fresh_key else None, id=project_id)
        return created, None
    if fresh_key and len(directory.keys_of(project)) < limits.first_use_keys:
        return None, KeyCreated(time=now, project_id=project_id, public=fresh_key,
                                secret=ids.hex_token(16))
    return None, None


class IngestBatch:
    """
    The record one ingest request is building; L{commit} hands it to the store.
    """

    def __init__(self, store: IStore, project_id: int, public_key: str | None, strict: bool,
                 client_ip: str | None = None, now: float | None = None) -> None:
        """
        @param now: when it arrived (the store's clock by default).
        """
        self._store = store
        self.time = store.now() if now is None else now
        self.project_id = project_id
        self.client_ip = client_ip
        self._project, self._key = ingest_target(store.directory, project_id, public_key,
                                                 strict, self.time, store.limits)
        self._events: list[Event] = []
        #: The payload of each event, as decoded (C{None} where the event was built otherwise).
        self._decoded: list[Any] = []
        self._check_ins: list[CheckInSent] = []
        self._items: list[ItemSent] = []

    def event(self, payload: dict[str, Any], raw: bytes, item_type: str = "event",
              header_id: object = None, decoded: bool = False) -> Event:
        """
        Normalize one event payload (and give it its grouping hash).

        @param decoded: C{payload} is what decoding C{raw} gives (then what the store derives
            from the event, its spans, is read from it instead of decoding C{raw} again).
        @raise sentry_fake.errors.Invalid: it is not an event (a bad event id, say).
        """
        values, described, hashes = None, None, []
        if isinstance(payload, dict):  # (build_event refuses anything else)
            values = exceptions(payload)
            described, hashes = derive(payload, event_type(payload, item_type, values), values)
        event = build_event(self.project_id, payload, raw, item_type, self.time, header_id,
                            self.client_ip, values, described)
        event.trace_id, event.span_id = trace_of(payload)
        event.hashes.extend(hashes)
        self._events.append(event)
        self._decoded.append(payload if decoded else None)
        return event

    def feedback(self, payload: dict[str, Any], raw: bytes,
                 header_id: object = None) -> Event | None:
        """
        A piece of feedback, as the event of its own issue (C{None} when Sentry drops it).
        """
        event = feedback_event(self.project_id, payload, raw, self.time, ids.uuid_hex(),
                               header_id, self.client_ip)
        if event is not None:
            event.trace_id, event.span_id = trace_of(payload)
            self._events.append(event)
            self._decoded.append(None)
        return event

    def user_report(self, report: dict[str, Any]) -> None:
        """
        A user report (C{event_id}, C{name}, C{email}, C{comments}): kept as a C{user_report}
        item, and, when the event it is about arrived, feedback about that event.
        """
        self.item("user_report", {"type": "user_report"}, dumps(report), report.get("event_id"))
        self.feedback_of_report(report)

    def feedback_of_report(self, report: Any) -> None:
        """
        Feedback about the event a user report names, when that event arrived (before, or
        in this very request).
        """
        event_id = normalize_event_id(report.get("event_id")) if isinstance(report, dict) \
            else None
        if event_id is None or not isinstance(report.get("comments"), str):
            return
        event = next((event for event in self._events if event.event_id == event_id), None)
        if event is None:
            # The event may have come in this very turn, in a group not applied yet.
            self._store.flush()
            try:
                event = self._store.event(event_id)
            except NotFound:
                return
        payload = report_payload(report, event)
        self.feedback(payload, dumps(payload))

    def check_in(self, checked: dict[str, Any]) -> None:
        """
        Add a check-in read by L{sentry_fake.store.monitors.read_check_in}.
        """
        self._check_ins.append(CheckInSent(checked=checked, monitor_guid=ids.uuid_str(),
                                           check_in_guid=ids.uuid_hex()))

    def item(self, item_type: str, headers: dict[str, Any], payload: bytes,
             event_id: str | None = None) -> None:
        self._items.append(ItemSent(type=item_type, headers=headers, payload=payload,
                                    event_id=event_id))

    def record(self) -> Ingested:
        return Ingested(time=self.time, project_id=self.project_id, events=tuple(self._events),
                        check_ins=tuple(self._check_ins), items=tuple(self._items),
                        project_created=self._project, key_created=self._key,
                        decoded=tuple(self._decoded))

    def commit(self) -> Accepted:
        """
        Store everything the batch holds, at once.
        """
        return self._store.ingest(self.record())

    def commit_soon(self) -> Any:
        """
        Store everything the batch holds with the other requests of this turn, where the
        journal commits them together: an L{Accepted}, or a L{Deferred} of one.
        """
        return self._store.ingest_soon(self.record())
