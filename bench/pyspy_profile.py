"""
Where a server's time goes: py-spy attached to it while it answers one kind of request, and a
summary of the sampled stacks (inclusive share per sentry_fake function, self share per
function), for bench/lists.py.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any, Callable


def _frame(text: str) -> tuple[str, str]:
    """C{"function (path/file.py:123)"} as (function, short file)."""
    function, _, where = text.rpartition(" (")
    if not function:
        return text, ""
    path = where.rstrip(")").rpartition(":")[0]
    for marker in ("sentry_fake/", "site-packages/"):
        if marker in path:
            path = (marker if marker == "sentry_fake/" else "") + path.split(marker, 1)[1]
            break
    return function, path


IDLE = {"EPollReactor.doPoll", "PollReactor.doPoll", "SelectReactor.doSelect"}


def summarize_profile(raw: Path, top: int) -> dict:
    """
    Inclusive and self shares per function from py-spy's raw (collapsed) output, of the samples
    in which the server was busy (not waiting in the reactor's poll).
    """
    inclusive: Counter[tuple[str, str]] = Counter()
    own: Counter[tuple[str, str]] = Counter()
    total = idle = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        samples = int(count)
        frames = [_frame(text) for text in stack.split(";")]
        if frames[-1][0] in IDLE:
            idle += samples
            continue
        total += samples
        for frame in set(frames):
            inclusive[frame] += samples
        own[frames[-1]] += samples

    def share(counter: Counter, wanted: Callable[[tuple[str, str]], bool]) -> list[dict]:
        return [{"function": function, "file": path, "percent": 100.0 * n / total}
                for (function, path), n in counter.most_common() if wanted((function, path))][:top]

    if not total:
        return {"samples": 0, "idle_samples": idle, "inclusive": [], "self": []}
    return {
        "samples": total, "idle_samples": idle,
        "inclusive": share(inclusive, lambda frame: frame[1].startswith("sentry_fake/")),
        "self": share(own, lambda frame: True),
    }


def profile(request: Callable[[], Any], pid: int, output: Path, seconds: float, rate: int,
            top: int, py_spy: str, cpu: str | None) -> dict:
    """
    Sample process C{pid} with py-spy (pinned to C{cpu}) while calling C{request()} for
    C{seconds} (at least 3 times); keep the raw stacks in C{output} and return their summary.
    """
    argv = [py_spy, "record", "--pid", str(pid), "--rate", str(rate),
            "--format", "raw", "--output", str(output)]
    if cpu is not None:
        argv = ["taskset", "-c", cpu, *argv]
    spy = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           stdin=subprocess.DEVNULL)
    time.sleep(1.0)  # let py-spy attach before the requests start
    if spy.poll() is not None:
        raise RuntimeError(f"py-spy exited with {spy.returncode}: "
                           f"{spy.stdout.read().decode(errors='replace')[-800:]}")
    requests = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline or requests < 3:
        request()
        requests += 1
    spy.send_signal(signal.SIGINT)  # py-spy writes its output when interrupted
    try:
        spy.wait(timeout=60)
    except subprocess.TimeoutExpired:
        spy.kill()
        spy.wait()
    if not output.exists():
        raise RuntimeError(f"py-spy wrote nothing: {spy.stdout.read().decode(errors='replace')}")
    summary = summarize_profile(output, top)
    summary.update(requests=requests, raw=str(output))
    return summary


def print_profile(key: str, summary: dict) -> None:
    print(f"    where the time goes, {key} ({summary['requests']} requests, "
          f"{summary['samples']} busy samples, {summary['idle_samples']} idle ones left out; "
          f"raw stacks in {summary['raw']}):")
    print("      inclusive (sentry_fake functions):")
    for row in summary["inclusive"]:
        print(f"        {row['percent']:5.1f} %  {row['function']}  ({row['file']})")
    print("      self (any function):")
    for row in summary["self"]:
        print(f"        {row['percent']:5.1f} %  {row['function']}  ({row['file']})")
