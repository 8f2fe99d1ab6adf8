"""
Ingest throughput benchmark: sentry-fake against a raw twisted.web resource, in the same run.

    python bench/ingest.py [--connections 1,16,64] [--duration 10] [--runs 3] [--json OUT.json]

See bench/README.md.  In short: build a real envelope with sentry-sdk (an exception, or with
--body transaction a transaction with 15 child spans), start each server pinned to one core
(taskset -c 0), load it with wrk pinned to the other core (taskset -c 1), which POSTs the envelope
to /api/1/envelope/ with a fresh event_id (and for a transaction, fresh trace and span ids) each
time, and report events/s, p99 latency, peak RSS and startup time.  Afterwards, check that
sentry-fake stored every event it answered 2xx for.

This is a script that prints measurements; it asserts nothing about speed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from processes import HOST, ChildServer, free_port, pinned, read_status_kib

HERE = Path(__file__).resolve().parent
LUA_SCRIPT = HERE / "post_envelope.lua"
RAW_SERVER = HERE / "raw_twisted.py"
UNTRACED_SERVER = HERE / "untraced_server.py"
INGEST_PATH = "/api/1/envelope/"
AUTH = "Sentry sentry_key=parlel, sentry_version=7, sentry_client=sentry.python/2.75.0"
HEX32 = re.compile(r"^[0-9a-f]{32}$")

RAW = "raw"
OURS = "sentry-fake"
OURS_ON_DISK = "sentry-fake-data-dir"
#: sentry-fake without its trace book (bench/untraced_server.py): not a product, the floor a
#: transaction's ingest would reach if its spans cost nothing.  Measured only when asked for.
OURS_UNTRACED = "sentry-fake-untraced"
#: The sentry-fake servers (each checked to have stored every acknowledged event).
FAKES = (OURS, OURS_ON_DISK, OURS_UNTRACED)
#: What is measured unless --servers says otherwise.
DEFAULT_SERVERS = (RAW, OURS, OURS_ON_DISK)
LABELS = {
    RAW: "a raw `twisted.web` resource that only answers 200 `{\"id\"}` (the ceiling)",
    OURS: "sentry-fake (full ingest)",
    OURS_ON_DISK: "sentry-fake --data-dir (every event committed to SQLite before the answer)",
    OURS_UNTRACED: "sentry-fake without its trace book (spans left unread: a floor, not a product)",
}


# --------------------------------------------------------------------------------------------
# The envelope, as sentry-sdk sends it.  Built in a child process (--write-envelope) so the
# SDK's integrations (which patch http.client, threading, excepthook...) stay out of this one.

class _Checkout:
    """A small piece of application code for a realistic stack trace with local variables."""

    def __init__(self, customer: str, currency: str = "EUR") -> None:
        self.customer = customer
        self.currency = currency
        self.lines: list[dict] = []

    def add(self, sku: str, quantity: str, unit_price: str) -> None:
        self.lines.append({"sku": sku, "quantity": quantity, "unit_price": unit_price})

    def total(self) -> float:
        amount = 0.0
        for line in self.lines:
            amount += self._line_total(line)
        return amount

    def _line_total(self, line: dict) -> float:
        quantity = _parse_quantity(line["quantity"], sku=line["sku"])
        return quantity * float(line["unit_price"])


def _parse_quantity(raw: str, sku: str) -> int:
    cleaned = raw.strip()
    return int(cleaned)


def _handle_checkout(payload: dict) -> float:
    checkout = _Checkout(payload["customer"], payload.get("currency", "EUR"))
    for line in payload["lines"]:
        checkout.add(line["sku"], line["quantity"], line["unit_price"])
    return checkout.total()


def _checkout_failure(sdk) -> None:
    try:
        _handle_checkout({
            "customer": "cus_8812", "currency": "EUR",
            "lines": [{"sku": "A-100", "quantity": "2", "unit_price": "9.90"},
                      {"sku": "B-200", "quantity": "two", "unit_price": "4.50"}],
        })
    except ValueError as error:
        sdk.capture_exception(error)


def _checkout_transaction(sdk) -> None:
    """
    A checkout request as a transaction: 15 child spans (function, db, cache and http.client),
    nested as an instrumented web application's are.
    """
    with sdk.start_transaction(op="http.server", name="/checkout/", source="route") as request:
        request.set_data("http.request.method", "POST")
        request.set_tag("checkout.flow", "express")
        with sdk.start_span(op="middleware.django", name="shop.middleware.SessionMiddleware"):
            with sdk.start_span(op="db", name="SELECT id, user_id FROM sessions WHERE key = %s") \
                    as span:
                span.set_data("db.system", "postgresql")
        with sdk.start_span(op="function", name="shop.checkout.handle_checkout"):
            with sdk.start_span(op="db", name="SELECT * FROM carts WHERE id = %s") as span:
                span.set_data("db.system", "postgresql")
            for sku in ("A-100", "B-200", "C-300"):
                with sdk.start_span(op="db", name="SELECT price, stock FROM products WHERE sku = "
                                                  "%s") as span:
                    span.set_data("db.system", "postgresql")
                    span.set_data("shop.sku", sku)
            with sdk.start_span(op="cache.get", name="pricing:EUR:cus_8812") as span:
                span.set_data("cache.hit", False)
            with sdk.start_span(op="function", name="shop.pricing.quote"):
                with sdk.start_span(op="http.client",
                                    name="GET https://pricing.example/v1/quote") as span:
                    span.set_data("http.request.method", "GET")
                    span.set_data("http.response.status_code", 200)
            with sdk.start_span(op="http.client",
                                name="POST https://pay.example/v1/charges") as span:
                span.set_data("http.request.method", "POST")
                span.set_data("http.response.status_code", 201)
            with sdk.start_span(op="db", name="INSERT INTO orders (cart_id, total) VALUES "
                                              "(%s, %s)") as span:
                span.set_data("db.system", "postgresql")
            with sdk.start_span(op="db", name="UPDATE carts SET state = %s WHERE id = %s") \
                    as span:
                span.set_data("db.system", "postgresql")
        with sdk.start_span(op="template.render", name="checkout/done.html"):
            with sdk.start_span(op="function", name="shop.templates.order_summary"):
                pass


#: The bodies --body chooses between.
BODIES = ("error", "transaction")


def write_envelope(path: str, kind: str = "error") -> None:
    import sentry_sdk
    from sentry_sdk.transport import Transport

    captured = []

    class CapturingTransport(Transport):
        def capture_envelope(self, envelope):  # what HttpTransport would compress and POST
            captured.append(envelope)

        def flush(self, timeout, callback=None):
            pass

    sentry_sdk.init(
        dsn=f"http://parlel@{HOST}:9/1", transport=CapturingTransport,
        release="shop@2.4.1", environment="benchmark", server_name="bench-host",
        traces_sample_rate=1.0 if kind == "transaction" else None,
    )
    sentry_sdk.set_user({"id": "42", "email": "jane@example.com"})
    sentry_sdk.set_tag("checkout.flow", "express")
    sentry_sdk.add_breadcrumb(category="cart", message="added 2 lines to the cart", level="info")
    if kind == "transaction":
        _checkout_transaction(sentry_sdk)
    else:
        _checkout_failure(sentry_sdk)
    sentry_sdk.flush()
    wanted = "transaction" if kind == "transaction" else "event"
    envelopes = [e for e in captured if any(item.type == wanted for item in e.items)]
    if not envelopes:
        raise SystemExit(f"sentry-sdk produced no {wanted} envelope")
    Path(path).write_bytes(envelopes[0].serialize())


HEX16 = re.compile(r"^[0-9a-f]{16}$")


def make_body(workdir: Path, kind: str = "error") -> tuple[Path, bytes, list[str]]:
    """
    Build the envelope in a child process; return its path, bytes and the ids wrk replaces on
    every request: the event id first (checked to be the same 32 hex in the envelope header
    and in the payload), then for a transaction its trace id and its span ids.
    """
    path = workdir / "envelope.bin"
    subprocess.run([sys.executable, str(Path(__file__).resolve()), "--write-envelope", str(path),
                    "--body", kind], check=True, timeout=120)
    body = path.read_bytes()
    lines = body.split(b"\n")
    header = json.loads(lines[0])
    item_header = json.loads(lines[1])
    payload = json.loads(lines[2])
    event_id = header.get("event_id", "")
    item_type = "transaction" if kind == "transaction" else "event"
    if item_header.get("type") != item_type or not HEX32.match(event_id) \
            or payload.get("event_id") != event_id:
        raise SystemExit(f"unexpected envelope from sentry-sdk: {body[:300]!r}")
    if body.count(event_id.encode()) < 2:
        raise SystemExit("the event id is not in both the envelope header and the payload")
    templates = [event_id]
    if kind == "transaction":
        trace = payload["contexts"]["trace"]
        templates.append(trace["trace_id"])
        templates += [trace["span_id"]] + [span["span_id"] for span in payload["spans"]]
        if not (HEX32.match(templates[1]) and all(HEX16.match(t) for t in templates[2:])):
            raise SystemExit(f"unexpected trace or span ids from sentry-sdk: {templates}")
        check_substitution(body, templates, len(payload["spans"]))
    return path, body, templates


def substitute(body: bytes, templates: list[str], ids: list[str]) -> bytes:
    """What bench/post_envelope.lua sends: every template id replaced by its new id."""
    pattern = re.compile("|".join(re.escape(t) for t in templates).encode())
    new = dict(zip((t.encode() for t in templates), (i.encode() for i in ids)))
    return pattern.sub(lambda match: new[match.group(0)], body)


def check_substitution(body: bytes, templates: list[str], children: int) -> None:
    """
    The ids the wrk script replaces are found where they belong and nowhere else: after
    replacing them as it does, the transaction holds the new ids, and its spans still hang
    together (every child's parent is a span of the transaction).
    """
    fresh = [secrets.token_hex(16), secrets.token_hex(16)] + [
        secrets.token_hex(8) for _ in templates[2:]]
    lines = substitute(body, templates, fresh).split(b"\n")
    header, payload = json.loads(lines[0]), json.loads(lines[2])
    trace = payload["contexts"]["trace"]
    spans = payload["spans"]
    ids = {trace["span_id"]} | {span["span_id"] for span in spans}
    if header["event_id"] != fresh[0] or payload["event_id"] != fresh[0] \
            or header["trace"]["trace_id"] != fresh[1] or trace["trace_id"] != fresh[1] \
            or len(spans) != children or ids != set(fresh[2:]) \
            or any(span["trace_id"] != fresh[1] or span["parent_span_id"] not in ids
                   for span in spans):
        raise SystemExit("the transaction's ids cannot be replaced cleanly in its envelope")


# --------------------------------------------------------------------------------------------
# Processes and HTTP helpers

def http(method: str, port: int, path: str, body: bytes | None = None,
         headers: dict | None = None, timeout: float = 10.0) -> tuple[int, bytes]:
    request = urllib.request.Request(f"http://{HOST}:{port}{path}", data=body, method=method,
                                     headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


class Server(ChildServer):
    def __init__(self, name: str, argv: list[str], port: int, log_path: Path) -> None:
        super().__init__(argv, log_path)
        self.name, self.port = name, port
        self.startup_s: float | None = None
        self.rss_after_start_kib: int | None = None

    def start(self, timeout: float = 30.0) -> None:
        started = time.perf_counter()
        process = self.spawn(cwd=str(self.log_path.parent))
        deadline = started + timeout
        while time.perf_counter() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {process.returncode} on start:\n"
                                   + self.log_tail())
            try:
                status, _ = http("GET", self.port, "/health", timeout=1.0)
                if status == 200:
                    self.startup_s = time.perf_counter() - started
                    self.rss_after_start_kib = read_status_kib(process.pid, "VmRSS")
                    return
            except OSError:
                pass
            time.sleep(0.005)
        raise RuntimeError(f"{self.name} did not answer /health within {timeout} s:\n"
                           + self.log_tail())

    def stop(self) -> None:
        super().stop(timeout=10)


def stored_count(port: int) -> int:
    """Events stored by sentry-fake so far, evicted ones included (GET / metadata)."""
    status, body = http("GET", port, "/", timeout=30.0)
    if status != 200:
        raise RuntimeError(f"GET / answered {status}: {body[:300]!r}")
    meta = json.loads(body)
    return int(meta["events"]) + int(meta.get("evicted") or 0)


def settled_count(port: int, limit_s: float = 10.0) -> int:
    """The stored count once it stops moving (the server may still be draining requests)."""
    deadline = time.monotonic() + limit_s
    previous = stored_count(port)
    while time.monotonic() < deadline:
        time.sleep(0.2)
        current = stored_count(port)
        if current == previous:
            return current
        previous = current
    return previous


# --------------------------------------------------------------------------------------------
# wrk

def run_wrk(args, port: int, connections: int, duration: float, body_path: Path,
            templates: list[str]) -> dict:
    threads = max(1, min(args.wrk_threads, connections))
    argv = pinned(args.wrk_cpu, [
        args.wrk, "-t", str(threads), "-c", str(connections), "-d", f"{duration:g}s",
        "--timeout", f"{args.timeout:g}s", "--latency", "-s", str(LUA_SCRIPT),
        f"http://{HOST}:{port}{INGEST_PATH}", "--", str(body_path), templates[0],
        secrets.token_hex(8), *templates[1:],
    ])
    done = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 60)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    result = None
    for line in done.stdout.splitlines():
        if line.startswith("WRK_RESULT "):
            result = json.loads(line[len("WRK_RESULT "):])
    if result is None:
        raise RuntimeError(f"no WRK_RESULT line in wrk's output:\n{done.stdout}\n{done.stderr}")
    statuses = {int(code): count for code, count in result["statuses"].items()}
    ok = sum(count for code, count in statuses.items() if 200 <= code < 300)
    errors = result["errors"]
    seconds = result["duration_us"] / 1e6
    # wrk's own summary line, as a cross-check of the status histogram
    match = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", done.stdout)
    return {
        "connections": connections, "threads": threads, "seconds": seconds,
        "requests": result["requests"], "ok_2xx": ok, "statuses": statuses,
        "non_2xx_or_3xx_wrk": int(match.group(1)) if match else 0,
        "socket_errors": {k: errors[k] for k in ("connect", "read", "write", "timeout")},
        "events_per_s": ok / seconds if seconds else 0.0,
        "requests_per_s": result["requests"] / seconds if seconds else 0.0,
        "latency_ms": {k: v / 1000.0 for k, v in result["latency_us"].items()},
    }


# --------------------------------------------------------------------------------------------
# The benchmark

def bench_server(args, name: str, workdir: Path, body_path: Path, body: bytes,
                 templates: list[str]) -> dict:
    event_id = templates[0]
    port = free_port()
    if name == RAW:
        argv = [sys.executable, str(RAW_SERVER), str(port)]
    else:
        twistd = [sys.executable, str(UNTRACED_SERVER)] if name == OURS_UNTRACED else \
            [str(Path(sys.executable).parent / "twistd")]
        argv = twistd + ["-n", "--pidfile=", "sentry-fake",
                         "--listen", f"tcp:{port}:interface={HOST}",
                         "--max-events", str(args.max_events)]
        if name == OURS_ON_DISK:
            argv += ["--data-dir", str(workdir / "data")]
    server = Server(name, pinned(args.server_cpu, argv), port, workdir / f"{name}.log")
    outcome: dict = {"server": name, "label": LABELS[name], "port": port, "runs": [],
                     "log": str(server.log_path)}
    try:
        server.start()
        outcome["startup_s"] = server.startup_s
        print(f"  {name}: healthy after {server.startup_s:.3f} s (pid {server.process.pid})",
              flush=True)

        # One request by hand: the body must be accepted before we measure anything.
        headers = {"Content-Type": "application/x-sentry-envelope", "X-Sentry-Auth": AUTH}
        status, answer = http("POST", port, INGEST_PATH, body, headers)
        if status != 200:
            raise RuntimeError(f"{name} answered {status} to the envelope: {answer[:500]!r}\n"
                               + server.log_tail())
        if name in FAKES:
            if json.loads(answer).get("id") != event_id:
                raise RuntimeError(f"{name} answered {answer[:200]!r}, expected id {event_id}")
            status, _ = http("GET", port, f"/__parlel/events/{event_id}")
            if status != 200:
                raise RuntimeError(f"the hand-sent event was not stored ({status})")
            if len(templates) > 1 and name != OURS_UNTRACED:  # its spans are in its trace
                status, answer = http("GET", port, "/api/0/organizations/parlel/trace-meta/"
                                      f"{templates[1]}/", headers={"Authorization": "Bearer x"})
                spans = json.loads(answer).get("spansCount") if status == 200 else None
                if spans != len(templates) - 2:
                    raise RuntimeError(f"the hand-sent transaction's trace has {spans} spans "
                                       f"({status}), not {len(templates) - 2}")

        if args.warmup > 0:
            run_wrk(args, port, max(args.connections), args.warmup, body_path, templates)

        for connections in args.connections:
            for run in range(args.runs):
                before = settled_count(port) if name in FAKES else None
                result = run_wrk(args, port, connections, args.duration, body_path, templates)
                result["run"] = run + 1
                if name in FAKES:
                    stored = settled_count(port) - before
                    result["stored"] = stored
                    # wrk stops mid-flight: up to one unanswered request per connection may be
                    # stored without wrk having seen its answer.
                    result["every_ack_stored"] = stored >= result["ok_2xx"]
                    result["stored_unacknowledged"] = stored - result["ok_2xx"]
                outcome["runs"].append(result)
                errors = sum(result["socket_errors"].values())
                line = (f"  {name} c={connections:<3} run {run + 1}: "
                        f"{result['events_per_s']:8.0f} events/s, "
                        f"p99 {result['latency_ms']['p99']:.1f} ms, "
                        f"{result['ok_2xx']} x 2xx of {result['requests']}")
                if set(result["statuses"]) - set(range(200, 300)):
                    line += f", statuses {result['statuses']}"
                if errors:
                    line += f", socket errors {result['socket_errors']}"
                if name in FAKES:
                    line += f", stored {result['stored']}"
                    if not result["every_ack_stored"]:
                        line += f"  <-- {-result['stored_unacknowledged']} acknowledged events missing"
                    elif result["stored_unacknowledged"] > connections:
                        line += "  <-- more stored than answered + in flight: duplicates?"
                print(line, flush=True)

        outcome["peak_rss_kib"] = server.peak_rss_kib()
        outcome["rss_after_start_kib"] = server.rss_after_start_kib
        if name in FAKES:
            outcome["events_stored_total"] = stored_count(port)
        if server.process.poll() is not None:
            raise RuntimeError(f"{name} exited with {server.process.returncode} during the "
                               f"benchmark:\n" + server.log_tail())
    finally:
        server.stop()
    return outcome


def summarize(outcome: dict, connections: list[int]) -> dict:
    per_connections = {}
    for count in connections:
        runs = [r for r in outcome["runs"] if r["connections"] == count]
        if not runs:
            continue
        per_connections[count] = {
            "events_per_s": statistics.median(r["events_per_s"] for r in runs),
            "p99_ms": statistics.median(r["latency_ms"]["p99"] for r in runs),
            "p50_ms": statistics.median(r["latency_ms"]["p50"] for r in runs),
        }
    runs = outcome["runs"]
    statuses: dict[int, int] = {}
    for r in runs:
        for code, count in r["statuses"].items():
            statuses[code] = statuses.get(code, 0) + count
    summary = {
        "median": per_connections,
        "requests": sum(r["requests"] for r in runs),
        "ok_2xx": sum(r["ok_2xx"] for r in runs),
        "statuses": statuses,
        "socket_errors": {k: sum(r["socket_errors"][k] for r in runs)
                          for k in ("connect", "read", "write", "timeout")},
    }
    if outcome["server"] in FAKES:
        summary["stored"] = sum(r["stored"] for r in runs)
        summary["every_ack_stored"] = all(r["every_ack_stored"] for r in runs)
    return summary


def markdown_table(outcomes: list[dict], connections: list[int], reference: int) -> str:
    raw = next((o for o in outcomes if o["server"] == RAW), None)
    raw_ref = raw["summary"]["median"].get(reference, {}).get("events_per_s") if raw else None
    counts = " / ".join(str(c) for c in connections)
    lines = [
        f"| server | events/s at {counts} connections | × raw Twisted ({reference}) "
        f"| p99 ms ({reference}) | peak RSS MiB | startup s |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for o in outcomes:
        median = o["summary"]["median"]
        rates = " / ".join(f"{median[c]['events_per_s']:.0f}" if c in median else "-"
                           for c in connections)
        ref = median.get(reference)
        ratio = f"{ref['events_per_s'] / raw_ref:.2f}" if ref and raw_ref else "-"
        p99 = f"{ref['p99_ms']:.1f}" if ref else "-"
        rss = f"{o['peak_rss_kib'] / 1024:.0f}" if o.get("peak_rss_kib") else "-"
        startup = f"{o['startup_s']:.2f}" if o.get("startup_s") is not None else "-"
        lines.append(f"| {o['label']} | {rates} | {ratio} | {p99} | {rss} | {startup} |")
    return "\n".join(lines)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--connections", default="1,16,64",
                        help="comma-separated wrk connection counts (default: 1,16,64)")
    parser.add_argument("--duration", type=float, default=10.0,
                        help="seconds per wrk run (default: 10)")
    parser.add_argument("--runs", type=int, default=3,
                        help="runs per connection count; the median is reported (default: 3)")
    parser.add_argument("--warmup", type=float, default=1.0,
                        help="seconds of unrecorded load before measuring each server "
                             "(default: 1; 0 to skip)")
    parser.add_argument("--servers", default=",".join(DEFAULT_SERVERS),
                        help="which servers to measure, in order (default: "
                             f"{','.join(DEFAULT_SERVERS)}; also {OURS_UNTRACED})")
    parser.add_argument("--reference", type=int, default=16,
                        help="connection count for the ratio and p99 columns (default: 16, "
                             "or the largest measured if 16 is not)")
    parser.add_argument("--json", help="also write the results as JSON to this path")
    parser.add_argument("--server-cpu", default="0",
                        help="CPU list the servers are pinned to (default: 0; 'none' to not pin)")
    parser.add_argument("--wrk-cpu", default="1",
                        help="CPU list wrk is pinned to (default: 1; 'none' to not pin)")
    parser.add_argument("--wrk-threads", type=int, default=1,
                        help="wrk threads, at most one per connection (default: 1)")
    parser.add_argument("--timeout", type=float, default=5.0,
                        help="wrk's request timeout in seconds (default: 5)")
    parser.add_argument("--max-events", type=int, default=10_000_000,
                        help="sentry-fake's --max-events (default: 10000000)")
    parser.add_argument("--keep-logs", action="store_true",
                        help="keep the servers' logs and the envelope in a temporary directory")
    parser.add_argument("--wrk", default=shutil.which("wrk") or "/usr/bin/wrk",
                        help="the wrk binary (default: wrk on PATH)")
    parser.add_argument("--body", choices=BODIES, default="error",
                        help="the envelope: error (an SDK exception event, the default) or "
                             "transaction (an SDK transaction with 15 child spans)")
    parser.add_argument("--write-envelope", metavar="PATH", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        args.connections = [int(c) for c in args.connections.split(",") if c.strip()]
    except ValueError:
        parser.error("--connections: comma-separated whole numbers")
    if not args.connections or min(args.connections) < 1 or max(args.connections) > 10_000:
        parser.error("--connections: between 1 and 10000 each")
    if not 0 < args.duration <= 3600 or not 1 <= args.runs <= 100 or not 0 <= args.warmup <= 600:
        parser.error("--duration in (0, 3600], --runs in [1, 100], --warmup in [0, 600]")
    args.servers = [s.strip() for s in args.servers.split(",") if s.strip()]
    if not args.servers or set(args.servers) - {RAW, *FAKES}:
        parser.error(f"--servers: a comma-separated list of {', '.join((RAW,) + FAKES)}")
    if args.reference not in args.connections:
        args.reference = max(args.connections)
    args.server_cpu = None if args.server_cpu == "none" else args.server_cpu
    args.wrk_cpu = None if args.wrk_cpu == "none" else args.wrk_cpu
    return args


def check_tools(args) -> None:
    if not (os.path.isfile(args.wrk) and os.access(args.wrk, os.X_OK)):
        raise SystemExit(f"wrk not found ({args.wrk}). Install it: apt-get install wrk "
                         "(or brew install wrk), or pass --wrk PATH.")
    if (args.server_cpu or args.wrk_cpu) and not shutil.which("taskset"):
        raise SystemExit("taskset not found (util-linux); install it or pass "
                         "--server-cpu none --wrk-cpu none")
    if set(FAKES) & set(args.servers) and not (Path(sys.executable).parent / "twistd").exists():
        raise SystemExit(f"no twistd next to {sys.executable}; run this with the Python of the "
                         "virtualenv sentry-fake is installed in")
    if (os.cpu_count() or 1) < 2 and args.server_cpu and args.wrk_cpu:
        print("warning: fewer than 2 CPUs; the server and wrk will share one", file=sys.stderr)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if args.write_envelope:
        write_envelope(args.write_envelope, args.body)
        return 0
    check_tools(args)
    workdir = Path(tempfile.mkdtemp(prefix="sentry-fake-bench-"))
    outcomes: list[dict] = []
    try:
        body_path, body, templates = make_body(workdir, args.body)
        print(f"envelope: {len(body)} bytes from sentry-sdk ({args.body}), event_id "
              f"{templates[0]}"
              + (f", trace_id {templates[1]}, {len(templates) - 2} spans"
                 if len(templates) > 1 else "")
              + " (replaced per request)", flush=True)
        print(f"{len(args.connections)} connection counts x {args.runs} runs x "
              f"{args.duration:g} s per server; servers on CPU {args.server_cpu}, "
              f"wrk on CPU {args.wrk_cpu}", flush=True)
        for name in args.servers:
            print(f"{name}:", flush=True)
            outcome = bench_server(args, name, workdir, body_path, body, templates)
            outcome["summary"] = summarize(outcome, args.connections)
            outcomes.append(outcome)
    finally:
        if not args.keep_logs:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"logs and envelope kept in {workdir}")

    print()
    print(markdown_table(outcomes, args.connections, args.reference))
    print()
    verdict = True
    for o in outcomes:
        s = o["summary"]
        others = {code: n for code, n in s["statuses"].items() if not 200 <= code < 300}
        errors = {k: v for k, v in s["socket_errors"].items() if v}
        print(f"{o['server']}: {s['requests']} answers, {s['ok_2xx']} x 2xx"
              + (f", other statuses {others}" if others else "")
              + (f", socket errors {errors}" if errors else ""))
        if o["server"] in FAKES:
            ok = s["every_ack_stored"]
            verdict = verdict and ok
            extra = s["stored"] - s["ok_2xx"]
            print(f"{'PASS' if ok else 'FAIL'}: every acknowledged event stored "
                  f"({s['ok_2xx']} answered 2xx, {s['stored']} stored"
                  + (f", {extra} more stored than wrk saw answered: in flight when wrk stopped"
                     if extra > 0 else "")
                  + ")")
            if o.get("peak_rss_kib") and o.get("rss_after_start_kib") and o["events_stored_total"]:
                per_event = ((o["peak_rss_kib"] - o["rss_after_start_kib"]) * 1024
                             / o["events_stored_total"])
                print(f"  memory: {o['events_stored_total']} events stored, peak RSS "
                      f"{o['peak_rss_kib'] / 1024:.0f} MiB, about {per_event:.0f} bytes per "
                      f"stored event above the {o['rss_after_start_kib'] / 1024:.0f} MiB at "
                      f"startup (the envelope is {len(body)} bytes)")
    if args.json:
        document = {
            "body": args.body, "envelope_bytes": len(body), "connections": args.connections,
            "duration_s": args.duration, "runs": args.runs, "reference": args.reference,
            "server_cpu": args.server_cpu, "wrk_cpu": args.wrk_cpu,
            "servers": outcomes, "table": markdown_table(outcomes, args.connections,
                                                         args.reference),
            "every_ack_stored": verdict if set(FAKES) & set(args.servers) else None,
        }
        Path(args.json).write_text(json.dumps(document, indent=2, default=str) + "\n")
        print(f"results written to {args.json}")
    return 0 if verdict else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
