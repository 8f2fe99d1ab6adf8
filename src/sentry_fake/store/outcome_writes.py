"""
The outcome book's share of the write path: the outcomes an L{Ingested} record counts (what
it stored, the check-ins Sentry would drop, the client reports it brought), derived from the
record as it is applied, so that a replay counts the same; and L{OutcomesTracked}, the record
of data the store was not given.
"""

from __future__ import annotations

from typing import Any, Sequence

from ..errors import NotFound
from .models import Event, Project, payload_bytes
from .outcome_rules import Tracked, accepted_event, client_discards, item_quantities
from .records import CheckInSent, Ingested, OutcomesTracked

#: Item types counted through what they became (events, check-ins) rather than as items.
_COUNTED_ELSEWHERE = frozenset({"event", "transaction", "check_in", "client_report"})


class OutcomeWrites:
    """
    Part of L{sentry_fake.store.service.StoreService}.
    """

    def track_outcomes(self, record: OutcomesTracked) -> None:
        project = self.directory.project_by_id(record.project_id)
        self._commit(record)
        self.outcomes.add(record.time, project.organization_id, project.id, record.outcomes)

    def _count_ingested(self, project: Project, record: Ingested, events: Sequence[Event],
                        check_ins: Sequence[Any]) -> None:
        """
        Count the outcomes of an applied L{Ingested} record.

        @param events: what L{_store_event} answered for each of its events (the event kept
            before, for an id seen already: a repeat is not counted).
        @param check_ins: what the monitor book answered for each of its check-ins (C{None}
            for one Sentry drops).
        """
        tracked: list[Tracked] = []
        for sent, stored in zip(record.events, events):
            if stored is sent:
                tracked.extend(accepted_event(sent.type))
        for sent_check_in, check_in in zip(record.check_ins, check_ins):
            tracked.append(self._check_in_outcome(project, sent_check_in, check_in))
        unread = sum(1 for item in record.items if item.type == "check_in") - len(check_ins)
        if unread > 0:
            tracked.append(Tracked("invalid", "monitor", unread, "invalid_check_in"))
        for item in record.items:
            if item.type == "client_report":
                for when, discard in client_discards(payload_bytes(item.payload), record.time):
                    self.outcomes.add(when, project.organization_id, project.id, [discard])
            elif item.type not in _COUNTED_ELSEWHERE:
                tracked.extend(Tracked("accepted", category, quantity) for category, quantity
                               in item_quantities(item.type, item.headers, len(item.payload)))
        self.outcomes.add(record.time, project.organization_id, project.id, tracked)

    def _check_in_outcome(self, project: Project, sent: CheckInSent, check_in: Any) -> Tracked:
        """
        A check-in's outcome as Sentry's monitor consumer tracks it.
        """
        if check_in is not None:
            return Tracked("accepted", "monitor", 1)
        try:
            monitor = self.monitors.find(project.organization_id, sent.checked["monitor_slug"],
                                         project.id)
        except NotFound:
            return Tracked("invalid", "monitor", 1, "invalid_monitor")
        if monitor.status == "disabled":
            return Tracked("filtered", "monitor", 1, "monitor_disabled")
        return Tracked("invalid", "monitor", 1, "monitor_environment_mismatch")
