"""
A sentry-fake server that is filled with stored events before it serves: the server of
bench/lists.py.

    python bench/filled_server.py PORT TEMPLATES.json INFO.json --events N [--shape sites|unique]

It builds the same service tree as C{twistd sentry-fake} (L{sentry_fake.application.build_service}
with the daemon's heap freezing), stores C{N} events straight through the store's
C{ingest_event} (no HTTP: filling 100 000 events through the ingest route would take minutes),
writes what it stored to INFO.json, and only then starts listening on 127.0.0.1:PORT and runs
the reactor until it is sent SIGTERM.

The events are made from the payload templates bench/list_payloads.py captured from the real
C{sentry-sdk} (an exception event, a message event and a transaction), each with a fresh
event id, a receive time spread evenly over the last C{--history-hours}, and its call site:

- C{sites}: exception events spread over C{--sites} call sites (a different innermost function
  and exception value each; the first site gets the most events, the site at rank k about
  1/k as many), message events over 10 message texts;
- C{unique}: every exception and message event is its own issue.
"""

from __future__ import annotations

import argparse
import gc
import itertools
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
from sentry_fake.jsoncodec import loads

from list_payloads import EVENT_ID, MESSAGE, SITE, START_TIMESTAMP, TIMESTAMP, VALUE

WAREHOUSES = ("amsterdam", "berlin", "copenhagen", "dublin", "edinburgh", "frankfurt", "geneva",
              "helsinki", "istanbul", "jerez")
SEED = 20261122


def letters(number: int) -> str:
    """
    A word of lower-case letters for a number (grouping folds digits, not letters, in messages).
    """
    word = ""
    while True:
        number, rest = divmod(number, 26)
        word = chr(ord("a") + rest) + word
        if number == 0:
            return word


def fill(store, templates: dict[str, str], args) -> dict:
    """
    Store C{args.events} events; return counts of what was stored.
    """
    rng = random.Random(SEED)
    project = store.directory.project_by_id(1)
    sites = max(1, args.sites)
    # Zipf-like: the site at rank k gets about 1/k as many events as the first one.
    site_weights = list(itertools.accumulate(1.0 / (rank + 1) for rank in range(sites)))
    message_weights = list(itertools.accumulate(1.0 / (rank + 1)
                                                for rank in range(len(WAREHOUSES))))
    end = time.time()
    start = end - args.history_hours * 3600
    step = (end - start) / max(1, args.events)
    kinds = {"error": 0, "message": 0, "transaction": 0}
    raw_bytes = {"error": 0, "message": 0, "transaction": 0}
    for number in range(args.events):
        now = start + number * step
        draw = rng.random()
        kind = ("transaction" if draw < args.transactions
                else "message" if draw < args.transactions + args.messages else "error")
        text = templates[kind].replace(EVENT_ID, uuid.uuid4().hex)
        # The timestamps become numbers: the quotes around the placeholders go too.
        text = text.replace(f'"{TIMESTAMP}"', f"{now:.6f}")
        if kind == "transaction":
            text = text.replace(f'"{START_TIMESTAMP}"', f"{now - 0.184:.6f}")
        elif kind == "error":
            if args.shape == "unique":
                site, word = number, letters(number)
            else:
                site = rng.choices(range(sites), cum_weights=site_weights)[0]
                word = letters(site)
            text = text.replace(SITE, f"parse_quantity_v{site}")
            text = text.replace(VALUE, f"invalid literal for int() with base 10: '{word}'")
        else:
            if args.shape == "unique":
                where = letters(number)
            else:
                where = WAREHOUSES[rng.choices(range(len(WAREHOUSES)),
                                               cum_weights=message_weights)[0]]
            text = text.replace(MESSAGE, f"Inventory sync for warehouse {where} fell behind")
        raw = text.encode("utf-8")
        batch = IngestBatch(store, project.id, None, strict=False, now=now)
        batch.event(loads(raw), raw, "transaction" if kind == "transaction" else "event")
        batch.commit()
        kinds[kind] += 1
        raw_bytes[kind] += len(raw)
    return {"kinds": kinds,
            "mean_payload_bytes": {kind: round(raw_bytes[kind] / kinds[kind])
                                   for kind in kinds if kinds[kind]}}


def read_status_kib(field: str) -> int | None:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return None


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("port", type=int)
    parser.add_argument("templates", help="payload templates from bench/list_payloads.py")
    parser.add_argument("info", help="where to write what was stored, as JSON")
    parser.add_argument("--events", type=int, required=True)
    parser.add_argument("--shape", choices=("sites", "unique"), default="sites")
    parser.add_argument("--sites", type=int, default=50)
    parser.add_argument("--messages", type=float, default=0.1)
    parser.add_argument("--transactions", type=float, default=0.1)
    parser.add_argument("--history-hours", type=float, default=24.0)
    args = parser.parse_args(argv)

    globalLogBeginner.beginLoggingTo([textFileLogObserver(sys.stderr)],
                                     redirectStandardIO=False)
    templates = json.loads(Path(args.templates).read_text())
    # As twistd builds it, with room for every event (none is evicted).
    settings = Settings(listen=(f"tcp:{args.port}:interface=127.0.0.1",),
                        max_events=args.events + 1000, freeze_heap=True)
    service = build_service(reactor, settings)
    store = service.getServiceNamed("store")

    started = time.perf_counter()
    gc.disable()  # filling makes no garbage cycles; the collector would only slow it down
    stored = fill(store, templates, args)
    gc.enable()
    gc.collect()
    fill_seconds = time.perf_counter() - started

    project = store.directory.project_by_id(1)
    issues = store.issues([project])
    biggest = max(issues, key=lambda issue: issue.times_seen, default=None)
    info = {
        "pid": os.getpid(),
        "events": len(store.events()),
        "error_events": sum(1 for event in store.events(project_id=1)
                            if event.type != "transaction"),
        "issues": len(issues),
        "biggest_issue": ({"id": biggest.id, "events": biggest.times_seen,
                           "title": biggest.title} if biggest else None),
        "fill_seconds": round(fill_seconds, 2),
        "rss_after_fill_kib": read_status_kib("VmRSS"),
        **stored,
    }
    partial = Path(args.info + ".partial")
    partial.write_text(json.dumps(info, indent=2) + "\n")
    partial.rename(args.info)

    service.startService()  # binds the port; the heap freezer freezes what was stored
    reactor.addSystemEventTrigger("before", "shutdown", service.stopService)
    reactor.run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
