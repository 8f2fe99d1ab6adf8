"""
sentry-fake with its trace book left out: `twistd` as bench/ingest.py runs it, but no
transaction's spans (nor any span, log or metric item) are read or indexed.

    python bench/untraced_server.py -n --pidfile= sentry-fake --listen tcp:PORT ...

Not a product: what ingest would cost if spans cost nothing, so that bench/ingest.py
(`--servers raw,sentry-fake,sentry-fake-untraced --body transaction`) shows how much of a
transaction's cost is its spans, against the ceiling of the raw resource in the same run.
Events are stored and acknowledged exactly as by sentry-fake.
"""

from __future__ import annotations

from typing import Any

from twisted.scripts.twistd import run

from sentry_fake.store.trace_writes import TraceWrites


def _no_traces(self: Any, *args: Any, **kwargs: Any) -> None:
    """What TraceWrites._derive_traces adds to the trace book, left out."""


def leave_out_traces() -> None:
    """
    From now on, no record adds anything to the trace book (bench/instructions.py counts
    such a server too).
    """
    TraceWrites._derive_traces = _no_traces  # type: ignore[method-assign]


if __name__ == "__main__":
    leave_out_traces()
    run()
