"""
List endpoints at scale: issue and event lists with 100, 10 000 and 100 000 stored events.

    python bench/lists.py [--scales 100,10000,100000] [--shapes sites,unique] [--json OUT.json]

See bench/README.md.  In short: for each issue shape and each scale, start bench/filled_server.py
pinned to one core (taskset -c 0); it stores that many events made from real sentry-sdk payloads
straight into the store, then serves HTTP.  From the other core, time a few hundred keep-alive
requests to each list endpoint and report the median and p95 latency per scale, the ratio of the
largest scale to the smallest (the target: within 2x, answered from indexes rather than by
scanning) and the server's peak RSS.  With --profile DIR, py-spy samples the server while it
answers the endpoints that miss the target at the largest scale, and the script prints where the
time goes.

This is a script that prints measurements; it asserts nothing about speed.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from list_endpoints import (ENDPOINTS, TARGET_RATIO, markdown_table, ratio_to_smallest,
                            scale_label, verdicts)
from list_payloads import make_templates
from processes import (HOST, FilledChildServer, add_profile_options, add_read_options,
                       free_port, pinned, unpinned)
from pyspy_profile import print_profile, profile

HERE = Path(__file__).resolve().parent
SERVER = HERE / "filled_server.py"
HEADERS = {"Authorization": "Bearer x"}
SHAPES = {
    "sites": "exception events over {sites} call sites (Zipf-like), messages over 10 texts",
    "unique": "every exception and message event its own issue",
}


# --------------------------------------------------------------------------------------------
# The server

class FilledServer(FilledChildServer):
    """
    bench/filled_server.py in a child process: filled with events, then serving on a port.
    """

    def __init__(self, args: argparse.Namespace, shape: str, scale: int, templates: Path,
                 workdir: Path) -> None:
        port, info_path = free_port(), workdir / f"{shape}-{scale}.info.json"
        super().__init__(pinned(args.server_cpu, [
            sys.executable, str(SERVER), str(port), str(templates), str(info_path),
            "--events", str(scale), "--shape", shape, "--sites", str(args.sites),
            "--messages", str(args.messages), "--transactions", str(args.transactions),
            "--history-hours", str(args.history_hours),
        ]), workdir / f"{shape}-{scale}.log", port, info_path)


# --------------------------------------------------------------------------------------------
# The client: one keep-alive connection

class Client:
    """
    GET requests over one kept-alive connection, with the management API's Bearer token.
    """

    def __init__(self, port: int) -> None:
        self.port = port
        self.connection = http.client.HTTPConnection(HOST, port, timeout=600)

    def get(self, path: str) -> tuple[float, int, bytes]:
        """One GET; its time in ms (request sent to body read), status and body."""
        for attempt in (1, 2):
            started = time.perf_counter()
            try:
                self.connection.request("GET", path, headers=HEADERS)
                response = self.connection.getresponse()
                body = response.read()
            except (http.client.RemoteDisconnected, ConnectionError):
                # The server closed the kept-alive connection: reconnect, and time again.
                self.connection.close()
                self.connection = http.client.HTTPConnection(HOST, self.port, timeout=600)
                if attempt == 2:
                    raise
                continue
            return (time.perf_counter() - started) * 1000.0, response.status, body
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.connection.close()


def _items(body: bytes) -> int | None:
    try:
        document = json.loads(body)
    except ValueError:
        return None
    if isinstance(document, list):
        return len(document)
    if isinstance(document, dict) and isinstance(document.get("events"), list):
        return len(document["events"])
    return 1 if isinstance(document, dict) else None


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def cpu_seconds(pid: int) -> float:
    """The CPU time (user + system) a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(client: Client, path: str, args: argparse.Namespace, pid: int) -> dict:
    """
    The first request (cold: nothing cached yet) on its own, C{--warmup} unrecorded ones, then
    up to C{--requests} timed ones within C{--max-seconds} (but at least C{--min-requests}).
    Besides the latency seen by the client, the server's CPU time per timed request: on a
    shared machine, other processes stretch latencies but not the CPU time the server spends.
    """
    first_ms, status, body = client.get(path)
    if status != 200:
        raise RuntimeError(f"GET {path} answered {status}: {body[:300]!r}")
    for _ in range(args.warmup):
        client.get(path)
    times: list[float] = []
    cpu_before = cpu_seconds(pid)
    deadline = time.monotonic() + args.max_seconds
    while len(times) < args.requests and (time.monotonic() < deadline
                                          or len(times) < args.min_requests):
        elapsed, status, _ = client.get(path)
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}")
        times.append(elapsed)
    cpu_ms = (cpu_seconds(pid) - cpu_before) * 1000.0 / len(times)
    return {
        "path": path, "requests": len(times), "first_ms": first_ms, "server_cpu_ms": cpu_ms,
        "median_ms": statistics.median(times), "p95_ms": percentile(times, 0.95),
        "min_ms": min(times), "max_ms": max(times),
        "bytes": len(body), "items": _items(body),
    }


# --------------------------------------------------------------------------------------------
# The benchmark

def bench_scale(args: argparse.Namespace, shape: str, scale: int, templates: Path,
                workdir: Path, results: dict) -> dict:
    server = FilledServer(args, shape, scale, templates, workdir)
    outcome: dict = {"scale": scale, "endpoints": {}, "profiles": {}}
    try:
        server.start(args.fill_timeout)
        info = outcome["info"] = server.info
        biggest = info.get("biggest_issue") or {}
        print(f"  {scale_label(scale)}: {info['events']} events stored "
              f"({info['kinds']['error']} exceptions, {info['kinds']['message']} messages, "
              f"{info['kinds']['transaction']} transactions) in {info['issues']} issues, filled "
              f"in {info['fill_seconds']:.1f} s; biggest issue {biggest.get('id')} with "
              f"{biggest.get('events')} events; RSS after filling "
              f"{info['rss_after_fill_kib'] / 1024:.0f} MiB (server pid {server.pid})",
              flush=True)
        client = Client(server.port)
        results[scale] = outcome
        largest = scale == max(args.scales)
        try:
            for endpoint in ENDPOINTS:
                path = endpoint.path(info, args)
                if path is None:
                    continue
                result = measure(client, path, args, server.pid)
                outcome["endpoints"][endpoint.key] = result
                print(f"    {endpoint.key:<21} median {result['median_ms']:8.2f} ms, "
                      f"p95 {result['p95_ms']:8.2f} ms, first {result['first_ms']:8.2f} ms, "
                      f"server CPU {result['server_cpu_ms']:7.2f} ms/request "
                      f"({result['requests']} requests, {result['items']} items, "
                      f"{result['bytes']} bytes)", flush=True)
                ratio = ratio_to_smallest(results, endpoint, scale)
                misses = endpoint.target and ratio is not None and ratio > TARGET_RATIO
                if args.profile and largest and (args.profile_all or misses):
                    output = Path(args.profile) / f"{shape}-{scale}-{endpoint.key}.txt"
                    summary = profile(lambda: client.get(path), server.pid, output,
                                      args.profile_seconds, args.profile_rate,
                                      args.profile_top, args.py_spy, args.client_cpu)
                    outcome["profiles"][endpoint.key] = summary
                    print_profile(endpoint.key, summary)
        finally:
            client.close()
        outcome["peak_rss_kib"] = server.peak_rss_kib()
        print(f"    peak RSS (VmHWM) {outcome['peak_rss_kib'] / 1024:.0f} MiB", flush=True)
        if server.process.poll() is not None:
            raise RuntimeError(f"the server exited with {server.process.returncode} during the "
                               f"benchmark:\n" + server.log_tail())
    finally:
        server.stop()
    return outcome


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--scales", default="100,10000,100000",
                        help="stored events per server, comma-separated "
                             "(default: 100,10000,100000)")
    parser.add_argument("--shapes", default="sites,unique",
                        help="issue shapes, comma-separated: sites, unique (default: both)")
    parser.add_argument("--sites", type=int, default=50,
                        help="call sites the exception events come from, shape sites (default: 50)")
    parser.add_argument("--messages", type=float, default=0.1,
                        help="share of message events (default: 0.1)")
    parser.add_argument("--transactions", type=float, default=0.1,
                        help="share of transactions (default: 0.1)")
    parser.add_argument("--history-hours", type=float, default=24.0,
                        help="receive times are spread over this many past hours (default: 24)")
    add_read_options(parser, "endpoint", requests=300, min_requests=10, max_seconds=30.0,
                     warmup=3, fill_timeout=1800.0)
    parser.add_argument("--deep-offset", type=int, default=5000,
                        help="cursor offset of the deep event page (default: 5000)")
    parser.add_argument("--inspection-max", type=int, default=10_000,
                        help="time /__parlel/events only up to this many events (default: 10000)")
    add_profile_options(parser, "endpoint", "each endpoint that misses the target", 10.0)
    parser.add_argument("--profile-all", action="store_true",
                        help="with --profile, sample every endpoint, not only those that miss")
    parser.add_argument("--profile-rate", type=int, default=250,
                        help="py-spy samples per second (default: 250)")
    parser.add_argument("--profile-top", type=int, default=15,
                        help="functions listed per sampled endpoint (default: 15)")
    parser.add_argument("--keep-logs", action="store_true",
                        help="keep the servers' logs and the payload templates")
    args = parser.parse_args(argv)
    try:
        args.scales = sorted({int(s) for s in args.scales.split(",") if s.strip()})
    except ValueError:
        parser.error("--scales: comma-separated whole numbers")
    if not args.scales or min(args.scales) < 1:
        parser.error("--scales: at least one, each at least 1")
    args.shapes = [s.strip() for s in args.shapes.split(",") if s.strip()]
    if not args.shapes or set(args.shapes) - set(SHAPES):
        parser.error(f"--shapes: a comma-separated list of {', '.join(SHAPES)}")
    shares = (args.messages, args.transactions)
    if min(shares) < 0 or sum(shares) >= 1:
        parser.error("--messages and --transactions: shares that leave room for exceptions")
    if args.requests < 1 or args.min_requests < 1 or args.warmup < 0:
        parser.error("--requests and --min-requests at least 1, --warmup at least 0")
    unpinned(args)
    return args


def check_tools(args: argparse.Namespace) -> None:
    if (args.server_cpu or args.client_cpu) and not shutil.which("taskset"):
        raise SystemExit("taskset not found (util-linux); install it or pass "
                         "--server-cpu none --client-cpu none")
    if args.profile and not (os.path.isfile(args.py_spy) and os.access(args.py_spy, os.X_OK)):
        raise SystemExit(f"py-spy not found ({args.py_spy}): pip install py-spy, or pass "
                         "--py-spy PATH")
    missing = [name for name in ("sentry_fake", "sentry_sdk") if find_spec(name) is None]
    if missing:
        raise SystemExit(f"{' and '.join(missing)} not importable: run this with the Python of "
                         "the virtualenv sentry-fake and sentry-sdk are installed in")
    if (os.cpu_count() or 1) < 2 and args.server_cpu and args.client_cpu:
        print("warning: fewer than 2 CPUs; the server and the client will share one",
              file=sys.stderr)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    check_tools(args)
    if args.client_cpu is not None:
        os.sched_setaffinity(0, {int(cpu) for cpu in args.client_cpu.split(",")})
    if args.profile:
        Path(args.profile).mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="sentry-fake-lists-"))
    load_before = os.getloadavg()
    by_shape: dict[str, dict] = {}
    try:
        templates, sizes = make_templates(workdir)
        print(f"payloads from sentry-sdk: exception {sizes['error']} bytes, message "
              f"{sizes['message']} bytes, transaction {sizes['transaction']} bytes; "
              f"{args.messages:.0%} messages, {args.transactions:.0%} transactions; server on "
              f"CPU {args.server_cpu}, client on CPU {args.client_cpu}", flush=True)
        for shape in args.shapes:
            print(f"shape {shape}: {SHAPES[shape].format(sites=args.sites)}", flush=True)
            results: dict[int, dict] = {}
            for scale in args.scales:
                bench_scale(args, shape, scale, templates, workdir, results)
            by_shape[shape] = results
    finally:
        if not args.keep_logs:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"logs and templates kept in {workdir}")

    load_after = os.getloadavg()
    print(f"\nload average before {load_before[0]:.2f}, after {load_after[0]:.2f} (1 min; "
          f"other processes on the machine stretch latencies, not the server's CPU time)")
    document: dict[str, Any] = {"payload_bytes": sizes, "scales": args.scales, "shapes": {},
                                "load_average": {"before": load_before, "after": load_after}}
    for shape, results in by_shape.items():
        print()
        print(f"### {shape}: {SHAPES[shape].format(sites=args.sites)}")
        print()
        table = markdown_table(results, args)
        cpu_table = markdown_table(results, args, cpu=True)
        print(table)
        print()
        print(cpu_table)
        if "†" in table:
            print()
            print("† the deep page over the first page at the smallest scale (where there is no "
                  "deep page)")
        print()
        found = verdicts(results)
        for key, verdict, why in found:
            print(f"- {key}: {verdict} \"within {TARGET_RATIO:g}x\" ({why})")
        print("- peak RSS (VmHWM): " + ", ".join(
            f"{results[s]['peak_rss_kib'] / 1024:.0f} MiB at {scale_label(s)}"
            for s in sorted(results) if results[s].get("peak_rss_kib")))
        document["shapes"][shape] = {"results": results, "table": table, "cpu_table": cpu_table,
                                     "verdicts": [{"endpoint": k, "verdict": v, "why": w}
                                                  for k, v, w in found]}
    if args.json:
        Path(args.json).write_text(json.dumps(document, indent=2, default=str) + "\n")
        print(f"\nresults written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
