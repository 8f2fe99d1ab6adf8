"""
The message of an event as Relay stores it: C{logentry.formatted}, or the template with its
parameters filled in (Python C{%} style), or the legacy top-level C{message}.
"""

from __future__ import annotations

from typing import Any


def formatted_message(payload: dict[str, Any]) -> str:
    for key in ("logentry", "message"):
        entry = payload.get(key)
        if isinstance(entry, str):
            return entry
        if isinstance(entry, dict):
            formatted = entry.get("formatted")
            if isinstance(formatted, str) and formatted:
                return formatted
            template = entry.get("message")
            if isinstance(template, str):
                params = entry.get("params")
                if params:
                    try:
                        if isinstance(params, dict):
                            return template % params
                        return template % tuple(params)
                    except (TypeError, ValueError, KeyError):
                        return template
                return template
    return ""
