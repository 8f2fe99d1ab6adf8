"""
What bench/lists.py times and how it judges it: the endpoints, the "within 2x" target, the
Markdown tables and the verdict lines.
"""

from __future__ import annotations

import argparse
from typing import Callable
from urllib.parse import quote

TARGET_RATIO = 2.0
PROJECT_ISSUES = "/api/0/projects/parlel/parlel/issues/"
PROJECT_EVENTS = "/api/0/projects/parlel/parlel/events/"


class Endpoint:
    """
    One request to time: a key, its label in the table, and its path given what was stored
    (C{None} when it does not apply at that scale).
    """

    def __init__(self, key: str, label: str, path: Callable[[dict, argparse.Namespace], str | None],
                 reference: str | None = None, target: bool = True) -> None:
        self.key, self.label, self.path = key, label, path
        #: The endpoint whose time at the smallest scale this one's ratio is taken against.
        self.reference = reference or key
        #: Whether the "within 2x" target applies (not to a dump of everything).
        self.target = target


def _biggest(info: dict) -> int | None:
    return info["biggest_issue"]["id"] if info.get("biggest_issue") else None


def _deep_page(info: dict, args: argparse.Namespace) -> str | None:
    if info["error_events"] < args.deep_offset + 100:
        return None
    return f"{PROJECT_EVENTS}?cursor=0:{args.deep_offset}:0"


def _issue_path(template: str) -> Callable[[dict, argparse.Namespace], str | None]:
    def path(info: dict, args: argparse.Namespace) -> str | None:
        issue = _biggest(info)
        return template.format(issue=issue) if issue is not None else None
    return path


def _inspection(info: dict, args: argparse.Namespace) -> str | None:
    if info["events"] > args.inspection_max:
        return None
    return "/__parlel/events?wait=0&project=1&level=error"


ENDPOINTS = [
    Endpoint("project-issues", f"`GET {PROJECT_ISSUES}`",
             lambda info, args: PROJECT_ISSUES),
    Endpoint("project-issues-freq", f"`GET {PROJECT_ISSUES}?query=&sort=freq`",
             lambda info, args: f"{PROJECT_ISSUES}?query=&sort=freq"),
    Endpoint("project-issues-level", f"`GET {PROJECT_ISSUES}?query=level:error is:unresolved`",
             lambda info, args: f"{PROJECT_ISSUES}?query={quote('level:error is:unresolved')}"),
    Endpoint("org-issues", "`GET /api/0/organizations/parlel/issues/`",
             lambda info, args: "/api/0/organizations/parlel/issues/"),
    Endpoint("project-events", f"`GET {PROJECT_EVENTS}`",
             lambda info, args: PROJECT_EVENTS),
    Endpoint("project-events-deep", f"`GET {PROJECT_EVENTS}?cursor=0:OFFSET:0` (deep page)",
             _deep_page, reference="project-events"),
    Endpoint("issue-events", "`GET /api/0/organizations/parlel/issues/{biggest}/events/`",
             _issue_path("/api/0/organizations/parlel/issues/{issue}/events/")),
    Endpoint("issue-detail", "`GET /api/0/issues/{biggest}/`",
             _issue_path("/api/0/issues/{issue}/")),
    Endpoint("inspection-events", "`GET /__parlel/events?wait=0&project=1&level=error`",
             _inspection, target=False),
]


def scale_label(scale: int) -> str:
    if scale >= 1000 and scale % 1000 == 0:
        return f"{scale // 1000}k"
    return str(scale)


def ratio_to_smallest(results: dict, endpoint: Endpoint, scale: int,
                      field: str = "median_ms") -> float | None:
    """
    An endpoint's C{field} (median latency, or server CPU per request) at C{scale} over its
    reference's at the smallest scale.
    """
    smallest = min(results)
    here = results.get(scale, {}).get("endpoints", {}).get(endpoint.key)
    there = results[smallest]["endpoints"].get(endpoint.reference)
    if not here or not there or not there[field]:
        return None
    return here[field] / there[field]


def markdown_table(results: dict, args: argparse.Namespace, cpu: bool = False) -> str:
    """
    Latency per endpoint and scale (median / p95), or with C{cpu} the server's CPU time per
    request, and the ratio of the largest scale to the smallest.
    """
    scales = sorted(results)
    smallest, largest = scales[0], scales[-1]
    what = "server CPU ms/request at {}" if cpu else "ms at {} (median / p95)"
    header = ["endpoint"] + [what.format(scale_label(s)) for s in scales]
    header.append(f"ratio {scale_label(largest)}/{scale_label(smallest)}")
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    for endpoint in ENDPOINTS:
        cells = []
        for scale in scales:
            found = results[scale]["endpoints"].get(endpoint.key)
            if not found:
                cells.append("–")
            elif cpu:
                cells.append(f"{found['server_cpu_ms']:.2f}")
            else:
                cells.append(f"{found['median_ms']:.2f} / {found['p95_ms']:.2f}")
        if not any(cell != "–" for cell in cells):
            continue
        ratio = ratio_to_smallest(results, endpoint, largest,
                                  "server_cpu_ms" if cpu else "median_ms")
        shown = "–" if ratio is None else f"{ratio:.2f}"
        if ratio is not None and endpoint.reference != endpoint.key:
            shown += " †"
        label = endpoint.label.replace("OFFSET", str(args.deep_offset))
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {shown} |")
    return "\n".join(lines)


def verdicts(results: dict) -> list[tuple[str, str, str]]:
    """
    Per endpoint: (key, "meets" / "misses" / "n/a", why).  The verdict is on the ratio of
    median latencies; the ratio of server CPU per request, the first (cold) request and the
    page sizes are given beside it.
    """
    scales = sorted(results)
    smallest, largest = scales[0], scales[-1]
    found = []
    for endpoint in ENDPOINTS:
        ratio = ratio_to_smallest(results, endpoint, largest)
        if not endpoint.target:
            measured = [scale_label(s) for s in scales if endpoint.key in results[s]["endpoints"]]
            found.append((endpoint.key, "n/a", "returns every matching event, so it grows with "
                          f"them by design; measured at {', '.join(measured) or 'no scale'}"))
            continue
        if ratio is None:
            found.append((endpoint.key, "n/a", f"not measured at both {scale_label(smallest)} "
                                                f"and {scale_label(largest)}"))
            continue
        here = results[largest]["endpoints"][endpoint.key]
        there = results[smallest]["endpoints"][endpoint.reference]
        cpu = ratio_to_smallest(results, endpoint, largest, "server_cpu_ms")
        against = (f"{scale_label(largest)}/{scale_label(smallest)}"
                   if endpoint.reference == endpoint.key else
                   f"at {scale_label(largest)} over {endpoint.reference} "
                   f"at {scale_label(smallest)}")
        why = f"median {ratio:.2f}x {against}"
        if cpu is not None:
            why += f"; server CPU per request {cpu:.2f}x"
        why += f"; first request at {scale_label(largest)} {here['first_ms']:.1f} ms"
        if here["items"] != there["items"]:
            why += (f"; {there['items']} items per answer at {scale_label(smallest)}, "
                    f"{here['items']} at {scale_label(largest)}")
            if here["items"] and there["items"] and there["server_cpu_ms"]:
                per_item = ((here["server_cpu_ms"] / here["items"])
                            / (there["server_cpu_ms"] / there["items"]))
                why += f", so server CPU per item {per_item:.2f}x"
        found.append((endpoint.key, "meets" if ratio <= TARGET_RATIO else "misses", why))
    return found
