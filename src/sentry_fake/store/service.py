"""
The store service: the whole state of the fake, as one L{Service} in the service hierarchy.

It knows nothing of HTTP.  The surfaces hold it by reference, read it through its roles (the
books it holds and the event log and issue methods here) and change it only through its write
methods (L{sentry_fake.store.writes}), one per change record.
"""

from __future__ import annotations

import bisect
import math
from itertools import islice
from operator import attrgetter
from typing import Any, Iterable, Iterator

from twisted.application.service import Service
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger
from zope.interface import implementer

from ..errors import NotFound
from ..interfaces import IJournal, IStore
from .departed import Departed
from .directory import Directory
from .event_times import latest_event, latest_events, neighbours, oldest_event
from .facts import FactCache, IssueFacts
from .issues import IssueBook
from .limits import Limits
from .log import Log
from .models import CapturedItem, Event, Issue, Project
from .monitors import MonitorBook
from .normalize import normalize_event_id
from .releases import ReleaseBook
from .issue_messages import MessageCache
from .seed import Seed
from .tag_summary import IssueTags, latest_tags
from .outcomes import OutcomeBook
from .traces import TraceBook
from .uploads import UploadBook
from .writes import WRITERS, Writes

DEFAULT_MAX_EVENTS = 100_000


# How the logs index their records (attribute getters: called for every record kept).
_event_id = attrgetter("event_id")
_project_id = attrgetter("project_id")
_issue_id = attrgetter("issue_id")
_trace_id = attrgetter("trace_id")
_item_id = attrgetter("id")
_item_type = attrgetter("type")
_item_event = attrgetter("event_id")


@implementer(IJournal)
class MemoryOnly:
    """
    The journal of a server without C{--data-dir}: records are applied and forgotten.
    """

    groups = False

    def append(self, seq: int, record: Any) -> None:
        pass

    def stage(self, seq: int, record: Any) -> None:
        pass

    def commit_group(self) -> None:
        pass

    def payloads_left(self, seq: int, record: Any) -> dict[int, Any]:
        return {}


@implementer(IStore)
class StoreService(Service, Writes):
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
        #: The sequence number of the last change record applied.
        self.seq = 0
        self.journal: IJournal = MemoryOnly()
        self._staged = []
        #: While a group is applied, what it stored, told to the watchers once all of it is.
        self._announced_later: list[Any] | None = None
        #: What left with its payload in a journal row (see L{hold_departed}).
        self._departed = Departed()
        #: Whether a journal takes checkpoints of this store (see L{track_changes}).
        self._tracking = False
        self._watchers: list[Any] = []
        self._latest = float("-inf")
        self._start_over(self.seed, clock.seconds())

    def _start_over(self, seed: Seed, now: float) -> None:
        """
        Replace the whole state with C{seed}'s, as of C{now}.
        """
        directory = Directory(now)
        seed.apply(directory)
        self.directory = directory
        self._events: Log[Event] = Log(
            key=_event_id, capacity=self.max_events,
            facets={"project": _project_id, "issue": _issue_id, "trace": _trace_id},
            on_leave=self._departed,
        )
        self._items: Log[CapturedItem] = Log(
            key=_item_id, capacity=self.max_events,
            facets={"type": _item_type, "event": _item_event},
            on_leave=self._departed,
        )
        self._next_item = 1
        self.issue_book = IssueBook(track_changes=self._tracking)
        self._facts = FactCache()
        self._messages = MessageCache()
        self.releases = ReleaseBook()
        self.uploads = UploadBook()
        self.monitors = MonitorBook()
        self.traces = TraceBook(self.max_events)
        #: The most any event kept so far was ahead of its arrival (its time later than it),
        #: and behind it: an event's time is within these of when it arrived.
        self._ahead = self._behind = -math.inf
        #: Whether every event kept so far happened no earlier than those before it (then the
        #: order they arrived in is the order of their times), and the latest time yet.
        self._in_order, self._latest_time = True, -math.inf
        self.outcomes = OutcomeBook()

    def resume_time(self, moment: float) -> None:
        """
        Hand out no time earlier than C{moment} (the last a data directory's records carry),
        should the wall clock be behind it at a start.
        """
        self._latest = max(self._latest, moment)

    def now(self) -> float:
        # Never earlier than a time already handed out, should the wall clock step back:
        # records arrive in the order of their times, which the newest-first reads rely on.
        moment = self._clock.seconds()
        if moment < self._latest:
            return self._latest
        self._latest = moment
        return moment

    def startService(self) -> None:
        super().startService()
        self.log.info("store ready: organization {org!r}, project {project!r} (id 1), "
                      "client key {key!r}", org=self.seed.organization,
                      project=self.seed.project, key=self.seed.public_key)

    # Replaying a journal (see sentry_fake.persistence)

    def track_changes(self) -> None:
        """
        Note from now on which issues change, for the checkpoints of a journal.
        """
        self._tracking = True
        self.issue_book.track_changes = True

    def hold_departed(self) -> None:
        """
        Before the journal drops rows: what left the store and is still held somewhere holds
        its payload itself from now on.
        """
        self._departed.hold()

    def replay(self, seq: int, record: Any) -> Any:
        """
        Apply a record the journal holds under C{seq} (not committing it again).
        """
        journal, self.journal = self.journal, MemoryOnly()
        self.seq = seq - 1
        try:
            return getattr(self, WRITERS[type(record)])(record)
        finally:
            self.journal = journal

    def _keep_event(self, event: Event) -> None:
        """
        Add an event to the log; an issue whose last event it evicts goes with it, as issues
        go with their events at the end of Sentry's retention.
        """
        oldest = self._events.add(event)
        offset = event.timestamp - event.received
        if offset > self._ahead:
            self._ahead = offset
        if -offset > self._behind:
            self._behind = -offset
        if event.timestamp < self._latest_time:
            self._in_order = False
        else:
            self._latest_time = event.timestamp
        if oldest is not None and oldest.issue_id is not None and \
                not len(self._events.facet("issue", oldest.issue_id)):
            issue = self.issue_book.find(oldest.issue_id)
            if issue is not None:
                self.issue_book.remove(issue)
                self._facts.forget(issue.id)

    # IEventLog

    @property
    def evicted(self) -> int:
        return self._events.evicted

    @property
    def item_evictions(self) -> int:
        return self._items.evicted

    def watch(self, callback: Any) -> None:
        self._watchers.append(callback)

    def unwatch(self, callback: Any) -> None:
        if callback in self._watchers:
            self._watchers.remove(callback)

    def _stored(self, record: Any) -> None:
        self.stored_total += 1
        self._announce(record)

    def _announce(self, record: Any) -> None:
        """
        Tell the watchers of something stored: an event or item (which L{_stored} counts),
        or a span or log entry the trace book kept.
        """
        if self._watchers:
            if self._announced_later is not None:
                self._announced_later.append(record)
                return
            for callback in list(self._watchers):
                callback(record)

    def events(self, project_id: int | None = None, issue_id: int | None = None) -> Any:
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

    def latest_event(self, issue_id: int, keep: Any = None) -> Event | None:
        """
        The issue's event of the latest time (that C{keep} keeps), as Sentry's C{latest}.
        """
        return latest_event(self._events.facet("issue", issue_id), keep, self._ahead)

    def oldest_event(self, issue_id: int, keep: Any = None) -> Event | None:
        """
        The issue's event of the earliest time (that C{keep} keeps), as Sentry's C{oldest}.
        """
        return oldest_event(self._events.facet("issue", issue_id), keep, self._behind)

    def latest_events(self, count: int, keep: Any = None, project_id: int | None = None,
                      issue_id: int | None = None) -> list[Event]:
        """
        The C{count} stored events of the latest times (that C{keep} keeps), of one project or
        issue or of all, latest first, as Sentry lists events.
        """
        events = self.events(project_id, issue_id)
        if self._in_order:
            # Arrival order is time order: the newest arrivals are the latest.
            if keep is None:
                return events.newest(0, count)
            return list(islice(filter(keep, reversed(events)), count))
        return latest_events(events, keep, count, self._ahead)

    def event_time_bounds(self) -> tuple[float, float]:
        """
        How far ahead of its arrival, and how far behind it, the time of any event kept so far
        was, in seconds (C{-inf} before the first): each event's time is within them.
        """
        return self._ahead, self._behind

    def adjacent_events(self, event: Event) -> tuple[Event | None, Event | None]:
        """
        The events just before and just after C{event} in its issue by their own times
        (Sentry's C{previousEventID} and C{nextEventID}); C{(None, None)} for an event without
        an issue.

        While events arrive in the order of their times, found by bisecting the issue's events
        on their receive time (O(log n)); else by reading them.
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
        if not self._in_order:
            return neighbours(facet, index)
        previous = facet[index - 1] if index > 0 else None
        following = facet[index + 1] if index + 1 < len(facet) else None
        return previous, following

    def events_of_trace(self, trace_id: str) -> Any:
        return self._events.facet("trace", trace_id)

    def items(self, item_type: str | None = None) -> Any:
        if item_type is not None:
            return self._items.facet("type", item_type)
        return self._items.all()

    def items_of_event(self, event_id: str) -> Any:
        return self._items.facet("event", event_id)

    # IIssues

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

    def issue_tags(self, issue: Issue, budget: int = 50) -> IssueTags:
        """
        The tags of an issue's events, folding at most C{budget} events: exact when its facts
        are current within that, else counted over its latest C{budget} events.
        """
        events = self._events.facet("issue", issue.id)
        facts = self._facts.current(issue, events, budget)
        if facts is None:
            return latest_tags(events, budget)
        return IssueTags(counts=facts.tag_counts, seen=facts.tag_seen, events=len(events),
                         complete=True)

    def issue_messages(self, issue: Issue) -> set[str]:
        """
        The distinct messages of an issue's stored events, from the events' own records.
        """
        return self._messages.get(issue, self._events.facet("issue", issue.id))

    def prepare_issue_facts(self, issue: Issue) -> Any:
        """
        A Deferred that fires once L{issue_facts} is fresh, gathering a large issue's events a
        slice at a time so that the server keeps answering meanwhile.
        """
        return self._facts.prepare(issue, self._events.facet("issue", issue.id), self._clock)

    def issue_count(self) -> int:
        return len(self.issue_book)

    def issue(self, issue_id: str | int) -> Issue:
        return self.issue_book.get(issue_id)

    def issue_by_short_id(self, project: Project, counter: int) -> Issue | None:
        return self.issue_book.by_short_id(project.id, counter)
