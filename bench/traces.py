"""
Trace reads at scale: the spans and logs datasets of the events query, a trace and its meta,
with 100 and with 100 000 stored spans.

    python bench/traces.py [--scales 100,100000] [--requests 200] [--json OUT.json]

See bench/README.md.  In short: capture a transaction with 9 child spans and a batch of logs
with the real sentry-sdk (in a child process), then for each scale start a server pinned to one
core (taskset -c 0) that stores that many spans straight into the store (transactions of 10
spans, two transactions a trace, six log lines a transaction), then serves HTTP; from the other
core, time keep-alive requests to each read and report the medians per scale and the ratio of
the largest scale to the smallest (the target: within 2x, answered from indexes kept as data
arrives rather than by scanning).

This is a script that prints measurements; it asserts nothing about speed.
"""

from __future__ import annotations

import argparse
import copy
import gc
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

from processes import (HOST, FilledChildServer, add_profile_options, add_read_options,
                       free_port, pinned, unpinned)

HERE = Path(__file__).resolve().parent
TARGET_RATIO = 2.0
SPANS_PER_TRANSACTION = 10
TRANSACTIONS_PER_TRACE = 2
LOGS_PER_TRANSACTION = 6
SEED = 20261201
ORG = "/api/0/organizations/parlel"


# --------------------------------------------------------------------------------------------
# The payloads, as sentry-sdk sends them (in a child process: the SDK's integrations patch
# http.client, threading and logging).

def write_payloads(path: str) -> None:
    """
    Capture a transaction with 9 child spans (5 db, an http.client and 3 function spans) and a
    C{log} item of two entries in it; write them to C{path} as JSON.
    """
    import sentry_sdk
    from sentry_sdk.transport import Transport

    captured = []

    class CapturingTransport(Transport):
        def capture_envelope(self, envelope):  # what HttpTransport would compress and POST
            captured.append(envelope)

        def flush(self, timeout, callback=None):
            pass

    sentry_sdk.init(dsn=f"http://parlel@{HOST}:9/1", transport=CapturingTransport,
                    traces_sample_rate=1.0, enable_logs=True, release="shop@2.4.1",
                    environment="benchmark", server_name="bench-host")
    sentry_sdk.set_user({"id": "42", "email": "jane@example.com"})
    with sentry_sdk.start_transaction(op="http.server", name="/orders/{id}/", source="route"):
        with sentry_sdk.start_span(op="function", name="shop.orders.show"):
            with sentry_sdk.start_span(op="db", name="SELECT * FROM orders WHERE id = %s") as s:
                s.set_data("db.system", "postgresql")
            with sentry_sdk.start_span(op="db", name="SELECT * FROM order_lines WHERE "
                                                     "order_id = %s") as s:
                s.set_data("db.system", "postgresql")
            with sentry_sdk.start_span(op="db", name="SELECT * FROM customers WHERE id = %s") \
                    as s:
                s.set_data("db.system", "postgresql")
            with sentry_sdk.start_span(op="function", name="shop.orders.shipping_status"):
                with sentry_sdk.start_span(op="http.client",
                                           name="GET https://carrier.example/v2/parcels") as s:
                    s.set_data("http.response.status_code", 200)
            with sentry_sdk.start_span(op="db", name="UPDATE orders SET viewed_at = %s WHERE "
                                                     "id = %s") as s:
                s.set_data("db.system", "postgresql")
        with sentry_sdk.start_span(op="function", name="shop.templates.render_order"):
            with sentry_sdk.start_span(op="db", name="SELECT name FROM products WHERE sku IN %s"):
                pass
        sentry_sdk.logger.info("Order {order_id} shown", order_id="ord_5521")
        sentry_sdk.logger.warning("Carrier answered slowly for {order_id}", order_id="ord_5521")
    sentry_sdk.flush()
    found = {}
    for envelope in captured:
        for item in envelope.items:
            if item.type in ("transaction", "log"):
                found.setdefault(item.type, json.loads(item.get_bytes()))
    if set(found) != {"transaction", "log"} or \
            len(found["transaction"]["spans"]) != SPANS_PER_TRANSACTION - 1 or \
            len(found["log"]["items"]) != 2:
        raise SystemExit(f"sentry-sdk produced {sorted(found)}, not a transaction with "
                         f"{SPANS_PER_TRANSACTION - 1} spans and 2 logs")
    Path(path).write_text(json.dumps(found))


def make_payloads(workdir: Path) -> Path:
    path = workdir / "payloads.json"
    subprocess.run([sys.executable, str(Path(__file__).resolve()), "--write-payloads",
                    str(path)], check=True, timeout=120)
    return path


# --------------------------------------------------------------------------------------------
# The server (this script with --serve, in a child process pinned to its core)

def _hex(rng: random.Random, digits: int) -> str:
    return f"{rng.getrandbits(4 * digits):0{digits}x}"


def fill(store, payloads: dict, spans: int, history_hours: float) -> dict:
    """
    Store C{spans} spans: transactions of 10 spans (fresh ids, times spread over the last
    C{history_hours}, span durations drawn at random), two a trace, each with 6 log lines.
    """
    from sentry_fake.ingest.batch import IngestBatch
    from sentry_fake.jsoncodec import dumps

    rng = random.Random(SEED)
    project = store.directory.project_by_id(1)
    transactions = max(1, spans // SPANS_PER_TRANSACTION)
    end = time.time() - 60
    step = history_hours * 3600 / transactions
    trace_id = None
    traces = []
    for number in range(transactions):
        now = end - (transactions - 1 - number) * step
        if number % TRANSACTIONS_PER_TRACE == 0:
            trace_id = _hex(rng, 32)
            traces.append(trace_id)
        doc = copy.deepcopy(payloads["transaction"])
        doc["event_id"] = _hex(rng, 32)
        segment = _hex(rng, 16)
        renamed = {doc["contexts"]["trace"]["span_id"]: segment}
        for span in doc["spans"]:
            renamed[span["span_id"]] = _hex(rng, 16)
        start = now - 0.5
        doc["contexts"]["trace"].update(trace_id=trace_id, span_id=segment)
        doc["start_timestamp"], doc["timestamp"] = start, now
        for span in doc["spans"]:
            span["trace_id"] = trace_id
            span["span_id"] = renamed[span["span_id"]]
            span["parent_span_id"] = renamed.get(span["parent_span_id"], segment)
            begins = start + rng.random() * 0.3
            span["start_timestamp"] = begins
            span["timestamp"] = begins + rng.expovariate(1 / 0.02)
        logs = copy.deepcopy(payloads["log"])
        logs["items"] = [copy.deepcopy(logs["items"][n % len(logs["items"])])
                         for n in range(LOGS_PER_TRANSACTION)]
        for entry in logs["items"]:
            entry.update(trace_id=trace_id, timestamp=now - rng.random() * 0.4)
            entry.pop("span_id", None)
        raw = dumps(doc)
        batch = IngestBatch(store, project.id, None, strict=False, now=now)
        batch.event(doc, raw, "transaction")
        batch.item("log", {"type": "log", "item_count": len(logs["items"]),
                           "content_type": "application/vnd.sentry.items.log+json"},
                   dumps(logs))
        batch.commit()
    # A trace in the middle: as many spans as any other, whatever the scale.
    return {"transactions": transactions, "traces": len(traces),
            "trace_id": traces[len(traces) // 2]}


def serve(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("payloads")
    parser.add_argument("info")
    parser.add_argument("--spans", type=int, required=True)
    parser.add_argument("--history-hours", type=float, default=24.0)
    args = parser.parse_args(argv)

    from twisted.internet import reactor
    from twisted.logger import globalLogBeginner, textFileLogObserver

    from sentry_fake.application import Settings, build_service

    globalLogBeginner.beginLoggingTo([textFileLogObserver(sys.stderr)],
                                     redirectStandardIO=False)
    payloads = json.loads(Path(args.payloads).read_text())
    # As twistd builds it, with room for every span (none is evicted).
    settings = Settings(listen=(f"tcp:{args.port}:interface=127.0.0.1",),
                        max_events=2 * args.spans + 1000, freeze_heap=True)
    service = build_service(reactor, settings)
    store = service.getServiceNamed("store")
    started = time.perf_counter()
    gc.disable()  # filling makes no garbage cycles; the collector would only slow it down
    stored = fill(store, payloads, args.spans, args.history_hours)
    gc.enable()
    gc.collect()
    info = {
        "spans": len(store.traces.all("spans")), "logs": len(store.traces.all("logs")),
        "events": len(store.events()), "fill_seconds": round(time.perf_counter() - started, 2),
        **stored,
    }
    partial = Path(args.info + ".partial")
    partial.write_text(json.dumps(info, indent=2) + "\n")
    partial.rename(args.info)
    service.startService()
    reactor.addSystemEventTrigger("before", "shutdown", service.stopService)
    reactor.run()
    return 0


class TraceServer(FilledChildServer):
    def __init__(self, args: argparse.Namespace, scale: int, payloads: Path,
                 workdir: Path) -> None:
        port, info_path = free_port(), workdir / f"{scale}.info.json"
        super().__init__(pinned(args.server_cpu, [
            sys.executable, str(Path(__file__).resolve()), "--serve", str(port),
            str(payloads), str(info_path), "--spans", str(scale),
        ]), workdir / f"{scale}.log", port, info_path)


# --------------------------------------------------------------------------------------------
# The reads

def _events(**query: str | list[str]) -> str:
    return f"{ORG}/events/?" + urllib.parse.urlencode(query, doseq=True)


SPAN_FIELDS = ["span.op", "span.description", "span.duration"]
#: (key, what it is, path from the trace id)
READS = [
    ("spans db by duration", "spans, `span.op:db` sorted by `-span.duration`, 50 a page",
     lambda trace: _events(dataset="spans", field=SPAN_FIELDS, query="span.op:db",
                           sort="-span.duration", per_page="50")),
    ("spans count by op", "spans, `count()` by `span.op`, sorted by `-count()`",
     lambda trace: _events(dataset="spans", field=["span.op", "count()"], sort="-count()",
                           per_page="50")),
    ("spans of a trace", "spans, `trace:<id>` (newest first)",
     lambda trace: _events(dataset="spans", field=SPAN_FIELDS, query=f"trace:{trace}",
                           per_page="50")),
    ("trace", "`trace/<id>/`", lambda trace: f"{ORG}/trace/{trace}/"),
    ("trace meta", "`trace-meta/<id>/`", lambda trace: f"{ORG}/trace-meta/{trace}/"),
    ("logs page", "logs, newest first, 50 a page",
     lambda trace: _events(dataset="logs", field=["timestamp", "message", "severity", "trace"],
                           sort="-timestamp", per_page="50")),
]


def bench_scale(args: argparse.Namespace, scale: int, payloads: Path, workdir: Path) -> dict:
    from lists import Client, measure
    from pyspy_profile import print_profile, profile

    server = TraceServer(args, scale, payloads, workdir)
    outcome: dict = {"scale": scale, "reads": {}, "profiles": {}}
    try:
        server.start(args.fill_timeout)
        info = outcome["info"] = server.info
        print(f"  {scale} spans asked: {info['spans']} spans, {info['logs']} logs, "
              f"{info['events']} transactions in {info['traces']} traces, filled in "
              f"{info['fill_seconds']:.1f} s (server pid {server.pid}); trace {info['trace_id']}",
              flush=True)
        client = Client(server.port)
        try:
            for key, _, path_of in READS:
                path = path_of(info["trace_id"])
                result = measure(client, path, args, server.pid)
                result["rows"] = _rows(client.get(path)[2])
                outcome["reads"][key] = result
                print(f"    {key:<22} median {result['median_ms']:8.2f} ms, p95 "
                      f"{result['p95_ms']:8.2f} ms, server CPU {result['server_cpu_ms']:7.2f} "
                      f"ms/request ({result['requests']} requests, {result['rows']} rows, "
                      f"{result['bytes']} bytes)", flush=True)
                if args.profile and scale == max(args.scales):
                    output = Path(args.profile) / f"traces-{scale}-{key.replace(' ', '-')}.txt"
                    summary = profile(lambda: client.get(path), server.pid, output,
                                      args.profile_seconds, 250, 15, args.py_spy,
                                      args.client_cpu)
                    outcome["profiles"][key] = summary
                    print_profile(key, summary)
        finally:
            client.close()
        outcome["peak_rss_kib"] = server.peak_rss_kib()
    finally:
        server.stop()
    return outcome


def _rows(body: bytes) -> int | None:
    """How many rows an answer has: an events query's C{data}, a trace's roots."""
    document = json.loads(body)
    if isinstance(document, dict):
        return len(document["data"]) if isinstance(document.get("data"), list) else 1
    return len(document) if isinstance(document, list) else None


def table(results: dict[int, dict]) -> str:
    scales = sorted(results)
    low, high = scales[0], scales[-1]
    lines = ["| read | " + " | ".join(f"ms at {s:,}".replace(",", " ") for s in scales)
             + f" | ratio | server CPU ms at {low} / {high} |",
             "| --- | " + " | ".join("---" for _ in scales) + " | --- | --- |"]
    for key, what, _ in READS:
        medians = [results[s]["reads"][key]["median_ms"] for s in scales]
        cpu = [results[s]["reads"][key]["server_cpu_ms"] for s in (low, high)]
        ratio = medians[-1] / medians[0] if medians[0] else float("inf")
        lines.append(f"| {what} | " + " | ".join(f"{m:.2f}" for m in medians)
                     + f" | {ratio:.2f}× | {cpu[0]:.2f} / {cpu[1]:.2f} |")
    return "\n".join(lines)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--scales", default="100,100000",
                        help="stored spans per server, comma-separated (default: 100,100000)")
    add_read_options(parser, "read", requests=200, min_requests=10, max_seconds=20.0,
                     warmup=3, fill_timeout=900.0)
    add_profile_options(parser, "read", "each read", 5.0)
    parser.add_argument("--keep-logs", action="store_true",
                        help="keep the servers' logs and the payloads")
    args = parser.parse_args(argv)
    try:
        args.scales = sorted({int(s) for s in args.scales.split(",") if s.strip()})
    except ValueError:
        parser.error("--scales: comma-separated whole numbers")
    if not args.scales or min(args.scales) < SPANS_PER_TRANSACTION * TRANSACTIONS_PER_TRACE:
        parser.error(f"--scales: each at least {SPANS_PER_TRANSACTION * TRANSACTIONS_PER_TRACE}")
    unpinned(args)
    return args


def main(argv: list[str]) -> int:
    if argv[:1] == ["--write-payloads"]:
        write_payloads(argv[1])
        return 0
    if argv[:1] == ["--serve"]:
        return serve(argv[1:])
    args = parse_args(argv)
    if args.client_cpu is not None:
        os.sched_setaffinity(0, {int(cpu) for cpu in args.client_cpu.split(",")})
    if args.profile:
        Path(args.profile).mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="sentry-fake-traces-"))
    load_before = os.getloadavg()
    results: dict[int, dict] = {}
    try:
        payloads = make_payloads(workdir)
        print(f"payloads from sentry-sdk: a transaction of {SPANS_PER_TRANSACTION} spans, "
              f"{TRANSACTIONS_PER_TRACE} a trace, {LOGS_PER_TRANSACTION} logs each; server on "
              f"CPU {args.server_cpu}, client on CPU {args.client_cpu}", flush=True)
        for scale in args.scales:
            results[scale] = bench_scale(args, scale, payloads, workdir)
    finally:
        if args.keep_logs:
            print(f"logs and payloads kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    load_after = os.getloadavg()
    print(f"\nload average before {load_before[0]:.2f}, after {load_after[0]:.2f} (1 min)\n")
    text = table(results)
    print(text)
    low, high = min(results), max(results)
    print()
    for key, _, _ in READS:
        ratio = results[high]["reads"][key]["median_ms"] / results[low]["reads"][key]["median_ms"]
        print(f"- {key}: {'meets' if ratio <= TARGET_RATIO else 'misses'} \"within "
              f"{TARGET_RATIO:g}x\" ({ratio:.2f}x)")
    if args.json:
        Path(args.json).write_text(json.dumps({"results": results, "table": text,
                                               "load_average": [load_before, load_after]},
                                              indent=2, default=str) + "\n")
        print(f"\nresults written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    sys.exit(main(sys.argv[1:]))
