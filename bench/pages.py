"""
The pages for people at scale: how long each page takes to answer with 100 and 100 000
stored events, and the traces and logs pages with 100 and 100 000 stored spans and logs.

    python bench/pages.py [--scales 100,100000] [--shapes sites,unique]
                          [--trace-scales 100,100000] [--json OUT.json]

For each issue shape and scale, bench/filled_server.py (the server of bench/lists.py) stores
that many events made from real sentry-sdk payloads, pinned to one core; this script then
adds a monitor's check-ins and some user feedback over HTTP, and from the other core times
each page over one kept-alive connection: the first request (nothing cached yet: for the
biggest issue's page, its tags not counted yet) and the median and p95 of the following ones.
The target is 100 ms per page at 100 000 events.  The traces and logs pages are timed the
same way against bench/filled_traces.py, a server that stores that many spans and as many log
entries (traces of ten streamed spans with ten log lines each, an error in every hundredth);
C{--shapes none} or C{--trace-scales none} leaves either part out.

A script that prints measurements; it asserts nothing about speed.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

import lists
from list_payloads import make_templates
from lists import SHAPES, Client, FilledServer, measure
from processes import HOST, FilledChildServer, add_read_options, free_port, pinned, unpinned

# The client of bench/lists.py, asking for pages: C{/} answers a browser with HTML.
lists.HEADERS["Accept"] = "text/html"

TARGET_MS = 100.0
CHECK_INS = 200
FEEDBACK = 50


def _post_envelope(port: int, body: bytes) -> None:
    connection = http.client.HTTPConnection(HOST, port, timeout=60)
    try:
        connection.request("POST", "/api/1/envelope/", body=body,
                           headers={"Content-Type": "application/x-sentry-envelope",
                                    "X-Sentry-Auth": "Sentry sentry_key=parlel, sentry_version=7"})
        answer = connection.getresponse()
        answer.read()
        if answer.status != 200:
            raise RuntimeError(f"an envelope was answered {answer.status}")
    finally:
        connection.close()


def add_books(port: int) -> None:
    """
    A monitor with its check-ins and some user feedback, so those pages show something.
    """
    for number in range(CHECK_INS):
        check_in = {"check_in_id": uuid.uuid4().hex, "monitor_slug": "nightly-export",
                    "status": "error" if number % 7 == 0 else "ok", "duration": 2.5,
                    "monitor_config": {"schedule": {"type": "crontab", "value": "0 3 * * *"}}}
        _post_envelope(port, b'{}\n{"type":"check_in"}\n' + json.dumps(check_in).encode())
    for number in range(FEEDBACK):
        report = {"event_id": uuid.uuid4().hex, "name": f"Person {number}",
                  "email": f"p{number}@example.com", "comments": "The checkout page hangs."}
        _post_envelope(port, b'{}\n{"type":"user_report"}\n' + json.dumps(report).encode())


def pages(info: dict) -> list[tuple[str, str]]:
    """
    The pages to time, given what the server stored.
    """
    biggest = (info.get("biggest_issue") or {}).get("id")
    found = [("home", "/"), ("stream", "/organizations/parlel/issues/"),
             ("stream, sort=freq", "/organizations/parlel/issues/?sort=freq"),
             ("stream, level:error, page 3",
              "/organizations/parlel/issues/?query=level:error&cursor=0:50:0"),
             ("stream, level fatal: none", "/organizations/parlel/issues/?level=fatal"),
             ("stream, typed level:fatal: none",
              "/organizations/parlel/issues/?query=level:fatal&status=unresolved"),
             ("stream, free text", "/organizations/parlel/issues/?query=warehouse"),
             ("releases", "/organizations/parlel/releases/"),
             ("crons", "/organizations/parlel/crons/"),
             ("monitor", "/organizations/parlel/crons/parlel/nightly-export/"),
             ("feedback", "/organizations/parlel/feedback/")]
    if biggest is not None:
        found[2:2] = [
            ("biggest issue", f"/organizations/parlel/issues/{biggest}/"),
            ("its oldest event", f"/organizations/parlel/issues/{biggest}/events/oldest/"),
            ("its events", f"/organizations/parlel/issues/{biggest}/events/"),
            ("its events, deep page",
             f"/organizations/parlel/issues/{biggest}/events/?cursor=0:"
             f"{max(0, info['biggest_issue']['events'] - 60)}:0"),
        ]
    return found


def bench(args: argparse.Namespace, shape: str, scale: int, templates: Path,
          workdir: Path) -> dict:
    server = FilledServer(args, shape, scale, templates, workdir)
    outcome: dict = {"scale": scale, "shape": shape, "pages": {}}
    try:
        server.start(args.fill_timeout)
        info = outcome["info"] = server.info
        add_books(server.port)
        biggest = info.get("biggest_issue") or {}
        print(f"  {shape}, {scale} events: {info['issues']} issues, biggest "
              f"{biggest.get('id')} with {biggest.get('events')} events", flush=True)
        client = Client(server.port)
        try:
            for label, path in pages(info):
                result = measure(client, path, args, server.pid)
                outcome["pages"][label] = result
                print(f"    {label:<30} first {result['first_ms']:8.1f} ms, median "
                      f"{result['median_ms']:7.1f} ms, p95 {result['p95_ms']:7.1f} ms, "
                      f"server CPU {result['server_cpu_ms']:6.1f} ms ({result['bytes']} bytes)",
                      flush=True)
            if biggest.get("id") is not None:
                tags = f"/__parlel/fragments/issue-tags/{biggest['id']}"
                started = time.perf_counter()
                client.get(tags)
                outcome["exact_tags_ms"] = (time.perf_counter() - started) * 1000.0
                print(f"    (the biggest issue's exact tags, fetched by its page once shown: "
                      f"{outcome['exact_tags_ms']:.0f} ms the first time)", flush=True)
            # A search on what the events say (a tag) gathers each issue's facts the first
            # time, a slice at a time: timed once, as it may take long.
            started = time.perf_counter()
            client.get("/organizations/parlel/issues/?query=server_name:nowhere")
            outcome["tag_search_ms"] = (time.perf_counter() - started) * 1000.0
            print(f"    (a search on a tag nothing has, once: {outcome['tag_search_ms']:.0f} ms)",
                  flush=True)
        finally:
            client.close()
    finally:
        server.stop()
    return outcome


class TracesServer(FilledChildServer):
    """
    bench/filled_traces.py in a child process: filled with spans and logs, then serving.
    """

    def __init__(self, args: argparse.Namespace, scale: int, workdir: Path) -> None:
        port, info_path = free_port(), workdir / f"traces-{scale}.info.json"
        super().__init__(pinned(args.server_cpu, [
            sys.executable, str(Path(__file__).parent / "filled_traces.py"), str(port),
            str(info_path), "--spans", str(scale)]), workdir / f"traces-{scale}.log", port,
            info_path)


def trace_pages(info: dict) -> list[tuple[str, str]]:
    org = "/organizations/parlel/explore"
    return [
        ("traces", f"{org}/traces/"),
        ("traces, span.op:db.query", f"{org}/traces/?query=span.op:db.query"),
        ("traces, page 3", f"{org}/traces/?cursor=0:50:0"),
        ("traces, a rare status (1 span in 50)",
         f"{org}/traces/?query=span.status:internal_error"),
        ("traces, span.op:none (none)", f"{org}/traces/?query=span.op:none"),
        ("the newest trace", f"{org}/traces/trace/{info['newest_trace']}/"),
        ("the oldest trace", f"{org}/traces/trace/{info['oldest_trace']}/"),
        ("logs", f"{org}/logs/"),
        ("logs, severity error", f"{org}/logs/?severity=error"),
        ("logs, free text", f"{org}/logs/?query=warehouse%207"),
        ("logs, page 5", f"{org}/logs/?cursor=0:200:0"),
        ("logs, severity fatal (none)", f"{org}/logs/?severity=fatal"),
        ("home (latest traces)", "/"),
    ]


def bench_traces(args: argparse.Namespace, scale: int, workdir: Path) -> dict:
    server = TracesServer(args, scale, workdir)
    outcome: dict = {"scale": scale, "shape": "traces", "pages": {}}
    try:
        server.start(args.fill_timeout)
        info = outcome["info"] = server.info
        print(f"  traces, {scale} spans: {info['spans']} spans, {info['logs']} logs, "
              f"{info['traces']} traces, filled in {info['fill_seconds']} s", flush=True)
        client = Client(server.port)
        try:
            for label, path in trace_pages(info):
                result = measure(client, path, args, server.pid)
                outcome["pages"][label] = result
                print(f"    {label:<30} first {result['first_ms']:8.1f} ms, median "
                      f"{result['median_ms']:7.1f} ms, p95 {result['p95_ms']:7.1f} ms, "
                      f"server CPU {result['server_cpu_ms']:6.1f} ms ({result['bytes']} bytes)",
                      flush=True)
        finally:
            client.close()
    finally:
        server.stop()
    return outcome


def table(results: list[dict], scales: list[int]) -> str:
    lines = []
    for shape in sorted({result["shape"] for result in results}):
        by_scale = {result["scale"]: result for result in results if result["shape"] == shape}
        shown = sorted(by_scale)
        labels = list(by_scale[max(shown)]["pages"])
        unit = "spans" if shape == "traces" else "events"
        head = " | ".join(f"{scale:,} {unit}: median (first)" for scale in shown)
        described = ("spans and logs, traces of ten spans" if shape == "traces"
                     else SHAPES[shape].format(sites=50))
        lines += [f"\nshape {shape} ({described})\n",
                  f"| page | {head} |", "| --- |" + " --- |" * len(shown)]
        for label in labels:
            cells = []
            for scale in shown:
                page = by_scale[scale]["pages"].get(label)
                cells.append(f"{page['median_ms']:.1f} ms ({page['first_ms']:.1f})"
                             if page else "—")
            lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--scales", default="100,100000")
    parser.add_argument("--shapes", default="sites,unique")
    parser.add_argument("--trace-scales", default="100,100000")
    parser.add_argument("--sites", type=int, default=50)
    parser.add_argument("--messages", type=float, default=0.1)
    parser.add_argument("--transactions", type=float, default=0.1)
    parser.add_argument("--history-hours", type=float, default=24.0)
    add_read_options(parser, "page", requests=50, min_requests=5, max_seconds=10.0, warmup=2,
                     fill_timeout=1800.0)
    args = parser.parse_args(argv)
    args.scales = sorted({int(value) for value in args.scales.split(",") if value.strip()})
    args.shapes = [value.strip() for value in args.shapes.split(",")
                   if value.strip() and value.strip() != "none"]
    args.trace_scales = sorted({int(value) for value in args.trace_scales.split(",")
                                if value.strip() and value.strip() != "none"})
    unpinned(args)
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if args.client_cpu is not None:
        os.sched_setaffinity(0, {int(cpu) for cpu in args.client_cpu.split(",")})
    workdir = Path(tempfile.mkdtemp(prefix="sentry-fake-pages-"))
    results = []
    if args.shapes:
        templates, _ = make_templates(workdir)
        results += [bench(args, shape, scale, templates, workdir)
                    for shape in args.shapes for scale in args.scales]
    results += [bench_traces(args, scale, workdir) for scale in args.trace_scales]
    text = table(results, args.scales)
    print(text)
    largest = {"traces": max(args.trace_scales, default=0)}
    slow = [(result["shape"], result["scale"], label, page["median_ms"])
            for result in results
            if result["scale"] == largest.get(result["shape"], max(args.scales))
            for label, page in result["pages"].items() if page["median_ms"] > TARGET_MS]
    for shape, scale, label, median in slow:
        print(f"over {TARGET_MS:.0f} ms: {label} ({shape}, {scale} events): {median:.1f} ms")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
