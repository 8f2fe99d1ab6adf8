"""
Memory under sustained load of distinct issues: does RSS plateau once the store is full?

`twistd sentry-fake --max-events 10000` (memory only, or with `--data-dir`) takes wrk's load of
message events that each open a new issue (bench/post_distinct.lua) for `--minutes` (5), while
RSS is read from /proc every `--every` (10) seconds. Events, issues and RSS are printed as they
go; at the end, the plateau: RSS once the store first filled, and its largest value after.
A script that prints numbers; nothing in it asserts on speed or size.

    .venv/bin/python bench/soak.py                      # 5 minutes
    .venv/bin/python bench/soak.py --minutes 1 --data-dir
"""

from __future__ import annotations

import argparse
import json
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ingest import Server, http
from processes import free_port, pinned, read_status_kib

HERE = Path(__file__).resolve().parent
HOST = "127.0.0.1"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--every", type=float, default=10.0, help="seconds between samples")
    parser.add_argument("--max-events", type=int, default=10_000)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--data-dir", action="store_true", help="also keep state on disk")
    parser.add_argument("--server-cpu", default="0")
    parser.add_argument("--wrk-cpu", default="1")
    parser.add_argument("--wrk", default=shutil.which("wrk") or "/usr/bin/wrk")
    args = parser.parse_args(argv)
    server_cpu = None if args.server_cpu == "none" else args.server_cpu
    wrk_cpu = None if args.wrk_cpu == "none" else args.wrk_cpu
    workdir = Path(tempfile.mkdtemp(prefix="sentry-fake-soak-"))
    port = free_port()
    argv_ = [str(Path(sys.executable).parent / "twistd"), "-n", "--pidfile=", "sentry-fake",
             "--listen", f"tcp:{port}:interface={HOST}", "--max-events", str(args.max_events)]
    if args.data_dir:
        argv_ += ["--data-dir", str(workdir / "data")]
    server = Server("soak", pinned(server_cpu, argv_), port, workdir / "soak.log")
    samples = []
    try:
        server.start()
        seconds = args.minutes * 60
        load = subprocess.Popen(pinned(wrk_cpu, [
            args.wrk, "-t", "1", "-c", str(args.connections), "-d", f"{seconds:g}s",
            "-s", str(HERE / "post_distinct.lua"), f"http://{HOST}:{port}/api/1/envelope/",
            "--", secrets.token_hex(8)]), stdout=subprocess.PIPE, text=True)
        started = time.monotonic()
        while load.poll() is None:
            time.sleep(args.every)
            status, body = http("GET", port, "/", timeout=30)
            meta = json.loads(body) if status == 200 else {}
            sample = {"seconds": round(time.monotonic() - started),
                      "rss_mib": (read_status_kib(server.pid, "VmRSS") or 0) / 1024,
                      "events": meta.get("events"), "issues": meta.get("issues"),
                      "evicted": meta.get("evicted")}
            samples.append(sample)
            print(f"  {sample['seconds']:4d} s: {sample['events']} events, {sample['issues']} "
                  f"issues, {sample['evicted']} evicted, RSS {sample['rss_mib']:.0f} MiB",
                  flush=True)
        output = load.stdout.read() if load.stdout else ""
        result = next((json.loads(line.split(" ", 1)[1]) for line in output.splitlines()
                       if line.startswith("SOAK_RESULT ")), {})
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    full = [s for s in samples if (s["evicted"] or 0) > 0]
    if not full:
        print("the store never filled: raise --minutes or lower --max-events")
        return 1
    first, largest, last = full[0], max(full, key=lambda s: s["rss_mib"]), full[-1]
    print(f"\n{result.get('ok_2xx', '?')} events acknowledged over {args.minutes:g} min "
          f"({'with' if args.data_dir else 'without'} --data-dir, --max-events {args.max_events})")
    print(f"RSS when the store first filled ({first['seconds']} s): {first['rss_mib']:.0f} MiB; "
          f"largest after: {largest['rss_mib']:.0f} MiB at {largest['seconds']} s; at the end: "
          f"{last['rss_mib']:.0f} MiB with {last['issues']} issues")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
