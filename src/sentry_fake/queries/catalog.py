"""
The datasets an events query may name, as Sentry names them, and the attributes a dataset's
rows carry (what C{trace-items/attributes/} lists and C{events/validate/} checks against).
"""

from __future__ import annotations

from typing import Any, Iterator

from ..errors import Invalid
from .dataset import Dataset
from .discover_datasets import Discover, Errors, Transactions
from .eap_datasets import Logs, Spans, TraceMetrics


class Nothing(Dataset):
    """
    A dataset Sentry has and the fake keeps nothing of (profile functions, uptime results):
    every query answers no rows.
    """

    def rows(self) -> Iterator[Any]:
        return iter(())

    def timestamp(self, row: Any) -> float:
        return 0.0

    def read(self, row: Any, column: str) -> Any:
        return None


def _nothing(name: str, eap: bool = True) -> type[Dataset]:
    return type(f"Nothing_{name}", (Nothing,), {"name": name, "eap": eap})


#: Every C{dataset=} Sentry takes, in the order its refusal lists them.
DATASETS: dict[str, type[Dataset]] = {
    "discover": Discover, "errors": Errors, "metricsEnhanced": Transactions,
    "metrics": Transactions, "ourlogs": Logs, "logs": Logs,
    "uptime_results": _nothing("uptime_results"), "profiles": _nothing("profiles", False),
    "issuePlatform": _nothing("issuePlatform", False),
    "profileFunctions": _nothing("profile_functions"),
    "profile_functions": _nothing("profile_functions"), "spans": Spans,
    "spansIndexed": Spans, "spansMetrics": Spans, "tracemetrics": TraceMetrics,
    "transactions": Transactions,
}
#: The datasets Sentry answers through its event analytics platform (what validate checks).
EAP_DATASETS = frozenset({"spans", "logs", "ourlogs", "tracemetrics", "uptime_results",
                          "profile_functions", "profileFunctions"})
#: What C{trace-items/attributes/} takes for C{itemType} or C{dataset}.
ITEM_TYPES = {"spans": Spans, "logs": Logs, "tracemetrics": TraceMetrics}
#: How many of the newest rows an attribute listing looks at.
ATTRIBUTE_SAMPLE = 10_000


def dataset_class(name: str | None) -> type[Dataset]:
    """
    @raise Invalid: Sentry has no such dataset.
    """
    found = DATASETS.get(name or "discover")
    if found is None:
        raise Invalid(f"dataset must be one of: {', '.join(DATASETS)}")
    return found


def _coarse(value: Any) -> str | None:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return None


def coarse_type(kind: str) -> str:
    """
    A column's meta type as the attribute listings say it: string, number or boolean.
    """
    if kind == "boolean":
        return "boolean"
    if kind in ("integer", "number", "duration", "size", "percentage", "rate", "currency"):
        return "number"
    return "string"


def row_attributes(dataset: Dataset) -> dict[str, str]:
    """
    The attributes the newest rows of a dataset carry, by name, with their coarse type (the
    sentry-fake's own C{sentry.*} attributes are the dataset's columns, not listed here).
    """
    found: dict[str, str] = {}
    for number, row in enumerate(dataset.rows()):
        if number >= ATTRIBUTE_SAMPLE:
            break
        for name, value in getattr(row, "attributes", {}).items():
            if name.startswith("sentry.") or name in found:
                continue
            kind = _coarse(value)
            if kind is not None:
                found[name] = kind
    return found


def attribute_key(name: str, kind: str) -> str:
    """
    How a user attribute is asked for: a string one by its name, others as C{tags[name,type]}.
    """
    return name if kind == "string" else f"tags[{name},{kind}]"
