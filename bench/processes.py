"""
What the benchmarks share: free ports, CPU pinning, a child server process with its log, its
memory as the kernel reports it, and the options of the benchmarks that time reads.
"""

from __future__ import annotations

import argparse
import http.client
import json
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def pinned(cpu: str | None, argv: list[str]) -> list[str]:
    return ["taskset", "-c", cpu, *argv] if cpu is not None else argv


def add_read_options(parser: argparse.ArgumentParser, what: str, requests: int,
                     min_requests: int, max_seconds: float, warmup: int,
                     fill_timeout: float) -> None:
    """
    The options of a benchmark that times reads (each one a C{what}) against servers it fills:
    how many requests, for how long, the JSON output, the pinning and the fill's timeout.
    """
    parser.add_argument("--requests", type=int, default=requests,
                        help=f"timed requests per {what} and scale (default: {requests})")
    parser.add_argument("--min-requests", type=int, default=min_requests,
                        help=f"timed requests even past --max-seconds (default: {min_requests})")
    parser.add_argument("--max-seconds", type=float, default=max_seconds,
                        help=f"stop timing a {what} after this long (default: {max_seconds:g})")
    parser.add_argument("--warmup", type=int, default=warmup,
                        help=f"unrecorded requests after the first (default: {warmup})")
    parser.add_argument("--json", help="also write the results as JSON to this path")
    parser.add_argument("--server-cpu", default="0",
                        help="CPU list the servers are pinned to (default: 0; 'none' to not pin)")
    parser.add_argument("--client-cpu", default="1",
                        help="CPU list this script and py-spy are pinned to (default: 1; 'none')")
    parser.add_argument("--fill-timeout", type=float, default=fill_timeout,
                        help=f"seconds a server may take to fill and answer /health "
                             f"(default: {fill_timeout:g})")


def add_profile_options(parser: argparse.ArgumentParser, what: str, which: str,
                        seconds: float) -> None:
    """
    The options that sample the largest server with py-spy while it answers C{which}.
    """
    parser.add_argument("--profile", metavar="DIR",
                        help="at the largest scale, sample the server with py-spy while it "
                             f"answers {which}; raw stacks go to DIR")
    parser.add_argument("--profile-seconds", type=float, default=seconds,
                        help=f"seconds of requests per sampled {what} (default: {seconds:g})")
    parser.add_argument("--py-spy", default=shutil.which("py-spy")
                        or str(Path(sys.executable).parent / "py-spy"),
                        help="the py-spy binary (default: py-spy on PATH or next to this Python)")


def unpinned(args: argparse.Namespace) -> None:
    """
    Read C{--server-cpu} and C{--client-cpu} of C{none} as no pinning.
    """
    args.server_cpu = None if args.server_cpu == "none" else args.server_cpu
    args.client_cpu = None if args.client_cpu == "none" else args.client_cpu


def read_status_kib(pid: int, field: str) -> int | None:
    """
    A C{/proc/PID/status} field in KiB (C{VmRSS}, C{VmHWM}), or C{None}.
    """
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


class ChildServer:
    """
    A server in a child process whose output goes to a log file.
    """

    def __init__(self, argv: list[str], log_path: Path) -> None:
        self.argv, self.log_path = argv, log_path
        self.process: subprocess.Popen | None = None

    def spawn(self, cwd: str | None = None) -> subprocess.Popen:
        log = open(self.log_path, "wb")
        # taskset execs the command, so the pid is the server's own.
        self.process = subprocess.Popen(self.argv, stdout=log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, cwd=cwd)
        log.close()
        return self.process

    @property
    def pid(self) -> int:
        return self.process.pid

    def peak_rss_kib(self) -> int | None:
        return read_status_kib(self.process.pid, "VmHWM") if self.process else None

    def stop(self, timeout: float = 30.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join(text[-lines:]) or "(empty log)"


class FilledChildServer(ChildServer):
    """
    A server in a child process that fills itself, writes what it holds as JSON to
    C{info_path}, then serves on C{port}: ready once that file exists and C{/health} answers.
    """

    def __init__(self, argv: list[str], log_path: Path, port: int, info_path: Path) -> None:
        super().__init__(argv, log_path)
        self.port, self.info_path = port, info_path
        self.info: dict = {}

    def start(self, timeout: float) -> None:
        self.spawn()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}:\n"
                                   + self.log_tail())
            if self.info_path.exists() and self.healthy():
                self.info = json.loads(self.info_path.read_text())
                return
            time.sleep(0.05)
        raise RuntimeError(f"the server was not filled and healthy within {timeout} s:\n"
                           + self.log_tail())

    def healthy(self) -> bool:
        connection = http.client.HTTPConnection(HOST, self.port, timeout=5)
        try:
            connection.request("GET", "/health")
            return connection.getresponse().status == 200
        except OSError:
            return False
        finally:
            connection.close()
