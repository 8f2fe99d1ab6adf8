"""
The answers of Sentry's outcomes queries, made from the store's outcome counters: C{stats_v2}'s
C{{start, end, intervals, groups}} (Sentry's C{massage_outcomes_result}) and C{stats-summary}'s
C{{start, end, projects}} (C{massage_sessions_result_summary}), with its CSV download.  Pure
functions.
"""

from __future__ import annotations

import csv
from datetime import datetime, timezone
from io import StringIO
from typing import Any, Iterable, Iterator, Mapping, Sequence

from ..store.outcome_rules import ERROR_CATEGORIES, OUTCOMES
from ..store.outcomes import OutcomeCount
from .outcome_query import OutcomeQuery

#: The outcomes the summary adds up as C{dropped}.
DROPPED = ("invalid", "rate_limited", "cardinality_limited")
_Key = tuple[tuple[str, Any], ...]


def isoformat_z(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).replace(tzinfo=None).isoformat() + "Z"


def matching(query: OutcomeQuery, counts: Iterable[OutcomeCount]) -> Iterator[OutcomeCount]:
    """
    The counters that pass a query's outcome, category and reason filters.
    """
    for count in counts:
        if query.outcomes is not None and count.outcome not in query.outcomes:
            continue
        if query.categories is not None and count.category not in query.categories:
            continue
        if query.reasons is not None and query.stored_reason(count.reason) not in query.reasons:
            continue
        yield count


def _value(query: OutcomeQuery, count: OutcomeCount, group: str) -> Any:
    if group == "project":
        return count.project_id
    if group == "outcome":
        return count.outcome
    if group == "category":
        return "error" if count.category in ERROR_CATEGORIES else count.category
    return query.reason(count.reason)


def _amount(count: OutcomeCount, field: str) -> int:
    return count.quantity if field == "sum(quantity)" else count.times_seen


def _order(key: _Key) -> tuple[tuple[str, str], ...]:
    return tuple((name, str(value)) for name, value in key)


def stats_v2(query: OutcomeQuery, counts: Iterable[OutcomeCount]) -> dict[str, Any]:
    """
    C{stats_v2}'s answer: a group per combination of the C{groupBy} values that has outcomes
    (one group, C{"by": {}}, without C{groupBy}), each with its C{totals} and, unless grouped
    by project, its C{series} over the C{intervals}.
    """
    points = (query.end - query.start) // query.rollup
    timeseries = "project" not in query.group_by
    totals: dict[_Key, dict[str, int]] = {}
    series: dict[_Key, dict[str, list[int]]] = {}
    if not query.group_by:
        totals[()] = {field: 0 for field in query.fields}
        series[()] = {field: [0] * points for field in query.fields}
    for count in matching(query, counts):
        key = tuple((group, _value(query, count, group)) for group in query.group_by)
        total = totals.get(key)
        if total is None:
            total = totals[key] = {field: 0 for field in query.fields}
            series[key] = {field: [0] * points for field in query.fields}
        bucket = (count.minute - query.start) // query.rollup
        for field in query.fields:
            amount = _amount(count, field)
            total[field] += amount
            series[key][field][bucket] += amount
    groups = []
    for key in sorted(totals, key=_order):
        group: dict[str, Any] = {"by": dict(key), "totals": totals[key]}
        if timeseries:
            group["series"] = series[key]
        groups.append(group)
    answer: dict[str, Any] = {"start": isoformat_z(query.start), "end": isoformat_z(query.end)}
    if timeseries:
        answer["intervals"] = [isoformat_z(second) for second in
                               range(query.start, query.end, query.rollup)]
    answer["groups"] = groups
    return answer


def _category_stats(category: str, reason: str | None, outcome_names: Sequence[str]
                    ) -> dict[str, Any]:
    stats: dict[str, Any] = {
        "category": category,
        "outcomes": ({outcome: 0 for outcome in OUTCOMES} if not outcome_names
                     else {name: 0 for name in outcome_names}),
        "totals": {},
    }
    if not outcome_names or any(name in DROPPED for name in outcome_names):
        stats["totals"] = {"dropped": 0}
    if reason:
        stats["reason"] = reason
    return stats


def summary(query: OutcomeQuery, counts: Iterable[OutcomeCount], outcome_names: Sequence[str],
            slugs: Mapping[int, str]) -> tuple[dict[int, dict[str, dict[str, Any]]],
                                               dict[str, Any]]:
    """
    C{stats-summary}'s answer: per project (by id), per data category, the quantity of each
    outcome and the totals, C{dropped} among them.

    @param outcome_names: the C{outcome} filter as given (the outcomes each category shows).
    @param slugs: the slug of each project.
    @return: the projects' stats by id and category (what the CSV download is made from),
        and the answer.
    """
    names = [name.lower() for name in outcome_names]
    rows: dict[_Key, dict[str, int]] = {}
    for count in matching(query, counts):
        key = tuple((group, _value(query, count, group)) for group in query.group_by)
        row = rows.setdefault(key, {field: 0 for field in query.fields})
        for field in query.fields:
            row[field] += _amount(count, field)
    projects: dict[int, dict[str, dict[str, Any]]] = {}
    for key in sorted(rows, key=_order):
        by = dict(key)
        categories = projects.setdefault(by["project"], {"categories": {}})["categories"]
        stats = categories.get(by["category"])
        if stats is None:
            stats = categories[by["category"]] = _category_stats(by["category"], by.get("reason"),
                                                                 names)
        for field, value in rows[key].items():
            stats["totals"][field] = stats["totals"].get(field, 0) + value
            stats["outcomes"][by["outcome"]] = stats["outcomes"].get(by["outcome"], 0) + value
            if by["outcome"] in DROPPED:
                stats["totals"]["dropped"] = stats["totals"].get("dropped", 0) + value
    projects = dict(sorted(projects.items()))
    listed = [{"id": project_id, "slug": slugs[project_id],
               "stats": sorted(values["categories"].values(), key=lambda s: s["category"])}
              for project_id, values in projects.items()]
    return projects, {"start": isoformat_z(query.start), "end": isoformat_z(query.end),
                      "projects": listed}


def summary_csv(projects: Mapping[int, Mapping[str, Mapping[str, Any]]],
                slugs: Mapping[int, str]) -> str:
    """
    The summary as Sentry's CSV download: a row per project, a column per outcome and total
    of each category (C{accepted_errors}, ...), named from the project with the most columns.
    """
    if not projects:
        return ""
    output = StringIO()
    writer = csv.writer(output)
    widest = max(projects, key=lambda pid: len(projects[pid]["categories"]))
    headers = ["project_id", "project_slug"]
    for category, stats in projects[widest]["categories"].items():
        headers += [f"{name}_{category}s" for name in (*stats["outcomes"], *stats["totals"])]
    writer.writerow(headers)
    for project_id, values in projects.items():
        row: dict[str, Any] = {"project_id": project_id, "project_slug": slugs[project_id]}
        for category, stats in values["categories"].items():
            for name, value in (*stats["outcomes"].items(), *stats["totals"].items()):
                row[f"{name}_{category}s"] = value
        writer.writerow([row.get(header, 0) for header in headers])
    return output.getvalue()
