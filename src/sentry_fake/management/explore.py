"""
Sentry's events query API: C{GET /api/0/organizations/{org}/events/} over every dataset
(errors, transactions, spans, logs, trace metrics), C{events-stats/} (the same queries as time
series), C{events/validate/} as Sentry's MCP server calls it before each search, and
C{trace-items/attributes/}.
"""

from __future__ import annotations

from typing import Any

from ..errors import Forbidden, Invalid
from ..http import arg, arg_list, json_response
from ..interfaces import IDirectory, IEventLog, IIssues
from ..queries.catalog import (EAP_DATASETS, ITEM_TYPES, attribute_key, coarse_type,
                               dataset_class, row_attributes)
from ..queries.columns import parse_column
from ..queries.dataset import Dataset, tag_column
from ..queries.engine import Plan, function_alias
from ..queries.series import (MAX_BUCKETS, MAX_TOP_EVENTS, buckets_of, bucketed, merged,
                              series, time_frame)
from ..store.models import Organization
from ..store.search import SearchError, filters, parse
from .app import app, authenticated
from .events import time_window
from .outcome_query import parse_stats_period
from .pagination import link_header, parse_cursor

#: Sentry's default period for events queries.
DEFAULT_PERIOD = 90 * 86400
_NO_PROJECT_TIP = {"query": "Need at least one valid project to query."}


def _per_page(request: Any, maximum: int) -> int:
    raw = arg(request, "per_page")
    if not raw:
        return min(100, maximum)
    try:
        size = int(raw)
    except ValueError:
        raise Invalid("Invalid per_page parameter.")
    if size < 1:
        raise Invalid("Invalid per_page parameter.")
    if size > maximum:
        raise Invalid(f"Invalid per_page value. Cannot exceed {maximum}.")
    return size



def _unique(names: list[str]) -> list[str]:
    return list(dict.fromkeys(names))


def _is_true(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true", "yes")


def _top_events(request: Any) -> int:
    raw = arg(request, "topEvents")
    if not raw:
        return 0
    try:
        top = int(raw)
    except ValueError:
        raise Invalid("topEvents needs to be an integer.")
    if not 0 < top <= MAX_TOP_EVENTS:
        raise Invalid(f"Can only get up to {MAX_TOP_EVENTS} top events.")
    if not [name for name in arg_list(request, "field") if name]:
        raise Invalid("No columns selected")
    return top


def _default_interval(seconds: float) -> int:
    # Sentry's interval for a period when none is asked for (sentry.utils.dates).
    day = 86400
    if seconds >= 60 * day:
        return day
    if seconds >= 30 * day:
        return 4 * 3600
    if seconds > day:
        return 3600
    if seconds > 3600:
        return 300
    return 60


def _rollup(request: Any, seconds: float) -> int:
    """
    The bucket of a series, in seconds: C{interval} (C{1h}, C{5m}, C{30s}, plain seconds), or
    Sentry's default for the period when it is missing or cannot be read.
    """
    parsed = parse_stats_period(arg(request, "interval") or "")
    if parsed is None or not 0 < parsed.total_seconds() < 10 ** 10:
        return _default_interval(seconds)
    return max(1, int(parsed.total_seconds()))


def _frozen(value: Any) -> Any:
    return tuple(_frozen(item) for item in value) if isinstance(value, list) else value


def _series_key(values: tuple[Any, ...], fields: list[str]) -> str:
    # Sentry names a top group by its fields' values (a list by its last value), joined; a
    # group named as the rest is is told apart by its field.
    shown = []
    for value in values:
        if isinstance(value, (list, tuple)):
            value = value[-1] if value else ""
        shown.append(str(value))
    key = ",".join(shown)
    return f"{key} ({fields[0]})" if key == "Other" else key

class ExploreRoutes:
    #: The roles of the store these routes use (checked by tests/test_interfaces.py).
    roles = (IDirectory, IEventLog, IIssues)

    def _scope(self, request: Any, org: str) -> tuple[Any, list[int]]:
        """
        The dataset a query of organization C{org} asks for (its class) and the projects it
        reads, checked in Sentry's order: the organization, the dataset, the projects.
        """
        organization = self.store.directory.organization(org)
        return dataset_class(arg(request, "dataset")), self._project_ids(request, organization)

    def _project_ids(self, request: Any, organization: Organization) -> list[int]:
        """
        The projects a query asks for (C{project}: ids or slugs, C{-1} for all): every
        project of the organization when it names none.

        @raise Forbidden: it names a project the organization does not have.
        """
        projects = {project.id: project for project in
                    self.store.directory.projects_of(organization)}
        asked = [value for value in arg_list(request, "project") if value]
        if not asked or "-1" in asked:
            return sorted(projects)
        chosen = []
        for value in asked:
            found = next((pid for pid, project in projects.items()
                          if str(pid) == value or project.slug == value), None)
            if found is None:
                raise Forbidden("You do not have permission to perform this action.")
            chosen.append(found)
        return chosen

    def _plan(self, request: Any, dataset: Dataset, fields: list[str] | None = None) -> Plan:
        now = self.store.now()
        start, end = time_window(request, now)
        sorts = arg_list(request, "sort") or arg_list(request, "orderby")
        try:
            return Plan(dataset, arg_list(request, "field") if fields is None else fields,
                        arg(request, "query"), sorts,
                        start if start is not None else now - DEFAULT_PERIOD,
                        end if end is not None else now,
                        [value for value in arg_list(request, "environment") if value], now)
        except SearchError as error:
            raise Invalid(error.detail.replace("Your search query could not be parsed: ",
                                               "Invalid query: "))

    @app.route("/api/0/organizations/<org>/events/", methods=["GET"])
    @authenticated
    def events_query(self, request: Any, org: str) -> bytes:
        dataset_type, project_ids = self._scope(request, org)
        if not project_ids:
            return json_response(request, {"data": [], "meta": {"tips": _NO_PROJECT_TIP}})
        dataset = dataset_type(self.store, project_ids)
        plan = self._plan(request, dataset)
        size = _per_page(request, dataset.max_per_page)
        _, offset, _ = parse_cursor(arg(request, "cursor"))
        rows, has_next = plan.page(offset, size)
        if not arg(request, "noPagination"):
            request.setHeader(b"link", link_header(request, offset, size, has_next))
        body: dict[str, Any] = {"data": rows, "meta": plan.meta()}
        if dataset.eap and rows:
            confidence = [{column.name: ("high" if column.is_aggregate else None)
                           for column in plan.columns if column.is_aggregate}
                          for _ in rows]
            body["confidence"] = confidence
            body["meta"]["accuracy"] = {"confidence": confidence}
        return json_response(request, body)

    @app.route("/api/0/organizations/<org>/events-stats/", methods=["GET"])
    @authenticated
    def events_stats(self, request: Any, org: str) -> bytes:
        dataset_type, project_ids = self._scope(request, org)
        if not project_ids:
            return json_response(request, {"data": []})
        axes = _unique([axis for axis in arg_list(request, "yAxis") if axis] or ["count()"])
        columns = [parse_column(axis) for axis in axes]
        for axis, column in zip(axes, columns):
            if not column.is_aggregate:
                raise Invalid(f"{axis} is not an aggregate: yAxis takes functions")
        top = _top_events(request)
        plain = [name for name in arg_list(request, "field")
                 if name and not parse_column(name).is_aggregate] if top else []
        dataset = dataset_type(self.store, project_ids)
        plan = self._plan(request, dataset, plain + [axis for axis in axes if axis not in plain])
        rollup = _rollup(request, plan.end - plan.start)
        if (plan.end - plan.start) / rollup > MAX_BUCKETS:
            raise Invalid("Your interval and date range would create too many results. Use a "
                          "larger interval, or a smaller date range.")
        starts = buckets_of(plan.start, plan.end, rollup, _is_true(arg(request, "partial")))
        meta = plan.meta()
        first, last = time_frame(plan.start, plan.end, rollup)
        frame = {"start": first, "end": last}

        def answer(buckets: Any, order: int | None = None) -> dict[str, Any]:
            # One axis: its series (with the group's order among the top groups); several:
            # one series per axis, each with its own place, the group's order beside them.
            shaped = {axis: {"data": series(plan, column, buckets, starts, rollup),
                             "order": index, "isMetricsData": False, **frame, "meta": meta}
                      for index, (axis, column) in enumerate(zip(axes, columns))}
            if len(axes) == 1:
                single = shaped[axes[0]]
                if order is None:
                    del single["order"]
                else:
                    single["order"] = order
                return single
            if order is not None:
                shaped["order"] = order
            return shaped

        if not top:
            return json_response(request, answer(bucketed(plan, plan.newest_rows(), rollup)
                                                 .get(None, {})))
        ranked, more = plan.page(0, top)
        if not ranked:
            # No group at all: one empty series, as Sentry answers (keyed "" for several axes).
            empty = answer({})
            return json_response(request, empty if len(axes) == 1 else {"": empty})
        keys = [tuple(_frozen(row.get(name)) for name in plain) for row in ranked]
        grouped = bucketed(plan, plan.newest_rows(), rollup,
                           key=lambda row: tuple(plan.value_of(row, name) for name in plain))
        body = {_series_key(key, plain): answer(grouped.get(key, {}), order)
                for order, key in enumerate(keys)}
        if more and not _is_true(arg(request, "excludeOther")):
            wanted = set(keys)
            body["Other"] = answer(merged(buckets for key, buckets in grouped.items()
                                          if key not in wanted), len(keys))
        return json_response(request, body)

    def _check_column(self, dataset: Dataset, name: str,
                      known: dict[str, str]) -> dict[str, Any]:
        try:
            column = parse_column(name)
        except Invalid as error:
            return {"name": name, "valid": False, "error": error.detail, "attrType": None}
        target = column.argument if column.is_aggregate else name
        if column.is_aggregate:
            kind = "number" if column.function not in ("last_seen", "first_seen") else "string"
            return {"name": name, "valid": True, "error": None, "attrType": kind}
        if target in dataset.columns or tag_column(target) is not None:
            return {"name": name, "valid": True, "error": None,
                    "attrType": coarse_type(dataset.kind(target))}
        if target in known:
            return {"name": name, "valid": True, "error": None, "attrType": known[target]}
        return {"name": name, "valid": False, "error": "Unknown attribute", "attrType": None}

    @app.route("/api/0/organizations/<org>/events/validate/", methods=["GET"])
    @authenticated
    def events_validate(self, request: Any, org: str) -> bytes:
        organization = self.store.directory.organization(org)
        name = arg(request, "dataset") or "discover"
        answer: dict[str, Any] = {"valid": True, "projects": [], "dataset": [],
                                  "environment": [], "field": [],
                                  "query": {"valid": True, "error": None, "fields": []},
                                  "orderby": []}
        try:
            dataset_type = dataset_class(name)
        except Invalid as error:
            answer["valid"] = False
            answer["dataset"] = [{"name": name, "valid": False, "error": error.detail}]
            return json_response(request, answer, 400)
        if name not in EAP_DATASETS:
            answer["dataset"] = [{"name": name, "valid": True, "error": (
                "This dataset is not compatible with the validate endpoint, your request may "
                "still be valid")}]
            return json_response(request, answer)
        project_ids = self._project_ids(request, organization)
        if not project_ids:
            answer["projects"] = [{"valid": False,
                                   "error": "At least one valid project is required to query"}]
        dataset = dataset_type(self.store, project_ids)
        environments = {value for value in arg_list(request, "environment") if value}
        known_environments = set()
        for pid in project_ids:
            known_environments |= self.store.directory.project_by_id(pid).environments
        if environments - known_environments:
            answer["environment"] = [{"valid": False, "error": "Unknown environments selected"}]
        known = row_attributes(dataset)
        fields = arg_list(request, "field")
        seen: set[str] = set()
        for field in fields:
            if field and field not in seen:
                seen.add(field)
                answer["field"].append(self._check_column(dataset, field, known))
        try:
            tree = parse(arg(request, "query"), aggregates=True)
        except SearchError as error:
            answer["query"] = {"valid": False, "error": error.detail, "fields": []}
        else:
            checked = [self._check_column(dataset, f.key, known) for f in filters(tree)
                       if f.key != "has"]
            invalid = next((entry for entry in checked if not entry["valid"]), None)
            answer["query"] = {"valid": invalid is None,
                               "error": invalid["error"] if invalid else None,
                               "fields": checked}
        selected = set(fields) | {function_alias(field) for field in fields}
        for text in arg_list(request, "orderby") or arg_list(request, "sort"):
            bare = text.lstrip("-")
            valid = bare in selected
            answer["orderby"].append({
                "name": text, "valid": valid,
                "error": None if valid else "Orderby must also be a selected field",
                "attrType": self._check_column(dataset, bare, known)["attrType"]
                if valid else None})
        answer["valid"] = not (answer["projects"] or answer["environment"]) and all(
            entry["valid"] for entry in answer["field"] + answer["orderby"]) and \
            answer["query"]["valid"]
        return json_response(request, answer, 200 if answer["valid"] else 400)

    @app.route("/api/0/organizations/<org>/trace-items/attributes/", methods=["GET"])
    @authenticated
    def trace_item_attributes(self, request: Any, org: str) -> bytes:
        organization = self.store.directory.organization(org)
        item_type = arg(request, "itemType") or arg(request, "dataset")
        if not item_type:
            raise Invalid(fields={"dataset": [
                "dataset is required if itemType is not passed"]})
        dataset_type = ITEM_TYPES.get(item_type)
        if dataset_type is None:
            raise Invalid(fields={"itemType": [f'"{item_type}" is not a valid choice.']})
        dataset = dataset_type(self.store, self._project_ids(request, organization))
        wanted = {value for value in arg_list(request, "attributeType") if value}
        match = (arg(request, "substringMatch") or "").lower()
        listed = [{"key": name, "name": name, "attributeSource": {"source_type": "sentry"},
                   "attributeType": coarse_type(kind)}
                  for name, (kind, _) in sorted(dataset.columns.items())]
        listed += [{"key": attribute_key(name, kind), "name": name,
                    "attributeSource": {"source_type": "user"}, "attributeType": kind}
                   for name, kind in sorted(row_attributes(dataset).items())]
        shown = [entry for entry in listed
                 if (not wanted or entry["attributeType"] in wanted)
                 and (not match or match in entry["name"].lower())]
        size = _per_page(request, 1000)
        _, offset, _ = parse_cursor(arg(request, "cursor"))
        page = shown[offset:offset + size]
        request.setHeader(b"link", link_header(request, offset, size,
                                               offset + size < len(shown)))
        return json_response(request, page)
