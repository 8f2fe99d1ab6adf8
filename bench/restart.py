"""
How long a server with --data-dir takes to come back: after kill -9 and after a clean stop, with
100 000 and 200 000 stored events of a real Python SDK.

For each size: a fresh data directory; `twistd sentry-fake --data-dir` filled by wrk with the
SDK envelope of bench/ingest.py until it holds that many events; then

1. kill -9, start again, time until the first healthy answer, and check that every event the
   server acknowledged is there (its count from `GET /`);
2. SIGTERM (a clean stop: the last checkpoint), timed; start again, timed, counted again.

A script that prints numbers; nothing in it asserts on speed.

    .venv/bin/python bench/restart.py                      # 100 000 and 200 000 events
    .venv/bin/python bench/restart.py --events 20000       # a quick look
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

from ingest import Server, make_body, run_wrk, settled_count, stored_count
from processes import free_port, pinned, read_status_kib

HOST = "127.0.0.1"


def start(args, workdir: Path, data: Path, port: int, name: str) -> Server:
    twistd = str(Path(sys.executable).parent / "twistd")
    argv = [twistd, "-n", "--pidfile=", "sentry-fake", "--listen", f"tcp:{port}:interface={HOST}",
            "--max-events", str(args.max_events), "--data-dir", str(data)]
    server = Server(name, pinned(args.server_cpu, argv), port, workdir / f"{name}.log")
    server.start(timeout=600)
    return server


def fill(args, server: Server, body_path: Path, event_id: str, wanted: int) -> int:
    stored = stored_count(server.port)
    while stored < wanted:
        run_wrk(args, server.port, 16, args.chunk, body_path, event_id)
        stored = settled_count(server.port)
        print(f"    {stored} events stored", flush=True)
    return stored


def database_mib(data: Path) -> float:
    return sum(path.stat().st_size for path in data.iterdir()) / 2**20


def measure(args, workdir: Path, body_path: Path, event_id: str, wanted: int) -> dict:
    data = workdir / f"data-{wanted}"
    port = free_port()
    server = start(args, workdir, data, port, f"fill-{wanted}")
    stored = fill(args, server, body_path, event_id, wanted)
    size_before = database_mib(data)
    server.process.send_signal(signal.SIGKILL)
    server.process.wait(30)

    server = start(args, workdir, data, port, f"after-kill-{wanted}")
    after_kill = server.startup_s
    kill_count = stored_count(port)
    rss = read_status_kib(server.pid, "VmRSS")
    began = time.perf_counter()
    server.process.send_signal(signal.SIGTERM)
    server.process.wait(600)
    clean_stop = time.perf_counter() - began

    server = start(args, workdir, data, port, f"after-stop-{wanted}")
    after_stop = server.startup_s
    stop_count = stored_count(port)
    size_after = database_mib(data)
    server.stop()
    return {"events": stored, "after_kill_s": after_kill, "kill_count": kill_count,
            "clean_stop_s": clean_stop, "after_stop_s": after_stop, "stop_count": stop_count,
            "database_mib": (size_before, size_after), "rss_mib": (rss or 0) / 1024}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--events", default="100000,200000",
                        help="stored event counts to measure at, comma-separated")
    parser.add_argument("--max-events", type=int, default=10_000_000)
    parser.add_argument("--chunk", type=float, default=5.0, help="seconds per wrk fill run")
    parser.add_argument("--server-cpu", default="0")
    parser.add_argument("--wrk-cpu", default="1")
    parser.add_argument("--wrk", default=shutil.which("wrk") or "/usr/bin/wrk")
    args = parser.parse_args(argv)
    args.wrk_threads, args.timeout = 1, 5.0
    args.server_cpu = None if args.server_cpu == "none" else args.server_cpu
    args.wrk_cpu = None if args.wrk_cpu == "none" else args.wrk_cpu
    if not os.path.exists(args.wrk):
        raise SystemExit("wrk not found (apt-get install wrk)")
    workdir = Path(tempfile.mkdtemp(prefix="sentry-fake-restart-"))
    rows = []
    try:
        body_path, body, event_id = make_body(workdir)
        for wanted in [int(value) for value in args.events.split(",")]:
            print(f"{wanted} events:", flush=True)
            rows.append(measure(args, workdir, body_path, event_id, wanted))
            print(f"    {rows[-1]}", flush=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print()
    print("| stored events | start after kill -9 | clean stop | start after clean stop "
          "| all acknowledged back | database MiB (before / after stop) | RSS MiB |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    verdict = True
    for row in rows:
        back = row["kill_count"] >= row["events"] and row["stop_count"] == row["kill_count"]
        verdict = verdict and back
        before, after = row["database_mib"]
        print(f"| {row['events']} | {row['after_kill_s']:.2f} s | {row['clean_stop_s']:.2f} s "
              f"| {row['after_stop_s']:.2f} s | {'yes' if back else 'NO'} "
              f"({row['kill_count']}, {row['stop_count']}) | {before:.0f} / {after:.0f} "
              f"| {row['rss_mib']:.0f} |")
    return 0 if verdict else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
