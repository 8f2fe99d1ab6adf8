"""
User feedback as Sentry keeps it: each piece of feedback (a C{feedback} item, or a user report
about an event that arrived) is an event of its own issue, of Sentry's feedback category, titled
with the first words of the message and blamed on the C{user}.
"""

from __future__ import annotations

from typing import Any

from .models import Event
from .normalize import build_event

TITLE = "User Feedback"
#: How many words of the message the issue's title shows.
TITLE_WORDS = 10
MAX_TITLE = 200
#: What Sentry's crash reporters send when nobody typed anything.
_UNATTENDED = "Sent in the unattended mode"


def feedback_context(payload: dict[str, Any]) -> dict[str, Any] | None:
    contexts = payload.get("contexts")
    feedback = contexts.get("feedback") if isinstance(contexts, dict) else None
    return feedback if isinstance(feedback, dict) else None


def title_of(message: str) -> str:
    words = message.split()
    title = f"{TITLE}: {' '.join(words[:TITLE_WORDS])}"
    if len(words) > TITLE_WORDS:
        title += "..."
    return title[:MAX_TITLE]


def feedback_event(project_id: int, payload: dict[str, Any], raw: bytes, received: float,
                   fingerprint: str, header_id: object = None,
                   client_ip: str | None = None) -> Event | None:
    """
    The event a piece of feedback is stored as, or C{None} for one Sentry drops (no message,
    an empty one, or a crash reporter's unattended one).
    """
    feedback = feedback_context(payload)
    message = feedback.get("message") if feedback is not None else None
    if not isinstance(message, str) or not message.strip() or message == _UNATTENDED:
        return None
    event = build_event(project_id, payload, raw, "feedback", received, header_id, client_ip)
    event.type = "feedback"
    event.level = payload.get("level") if payload.get("level") in (
        "debug", "info", "warning", "error", "fatal") else "info"
    event.title, event.culprit, event.message = title_of(message), "user", message
    event.environment = event.environment or "production"
    event.metadata = {"title": event.title, "value": message, "message": message,
                      "source": str(feedback.get("source") or "new_feedback_envelope")}
    for field in ("contact_email", "name", "associated_event_id"):
        if isinstance(feedback.get(field), str) and feedback[field]:
            event.metadata[field] = feedback[field]
    event.hashes.append(fingerprint)
    return event


def report_payload(report: dict[str, Any], event: Event | None) -> dict[str, Any]:
    """
    The feedback a user report (C{event_id}, C{name}, C{email}, C{comments}) makes about the
    event it names, as Sentry turns one into the other.
    """
    feedback: dict[str, Any] = {"message": str(report.get("comments") or ""),
                                "source": "user_report_envelope"}
    if report.get("name"):
        feedback["name"] = str(report["name"])
    if report.get("email"):
        feedback["contact_email"] = str(report["email"])
    payload: dict[str, Any] = {"contexts": {"feedback": feedback}, "level": "info"}
    if event is not None:
        feedback["associated_event_id"] = event.event_id
        payload.update(timestamp=event.timestamp, platform=event.platform)
        for field in ("environment", "release"):
            if getattr(event, field):
                payload[field] = getattr(event, field)
        if event.trace_id:
            payload["contexts"]["trace"] = {"trace_id": event.trace_id,
                                            "span_id": event.span_id}
    return payload
