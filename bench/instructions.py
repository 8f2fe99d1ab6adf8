"""
Instructions per ingest request, counted: sentry-fake and the raw twisted.web resource of
bench/ingest.py, each driven in process through its own site with the SDK envelope.

    python bench/instructions.py                          # error and transaction, every server
    python bench/instructions.py --body error --servers raw,sentry-fake

A run of `valgrind --tool=callgrind` counts what the CPU executes, which the host's load does
not move (a figure of bench/ingest.py does, by ±20 % or more here).  For each server and body,
four child processes run under callgrind (as many at once as there are CPUs): A and B
requests, and the same two only building their requests.  The instructions of a request are
(I(B) - I(A) - (G(B) - G(A))) / (B - A), so that starting Python, importing and building the
requests are not counted.

What it leaves out: the kernel's work (reading and writing sockets, SQLite's writes, the
memory the host backs for a server that keeps what it is sent) and the WAL copying thread of a
data directory (there is no reactor here).  As in bench/ingest.py, only the ids change from
one request to the next: the event's own times are the same in each, and the test clock does
not move.  Its "x raw" column is what bench/ingest.py's ratio
would read if every instruction cost the same; a server that keeps every event reads lower
there, by what its new memory costs (see bench/README.md).

A script that prints numbers; nothing in it asserts on speed.  It needs valgrind.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ingest import (AUTH, BODIES, DEFAULT_SERVERS, FAKES, INGEST_PATH, OURS_ON_DISK,
                    OURS_UNTRACED, RAW, make_body, substitute)

HERE = Path(__file__).resolve().parent
SERVERS = (RAW,) + FAKES


def request(body: bytes) -> bytes:
    """The POST that bench/post_envelope.lua sends, as one kept-alive HTTP/1.1 request."""
    return (f"POST {INGEST_PATH} HTTP/1.1\r\nHost: 127.0.0.1:9000\r\nX-Sentry-Auth: {AUTH}\r\n"
            "Content-Type: application/x-sentry-envelope\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode("ascii") + body


def fresh_ids(templates: list[str], number: int) -> list[str]:
    """New ids for request C{number}, as bench/post_envelope.lua makes them."""
    ids = [f"{number + 1:032x}"]
    if len(templates) > 1:
        ids.append(f"{number + 1:016x}{number + 7:016x}")
        ids += [f"{place + 1:04x}{number:012x}" for place in range(len(templates) - 2)]
    return ids


def child(server: str, body_path: str, templates: list[str], count: int,
          build_only: bool) -> None:
    """
    Answer C{count} requests through C{server}'s site over one kept-alive connection.
    """
    from twisted.internet.address import IPv4Address
    from twisted.internet.task import Clock
    from twisted.internet.testing import StringTransport

    body = Path(body_path).read_bytes()
    requests = [request(substitute(body, templates, fresh_ids(templates, number)))
                for number in range(count)]
    if build_only:
        return
    clock = Clock()
    clock.advance(time.time())
    if server == RAW:
        from raw_twisted import Answer, QuietSite
        site = QuietSite(Answer())
    else:
        from sentry_fake.application import Settings, build_root
        from sentry_fake.persistence.service import JournalService
        from sentry_fake.site import make_site
        from sentry_fake.store.service import StoreService
        if server == OURS_UNTRACED:
            from untraced_server import leave_out_traces
            leave_out_traces()
        settings = Settings(max_events=10_000_000)
        store = StoreService(clock, max_events=settings.max_events)
        store.startService()
        if server == OURS_ON_DISK:
            data_dir = tempfile.mkdtemp(prefix="sentry-fake-instructions-")
            atexit.register(shutil.rmtree, data_dir, True)
            JournalService(store, data_dir, clock).startService()
        site = make_site(build_root(store, settings, clock), max_request_body=1 << 22)
    site.reactor = clock
    address = IPv4Address("TCP", "127.0.0.1", 5000)
    channel = site.buildProtocol(address)
    channel.callLater = clock.callLater
    transport = StringTransport(peerAddress=address)
    channel.makeConnection(transport)
    for number, data in enumerate(requests):
        channel.dataReceived(data)
        clock.advance(0)  # the end of a turn of the reactor: what waits for it is done
        if number % 64 == 63 or number == count - 1:
            answered = transport.value()
            transport.clear()
            if answered.count(b"HTTP/1.1 200 OK") != (number % 64) + 1:
                raise SystemExit(f"{server}: not every request was answered 200: "
                                 f"{answered[:300]!r}")


def counted(server: str, body_path: Path, templates: list[str], count: int, build_only: bool,
            workdir: Path) -> int:
    out = workdir / f"callgrind.{server}.{count}.{int(build_only)}"
    argv = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable,
            str(Path(__file__).resolve()), "--child", server, "--body-path", str(body_path),
            "--templates", ",".join(templates), "--count", str(count)]
    if build_only:
        argv.append("--build-only")
    env = dict(os.environ, PYTHONHASHSEED="0")
    done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=3600)
    if done.returncode != 0:
        raise SystemExit(f"{server} ({count} requests) failed under callgrind:\n"
                         f"{done.stdout[-2000:]}{done.stderr[-2000:]}")
    found = re.search(r"^summary: (\d+)$", out.read_text(), re.MULTILINE)
    if found is None:
        raise SystemExit(f"no summary in {out}")
    return int(found.group(1))


def measure(requests: list[int], server: str, body_path: Path, templates: list[str],
            workdir: Path) -> int:
    a, b = requests
    keys = [(count, build) for count in (a, b) for build in (False, True)]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        counts = pool.map(lambda key: counted(server, body_path, templates, *key, workdir),
                          keys)
        runs = dict(zip(keys, counts))
    return round((runs[b, False] - runs[a, False] - runs[b, True] + runs[a, True]) / (b - a))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--body", default=",".join(BODIES),
                        help=f"envelopes, comma-separated (default: {','.join(BODIES)})")
    parser.add_argument("--servers", default=",".join(DEFAULT_SERVERS),
                        help=f"servers, comma-separated (default: {','.join(DEFAULT_SERVERS)}; "
                             f"also {OURS_UNTRACED})")
    parser.add_argument("--requests", default="200,700",
                        help="the two request counts A,B whose difference is counted "
                             "(default: 200,700)")
    parser.add_argument("--json", help="also write the results as JSON to this path")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--body-path", help=argparse.SUPPRESS)
    parser.add_argument("--templates", help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--build-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.body_path, args.templates.split(","), args.count,
              args.build_only)
        return 0
    bodies = [b for b in args.body.split(",") if b]
    servers = [s for s in args.servers.split(",") if s]
    if set(bodies) - set(BODIES) or set(servers) - set(SERVERS):
        parser.error(f"--body: of {', '.join(BODIES)}; --servers: of {', '.join(SERVERS)}")
    args.requests = [int(n) for n in args.requests.split(",")]
    if len(args.requests) != 2 or not 0 < args.requests[0] < args.requests[1]:
        parser.error("--requests: A,B with 0 < A < B")
    if not shutil.which("valgrind"):
        raise SystemExit("valgrind not found (apt-get install valgrind)")
    workdir = Path(tempfile.mkdtemp(prefix="sentry-fake-instructions-"))
    rows = []
    try:
        for body in bodies:
            body_path, _, templates = make_body(workdir, body)
            found = {}
            for server in servers:
                found[server] = measure(args.requests, server, body_path, templates, workdir)
                print(f"{body}, {server}: {found[server]} instructions per request",
                      flush=True)
            rows += [{"body": body, "server": server, "instructions": count,
                      "x_raw": found[RAW] / count if RAW in found else None}
                     for server, count in found.items()]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print()
    print("| envelope | server | instructions per request | × raw Twisted |")
    print("| --- | --- | --- | --- |")
    for row in rows:
        ratio = f"{row['x_raw']:.2f}" if row["x_raw"] is not None else "–"
        count = f"{row['instructions']:,}".replace(",", " ")
        print(f"| {row['body']} | {row['server']} | {count} | {ratio} |")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
