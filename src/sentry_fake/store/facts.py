"""
What an issue's events say, gathered for search and for the issue's tag lists: tag values,
users, exception types and values, stack frames and messages.

Gathering reads every stored event of the issue, so the result is cached per issue and only
gathered again after the issue has seen new events.
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from typing import Any, Iterable

from twisted.internet.defer import Deferred, succeed

from .grouping import exceptions, frames_of
from .models import Event
from .normalize import document, formatted_message

_FIELD_ALIASES = {
    "user.ip": "user.ip_address", "user.ip_address": "user.ip_address",
    "error.mechanism": "error.mechanism", "stack.abs_path": "stack.abs_path",
}


class IssueFacts:
    """
    The values each searchable key takes across an issue's events, and tag counts.
    """

    def __init__(self, events: Iterable[Event]) -> None:
        self.values: dict[str, set[str]] = {}
        #: tag key -> Counter of value -> (count); first/last seen per (key, value).
        self.tag_counts: dict[str, Counter[str]] = {}
        self.tag_seen: dict[tuple[str, str], list[float]] = {}
        for event in events:
            self._gather(event)

    def _add(self, key: str, value: Any) -> None:
        if value is None or value == "":
            return
        self.values.setdefault(key, set()).add(str(value))

    def _gather(self, event: Event) -> None:
        doc = document(event)
        for key, value in doc.get("tags") or []:
            self._add(key, value)
            self.tag_counts.setdefault(key, Counter())[value] += 1
            seen = self.tag_seen.setdefault((key, value), [event.received, event.received])
            seen[0] = min(seen[0], event.received)
            seen[1] = max(seen[1], event.received)
        user = doc.get("user")
        if isinstance(user, dict) and user:
            self._add("user", "yes")
            for field in ("id", "email", "username", "ip_address", "name"):
                self._add(f"user.{field}", user.get(field))
        for value in exceptions(doc):
            self._add("error.type", value.get("type"))
            self._add("error.value", value.get("value"))
            mechanism = value.get("mechanism")
            if isinstance(mechanism, dict):
                self._add("error.mechanism", mechanism.get("type"))
            for frame in frames_of(value):
                for field in ("filename", "abs_path", "function", "module", "package"):
                    self._add(f"stack.{field}", frame.get(field))
        self._add("message", formatted_message(doc))
        self._add("title", event.title)
        self._add("event.type", event.type)
        self._add("platform", event.platform)
        request = doc.get("request")
        if isinstance(request, dict):
            self._add("url", request.get("url"))
            self._add("http.method", request.get("method"))

    def values_of(self, key: str) -> set[str]:
        """
        The values a search key takes (C{tags[k]} and plain tag keys included).
        """
        if key.startswith("tags[") and key.endswith("]"):
            key = key[5:-1]
        key = _FIELD_ALIASES.get(key, key)
        return self.values.get(key, set())


class FactCache:
    """
    Facts per issue, kept up to date by folding in only the events stored since last time.
    """

    def __init__(self, capacity: int = 1000) -> None:
        self._cache: OrderedDict[int, tuple[int, IssueFacts]] = OrderedDict()
        self._capacity = capacity

    def _keep(self, issue_id: int, appended: int, facts: IssueFacts) -> IssueFacts:
        # The most recently asked-for issues keep their facts; the others are gathered again.
        self._cache[issue_id] = (appended, facts)
        self._cache.move_to_end(issue_id)
        while len(self._cache) > self._capacity:
            self._cache.popitem(last=False)
        return facts

    def get(self, issue: Any, events: Any) -> IssueFacts:
        """
        @param events: the issue's events, a L{sentry_fake.store.log.Facet} (its C{appended}
            count tells which events are new).
        """
        cached = self._cache.get(issue.id)
        appended = events.appended
        if cached is not None:
            seen, facts = cached
            fresh = appended - seen
            if fresh == 0:
                return self._keep(issue.id, appended, facts)
            if 0 < fresh <= len(events):
                for index in range(len(events) - fresh, len(events)):
                    facts._gather(events[index])
                return self._keep(issue.id, appended, facts)
        return self._keep(issue.id, appended, IssueFacts(events))

    def current(self, issue: Any, events: Any, most: int) -> IssueFacts | None:
        """
        The issue's facts if bringing them up to date folds at most C{most} events (they were
        gathered before and few events came since, or the issue has few events), else C{None}.
        """
        cached = self._cache.get(issue.id)
        fresh = events.appended - cached[0] if cached is not None else len(events)
        if cached is not None and not 0 <= fresh <= len(events):
            fresh = len(events)
        if fresh > most:
            return None
        return self.get(issue, events)

    def prepare(self, issue: Any, events: Any, clock: Any, chunk: int = 2000) -> Deferred[None]:
        """
        Make the issue's facts fresh without holding the reactor for long: up to C{chunk}
        events are gathered at once, more in slices of C{chunk} on later reactor turns (an issue
        with a hundred thousand events would otherwise stop the server for seconds).

        @return: a Deferred that fires when L{get} will answer without gathering much.
        """
        cached = self._cache.get(issue.id)
        appended = events.appended
        fresh = appended - cached[0] if cached is not None else len(events)
        if cached is not None and not 0 <= fresh <= len(events):
            cached, fresh = None, len(events)
        if fresh <= chunk:
            self.get(issue, events)
            return succeed(None)
        facts = cached[1] if cached is not None else IssueFacts(())
        batch = list(events)[len(events) - fresh:]
        done: Deferred[None] = Deferred()

        def step(start: int) -> None:
            for event in batch[start:start + chunk]:
                facts._gather(event)
            if start + chunk < len(batch):
                clock.callLater(0, step, start + chunk)
            else:
                self._keep(issue.id, appended, facts)
                done.callback(None)

        step(0)
        return done

    def forget(self, issue_id: int) -> None:
        self._cache.pop(issue_id, None)
