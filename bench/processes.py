"""
What the benchmarks share: free ports, CPU pinning, a child server process with its log, and
its memory as the kernel reports it.
"""

from __future__ import annotations

import signal
import socket
import subprocess
from pathlib import Path

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def pinned(cpu: str | None, argv: list[str]) -> list[str]:
    return ["taskset", "-c", cpu, *argv] if cpu is not None else argv


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
