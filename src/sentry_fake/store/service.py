"""
The store service: the whole state of the fake, as one L{Service} in the service hierarchy.

It knows nothing of HTTP.  The surfaces hold it by reference and call the L{IStore} methods.
"""

from __future__ import annotations

import bisect
from typing import Any, Iterable, Iterator

from twisted.application.service import Service
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger
from zope.interface import implementer

from ..errors import IngestRejected, NotFound
from ..interfaces import IStore
from ..jsoncodec import loads
from .directory import Directory
from .facts import FactCache, IssueFacts
from .grouping import grouping_hash
from .issues import IssueBook, IssueChange, apply_change
from .limits import Limits
from .log import Log
from .models import CapturedItem, ClientKey, Event, Issue, Organization, Project, Team
from .monitors import CheckIn, MonitorBook
from .normalize import build_event, normalize_event_id
from .releases import ReleaseBook
from .seed import Seed
from .uploads import UploadBook

DEFAULT_MAX_EVENTS = 100_000
# The parts of the store a snapshot holds (see L{StoreService.snapshot}).
_STATE = ("directory", "_events", "_items", "_next_item", "issue_book", "releases", "uploads",
          "monitors")


# How the logs index their records (named functions, so that a snapshot can be pickled).
def _event_id(event: Event) -> str:
    return event.event_id


def _project_id(record: Any) -> int:
    return record.project_id


def _issue_id(event: Event) -> int | None:
    return event.issue_id


def _item_id(item: CapturedItem) -> int:
    return item.id


def _item_type(item: CapturedItem) -> str:
    return item.type


@implementer(IStore)
class StoreService(Service):
    """
    Organizations, projects, keys, events, issues and captured items, reset to a seed on demand.
    """

    name = "store"
    log = Logger()

    def __init__(self, clock: IReactorTime, seed: Seed | None = None,
                 max_events: int = DEFAULT_MAX_EVENTS, limits: Limits | None = None) -> None:
        self._clock = clock
        self.seed = seed or Seed()
        self.max_events = max_events
        self.limits = limits or Limits()
        self.started = clock.seconds()
        #: Records kept since the store was made (resets do not lower it).
        self.stored_total = 0
        self._watchers: list[Any] = []
        self.reset()

    # IStore: lifecycle

    def reset(self) -> None:
        self.directory = Directory(self._clock.seconds())
        self.seed.apply(self.directory)
        self._events: Log[Event] = Log(
            key=_event_id, capacity=self.max_events,
            facets={"project": _project_id, "issue": _issue_id},
        )
        self._items: Log[CapturedItem] = Log(
            key=_item_id, capacity=self.max_events, facets={"type": _item_type},
        )
        self._next_item = 1
        self.issue_book = IssueBook()
        self._facts = FactCache()
        self.releases = ReleaseBook()
        self.uploads = UploadBook()
        self.monitors = MonitorBook()

    def snapshot(self) -> dict[str, Any]:
        """
        The whole state, as plain picklable objects (caches and watchers left out).
        """
        return {name: getattr(self, name) for name in _STATE}

    def restore(self, state: dict[str, Any]) -> None:
        """
        Take back a state L{snapshot} gave.
        """
        for name in _STATE:
            setattr(self, name, state[name])
        self._facts = FactCache()

    @property
    def evicted(self) -> int:
        return self._events.evicted

    def watch(self, callback: Any) -> None:
        """
        Call C{callback(record)} with every event and captured item stored from now on.
        """
        self._watchers.append(callback)

    def unwatch(self, callback: Any) -> None:
        if callback in self._watchers:
            self._watchers.remove(callback)

    def _stored(self, record: Any) -> None:
        self.stored_total += 1
        if self._watchers:
            for callback in list(self._watchers):
                callback(record)

    def startService(self) -> None:
        super().startService()
        self.log.info("store ready: organization {org!r}, project {project!r} (id 1), "
                      "client key {key!r}", org=self.seed.organization,
                      project=self.seed.project, key=self.seed.public_key)

    # IStore: ingest

    def now(self) -> float:
        return self._clock.seconds()

    @property
    def clock(self) -> IReactorTime:
        """
        Where the store reads the time (replacing it lets a journal replay at recorded times).
        """
        return self._clock

    @clock.setter
    def clock(self, clock: IReactorTime) -> None:
        self._clock = clock

    def project_for_ingest(self, project_id: int, public_key: str | None, strict: bool) -> Project:
        directory = self.directory
        project = directory.projects.get(project_id)
        key = directory.keys.get(public_key) if public_key else None
        if strict:
            if key is None:
                raise IngestRejected("event submission rejected", causes=["invalid public key"])
            if not key.is_active:
                raise IngestRejected("event submission rejected", causes=["key is disabled"])
            if project is None or key.project_id != project_id:
                raise IngestRejected("event submission rejected",
                                     causes=["project id does not match the public key"])
            return project
        if project is None:
            org = next(iter(directory.organizations.values()))
            team_ids = [team.id for team in directory.teams_of(org)][:1]
            team = directory.teams[team_ids[0]] if team_ids else None
            project = directory.add_project(org, team, f"project-{project_id}",
                                            id=project_id, now=self.now())
            self.log.info("created project {project_id} on first use", project_id=project_id)
        if public_key and key is None:
            directory.add_key(project, public=public_key, now=self.now())
        return project

    def ingest_event(self, project: Project, payload: Any, raw: bytes,
                     envelope_headers: dict[str, Any] | None = None, item_type: str = "event",
                     client_ip: str | None = None) -> Event:
        header_id = envelope_headers.get("event_id") if envelope_headers else None
        event = build_event(project.id, payload, raw, item_type, self._clock.seconds(),
                            header_id, client_ip)
        existing = self._events.get(event.event_id)
        if existing is not None:
            # Sentry keeps the first event of an id and drops repeats.
            return existing
        if project.first_event is None:
            project.first_event = event.received
        if event.environment:
            project.environments.add(event.environment)
        if event.type != "transaction":
            event.hashes.append(grouping_hash(payload))
            issue = self.issue_book.add_event(project, event)
            if event.release:
                self.releases.event_seen(project, event.release, event.received,
                                         new_issue=issue.times_seen == 1)
        self._events.add(event)
        self._stored(event)
        return event

    def capture_item(self, project: Project, item_type: str, headers: dict[str, Any],
                     payload: bytes, event_id: str | None = None) -> CapturedItem:
        item = CapturedItem(id=self._next_item, type=item_type, project_id=project.id,
                            event_id=event_id, headers=headers, payload=payload,
                            received=self._clock.seconds())
        self._next_item += 1
        self._items.add(item)
        if item_type in ("session", "sessions"):
            self._health(project, item_type, payload)
        self._stored(item)
        return item

    def _health(self, project: Project, item_type: str, payload: bytes) -> None:
        try:
            decoded = loads(payload)
        except ValueError:
            return
        project.has_sessions = True
        self.releases.sessions_seen(project, item_type, decoded, self._clock.seconds())

    def record_check_in(self, project: Project, payload: Any) -> CheckIn | None:
        """
        File a cron check-in (a check-in JSON object) under its monitor, creating the monitor
        on its first check-in; C{None} when Sentry would drop it.

        @raise Invalid: the payload is not a check-in.
        """
        check_in = self.monitors.record(project, payload, self.now())
        if check_in is not None:
            project.environments.add(check_in.environment)
        return check_in

    # IStore: directory

    def organizations(self) -> list[Organization]:
        return list(self.directory.organizations.values())

    def organization(self, id_or_slug: str | int) -> Organization:
        return self.directory.organization(id_or_slug)

    def projects(self, organization: Organization | None = None) -> list[Project]:
        return self.directory.projects_of(organization)

    def project(self, organization: Organization, id_or_slug: str | int) -> Project:
        return self.directory.project(organization, id_or_slug)

    def project_by_id(self, project_id: int) -> Project:
        project = self.directory.projects.get(project_id)
        if project is None:
            raise NotFound()
        return project

    def create_project(self, organization: Organization, team: Team | None, name: str,
                       slug: str | None = None, platform: str | None = None) -> Project:
        project = self.directory.add_project(organization, team, name, slug=slug,
                                             platform=platform, now=self.now())
        self.directory.add_key(project, now=self.now())
        return project

    def delete_project(self, project: Project) -> None:
        """
        Forget a project with its keys, issues and events.
        """
        self.delete_issues(self.issues([project]))
        self._events.remove_where("project", project.id)
        self.directory.remove_project(project)

    def team(self, organization: Organization, id_or_slug: str | int) -> Team:
        return self.directory.team(organization, id_or_slug)

    def teams(self, organization: Organization) -> list[Team]:
        return self.directory.teams_of(organization)

    def keys(self, project: Project) -> list[ClientKey]:
        return self.directory.keys_of(project)

    def key(self, public_key: str) -> ClientKey | None:
        return self.directory.keys.get(public_key)

    # IStore: events and issues

    def issues(self, projects: Iterable[Project]) -> list[Issue]:
        return self.issue_book.of_projects(project.id for project in projects)

    def issues_in_order(self, projects: Iterable[Project], sort: str) -> Iterator[Issue]:
        """
        The issues of some projects, lazily, in a sort order: C{date} (last seen first),
        C{new} (first seen first), C{freq} (most events first) or C{user} (most users first).
        """
        return self.issue_book.walk([project.id for project in projects], sort)

    def issue_facts(self, issue: Issue) -> IssueFacts:
        """
        What the issue's stored events say (tags, users, frames, ...), for search and tag lists.
        """
        return self._facts.get(issue, self._events.facet("issue", issue.id))

    def prepare_issue_facts(self, issue: Issue) -> Any:
        """
        A Deferred that fires once L{issue_facts} is fresh, gathering a large issue's events a
        slice at a time so that the server keeps answering meanwhile.
        """
        return self._facts.prepare(issue, self._events.facet("issue", issue.id), self._clock)

    def update_issues(self, issues: Iterable[Issue], change: IssueChange) -> None:
        now = self.now()
        for issue in issues:
            apply_change(issue, change, now)

    def delete_issues(self, issues: Iterable[Issue]) -> None:
        """
        Forget issues and their events.
        """
        for issue in list(issues):
            self.issue_book.remove(issue)
            self._events.remove_where("issue", issue.id)
            self._facts.forget(issue.id)

    def issue_count(self) -> int:
        return len(self.issue_book)

    def issue(self, issue_id: str | int) -> Issue:
        return self.issue_book.get(issue_id)

    def events(self, project_id: int | None = None, issue_id: int | None = None):
        if issue_id is not None:
            return self._events.facet("issue", issue_id)
        if project_id is not None:
            return self._events.facet("project", project_id)
        return self._events.all()

    def event(self, event_id: str) -> Event:
        normalized = normalize_event_id(event_id)
        event = self._events.get(normalized) if normalized else None
        if event is None:
            raise NotFound()
        return event

    def adjacent_events(self, event: Event) -> tuple[Event | None, Event | None]:
        """
        The events stored just before and just after C{event} in its issue (Sentry's
        C{previousEventID} and C{nextEventID}); C{(None, None)} for an event without an issue.

        Found by bisecting the issue's events on their receive time, so it costs O(log n).
        """
        if event.issue_id is None:
            return None, None
        facet = self._events.facet("issue", event.issue_id)
        index = bisect.bisect_left(facet, event.received, key=lambda other: other.received)
        while index < len(facet) and facet[index] is not event:
            if facet[index].received != event.received:
                # The clock went backwards at some point: fall back to a scan.
                index = next((i for i, other in enumerate(facet) if other is event), len(facet))
                break
            index += 1
        if index >= len(facet):
            return None, None
        previous = facet[index - 1] if index > 0 else None
        following = facet[index + 1] if index + 1 < len(facet) else None
        return previous, following

    def items(self, item_type: str | None = None):
        if item_type is not None:
            return self._items.facet("type", item_type)
        return self._items.all()

    @property
    def item_evictions(self) -> int:
        return self._items.evicted
