"""
Log observers for daemons: one JSON object per line for machines, readable text for people.

    twistd --logger=sentry_fake.logs.json_observer -n sentry-fake      # NDJSON on stdout
    twist --log-format=json sentry-fake                                # Twisted's own JSON form
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from typing import Any, TextIO

from twisted.logger import ILogObserver, LogLevel, formatEvent
from zope.interface import implementer

_SKIP = {"log_format", "log_flattened", "log_logger", "log_source", "log_io", "log_trace",
         "log_time", "log_level", "log_namespace", "log_system", "log_failure", "log_text",
         "format", "message", "time", "system", "isError", "printed", "why", "failure"}


@implementer(ILogObserver)
class JSONLinesObserver:
    """
    Write each log event as one JSON object on its own line: time, level, namespace, message
    and the event's own fields (those that JSON can carry).
    """

    def __init__(self, out: TextIO) -> None:
        self._out = out

    def __call__(self, event: dict[str, Any]) -> None:
        level = event.get("log_level", LogLevel.info)
        record: dict[str, Any] = {
            "time": datetime.fromtimestamp(event.get("log_time", 0), timezone.utc)
                    .isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": getattr(level, "name", str(level)),
            "namespace": event.get("log_namespace", ""),
            "message": formatEvent(event),
        }
        failure = event.get("log_failure")
        if failure is not None:
            record["traceback"] = failure.getTraceback()
        for key, value in event.items():
            if key in _SKIP or key.startswith("_"):
                continue
            try:
                json.dumps(value)
            except (TypeError, ValueError):
                value = repr(value)
            record[key] = value
        self._out.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._out.flush()


def json_observer() -> JSONLinesObserver:
    """
    The factory C{twistd --logger} takes: JSON lines on standard output.
    """
    return JSONLinesObserver(sys.stdout)
