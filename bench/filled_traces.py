"""
A sentry-fake server filled with spans and logs before it serves: the server of the traces and
logs pages in bench/pages.py.

    python bench/filled_traces.py PORT INFO.json --spans N

It builds the same service tree as C{twistd sentry-fake}, stores C{N} spans and C{N} log
entries straight through the store's ingest (one record a trace, as an SDK streaming its spans
sends them: a C{span} item of v2 spans, a segment and nine children, with ten log lines of
the trace in a C{log} item; every hundredth trace has an error event in its second span),
writes what it stored to INFO.json, and only then listens on 127.0.0.1:PORT.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import sys
import time
import uuid
from pathlib import Path

from twisted.internet import reactor
from twisted.logger import globalLogBeginner, textFileLogObserver

from sentry_fake.application import Settings, build_service
from sentry_fake.ingest.batch import IngestBatch

SPANS_A_TRACE = 10
SEED = 20261201
OPS = ("db.query", "http.client", "cache.get", "template.render", "function")
SEVERITIES = (("info", 9), ("info", 9), ("debug", 5), ("warn", 13), ("error", 17))


def _typed(**values: object) -> dict:
    return {key: {"value": value, "type": "integer" if isinstance(value, int) else "string"}
            for key, value in values.items()}


def trace_payloads(number: int, now: float, rng: random.Random) -> tuple[dict, dict, str, str]:
    """
    The spans and logs of trace C{number} (ending at C{now}), its id and its second span's.
    """
    trace_id = f"{number:032x}"
    root = f"{number * SPANS_A_TRACE + 1:016x}"
    start = now - 0.5
    name = f"GET /shop/{number % 40}"
    spans = [{"trace_id": trace_id, "span_id": root, "is_segment": True, "name": name,
              "start_timestamp": start, "end_timestamp": now, "status": "ok",
              "attributes": _typed(**{"sentry.op": "http.server", "sentry.segment.name": name,
                                      "sentry.environment": "production"})}]
    for child in range(1, SPANS_A_TRACE):
        op = OPS[rng.randrange(len(OPS))]
        begin = start + child * 0.04
        spans.append({
            "trace_id": trace_id, "span_id": f"{number * SPANS_A_TRACE + child + 1:016x}",
            "parent_span_id": root, "name": f"{op} step {child} of trace {number}",
            "start_timestamp": begin, "end_timestamp": begin + rng.uniform(0.001, 0.04),
            "status": "ok" if rng.random() > 0.02 else "internal_error",
            "attributes": _typed(**{"sentry.op": op, "sentry.segment.id": root,
                                    "sentry.segment.name": name})})
    logs = []
    for line in range(SPANS_A_TRACE):
        severity, severity_number = SEVERITIES[rng.randrange(len(SEVERITIES))]
        logs.append({"timestamp": start + line * 0.04, "level": severity,
                     "severity_number": severity_number, "trace_id": trace_id,
                     "body": f"cart {number}-{line} priced in warehouse {number % 10}",
                     "attributes": _typed(**{"sentry.environment": "production",
                                             "shop.line": line})})
    return {"version": 2, "items": spans}, {"version": 2, "items": logs}, trace_id, \
        spans[1]["span_id"]


def fill(store, spans: int) -> dict:
    rng = random.Random(SEED)
    project = store.directory.project_by_id(1)
    traces = max(1, spans // SPANS_A_TRACE)
    end = time.time()
    errors = 0
    for number in range(traces):
        now = end - (traces - number) * 0.5
        span_item, log_item, trace_id, span_id = trace_payloads(number, now, rng)
        batch = IngestBatch(store, project.id, None, strict=False, now=now)
        batch.item("span", {"type": "span"}, json.dumps(span_item).encode())
        batch.item("log", {"type": "log"}, json.dumps(log_item).encode())
        if number % 100 == 50:
            event = {"event_id": uuid.uuid4().hex, "level": "error", "timestamp": now,
                     "message": f"charge declined in trace {number}", "platform": "python",
                     "contexts": {"trace": {"trace_id": trace_id, "span_id": span_id}}}
            raw = json.dumps(event).encode()
            batch.event(event, raw, "event")
            errors += 1
        batch.commit()
    return {"traces": traces, "errors": errors, "oldest_trace": f"{0:032x}",
            "newest_trace": f"{traces - 1:032x}"}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("port", type=int)
    parser.add_argument("info", help="where to write what was stored, as JSON")
    parser.add_argument("--spans", type=int, required=True)
    args = parser.parse_args(argv)
    globalLogBeginner.beginLoggingTo([textFileLogObserver(sys.stderr)],
                                     redirectStandardIO=False)
    settings = Settings(listen=(f"tcp:{args.port}:interface=127.0.0.1",),
                        max_events=args.spans + 1000, freeze_heap=True)
    service = build_service(reactor, settings)
    store = service.getServiceNamed("store")
    started = time.perf_counter()
    gc.disable()
    stored = fill(store, args.spans)
    gc.enable()
    gc.collect()
    info = {"pid": os.getpid(), "spans": len(store.traces.all("spans")),
            "logs": len(store.traces.all("logs")), "events": len(store.events()),
            "fill_seconds": round(time.perf_counter() - started, 2), **stored}
    partial = Path(args.info + ".partial")
    partial.write_text(json.dumps(info, indent=2) + "\n")
    partial.rename(args.info)
    service.startService()
    reactor.addSystemEventTrigger("before", "shutdown", service.stopService)
    reactor.run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
