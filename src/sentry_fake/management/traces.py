"""
A trace as Sentry's trace view reads it: C{trace-meta/{trace_id}/} (how many spans, errors
and logs, by operation and by transaction) and C{trace/{trace_id}/} (the span tree, with each
error under the span it happened in).
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from ..errors import NotFound
from ..http import json_response
from ..interfaces import IDirectory, IEventLog, IIssues, ITraces
from ..short_ids import short_id
from ..queries.traces import build_tree, trace_errors
from ..store.models import Event, Organization
from ..store.trace_items import trace_id_of
from ..store.trace_models import Span
from .app import app, authenticated

#: What Sentry's trace URLs take as a trace id; any other path is not one of its routes.
_TRACE_IN_URL = re.compile(r"\d+|[A-Fa-f0-9-]{32,36}")
#: The issue type Sentry numbers error issues with.
ERROR_ISSUE_TYPE = 1


class TraceRoutes:
    #: The roles of the store these routes use (checked by tests/test_interfaces.py).
    roles = (IDirectory, IEventLog, IIssues, ITraces)

    def _trace_in(self, org: str, trace_id: str) -> tuple[Organization, dict[int, str], str]:
        if not _TRACE_IN_URL.fullmatch(trace_id):
            raise NotFound()
        organization = self.store.directory.organization(org)
        slugs = {project.id: project.slug
                 for project in self.store.directory.projects_of(organization)}
        if not slugs:
            raise NotFound()
        return organization, slugs, trace_id_of(trace_id) or trace_id.lower()

    def _errors(self, trace_id: str, slugs: dict[int, str]) -> list[Event]:
        return trace_errors(self.store.events_of_trace(trace_id), slugs)

    @app.route("/api/0/organizations/<org>/trace-meta/<trace_id>/", methods=["GET"])
    @authenticated
    def trace_meta(self, request: Any, org: str, trace_id: str) -> bytes:
        _, slugs, trace_id = self._trace_in(org, trace_id)
        spans = [span for span in self.store.traces.spans_of_trace(trace_id)
                 if span.project_id in slugs]
        errors = len(self._errors(trace_id, slugs))
        logs = sum(1 for entry in self.store.traces.logs_of_trace(trace_id)
                   if entry.project_id in slugs)
        metrics = sum(1 for point in self.store.traces.metrics_of_trace(trace_id)
                      if point.project_id in slugs)
        by_op = Counter(span.op for span in spans if span.op)
        by_transaction = Counter(span.event_id for span in spans)
        child_counts = [{"transaction.event_id": event_id, "count()": count}
                        for event_id, count in sorted(by_transaction.items(),
                                                      key=lambda pair: pair[0] or "")]
        op_counts = dict(by_op.most_common())
        # Sentry's own answer took both spellings over time; its clients read either.
        return json_response(request, {
            "errors": errors, "performance_issues": 0, "logs": logs,
            "span_count": len(spans), "transaction_child_count_map": child_counts,
            "span_count_map": op_counts,
            "errorsCount": errors, "performanceIssuesCount": 0, "logsCount": logs,
            "metricsCount": metrics, "spansCount": len(spans),
            "transactionChildCountMap": child_counts, "spansCountMap": op_counts,
        })

    def _issue(self, event: Event, slugs: dict[int, str]) -> dict[str, Any]:
        issue = self.store.issue(event.issue_id) if event.issue_id is not None else None
        segment = (self.store.traces.span(event.trace_id, event.span_id)
                   if event.trace_id and event.span_id else None)
        return {
            "event_id": event.event_id, "project_id": event.project_id,
            "project_slug": slugs.get(event.project_id, ""),
            "start_timestamp": event.timestamp,
            "transaction": segment.segment_name if segment is not None else "",
            "description": event.message or event.title, "level": event.level,
            "issue_id": event.issue_id, "event_type": "error",
            "culprit": (issue.culprit if issue is not None else event.culprit) or "",
            "short_id": short_id(slugs.get(event.project_id, ""), issue.short_id)
            if issue is not None else None,
            "issue_type": ERROR_ISSUE_TYPE,
        }

    def _span(self, span: Span, slugs: dict[int, str]) -> dict[str, Any]:
        return {
            "event_id": span.span_id, "transaction_id": span.event_id or "",
            "project_id": span.project_id, "project_slug": slugs.get(span.project_id, ""),
            "profile_id": "", "profiler_id": "", "parent_span_id": span.parent_span_id,
            "start_timestamp": span.start, "end_timestamp": span.end,
            "measurements": {f"measurements.{name}": value
                             for name, value in span.measurements.items()},
            "duration": span.duration_ms, "transaction": span.segment_name or "",
            "is_transaction": span.is_segment, "description": span.description or "",
            "sdk_name": span.sdk_name or "", "op": span.op or "", "name": span.name,
            "event_type": "span", "additional_attributes": {},
            "browser_web_vital": {}, "mobile_app_vital": {},
            "children": [], "errors": [], "occurrences": [],
        }

    @app.route("/api/0/organizations/<org>/trace/<trace_id>/", methods=["GET"])
    @authenticated
    def trace(self, request: Any, org: str, trace_id: str) -> bytes:
        _, slugs, trace_id = self._trace_in(org, trace_id)
        spans = [span for span in self.store.traces.spans_of_trace(trace_id)
                 if span.project_id in slugs]
        tree = build_tree(spans, self._errors(trace_id, slugs))
        shown: dict[int, dict[str, Any]] = {}
        roots = []
        for node in tree.walk():
            # A child's shape is made (empty) when its parent is, and filled when reached.
            shape = shown.setdefault(id(node), {})
            shape.update(self._span(node.span, slugs))
            shape["children"] = [shown.setdefault(id(child), {}) for child in node.children]
            shape["errors"] = [self._issue(event, slugs) for event in node.errors]
            if node.depth == 0:
                roots.append(shape)
        orphans = [self._issue(event, slugs) for event in tree.orphan_errors]
        return json_response(request, roots + orphans)
