"""
User feedback (C{/organizations/{org}/feedback/}): the user reports SDKs send (C{user_report}
items and the older endpoint) and the newer C{feedback} items, newest first.
"""

from __future__ import annotations

from typing import Any, Sequence

import attrs
from twisted.web.template import Tag, tags

from ..jsoncodec import loads
from ..store.models import CapturedItem
from ..store.normalize import normalize_event_id
from . import links
from .format import when


@attrs.frozen
class Feedback:
    kind: str
    name: str
    email: str
    message: str
    url: str
    event_id: str | None
    received: float
    project_id: int


def feedback_of(item: CapturedItem) -> Feedback:
    """
    What a person said, from a C{user_report} or a C{feedback} item.
    """
    try:
        payload = loads(item.payload)
    except ValueError:
        payload = {}
    payload = payload if isinstance(payload, dict) else {}
    if item.type == "feedback":
        contexts = payload.get("contexts")
        context = contexts.get("feedback") if isinstance(contexts, dict) else None
        context = context if isinstance(context, dict) else {}
        return Feedback(kind="feedback", name=str(context.get("name") or ""),
                        email=str(context.get("contact_email") or ""),
                        message=str(context.get("message") or ""),
                        url=str(context.get("url") or ""),
                        event_id=normalize_event_id(context.get("associated_event_id")),
                        received=item.received, project_id=item.project_id)
    return Feedback(kind="user report", name=str(payload.get("name") or ""),
                    email=str(payload.get("email") or ""),
                    message=str(payload.get("comments") or ""), url="",
                    event_id=normalize_event_id(payload.get("event_id")) or item.event_id,
                    received=item.received, project_id=item.project_id)


def feedback_content(org: str, entries: Sequence[tuple[Feedback, Any, int | None]],
                     pager: Tag, now: float) -> Tag:
    """
    C{entries}: each feedback with its project and the issue of its event (if stored).
    """
    cards = []
    for entry, project, issue_id in entries:
        who = " ".join(part for part in (entry.name, f"<{entry.email}>" if entry.email else "")
                       if part) or "Anonymous"
        about: list[Any] = []
        if entry.event_id and issue_id is not None:
            about.append(tags.a("the event", href=links.event_url(org, issue_id, entry.event_id)))
        elif entry.event_id:
            about.append(tags.code(entry.event_id[:8]))
        cards.append(tags.article(
            tags.div(tags.span(who, class_="who"), tags.span(entry.kind, class_="badge"),
                     tags.span(project.slug if project is not None else "", class_="project"),
                     when(entry.received, now), class_="meta"),
            tags.p(entry.message or "(no message)", class_="feedback-message"),
            tags.div(*([tags.span("on ", tags.code(entry.url))] if entry.url else []),
                     *([tags.span(" about ", *about)] if about else []), class_="muted"),
            class_="panel feedback"))
    if not cards:
        cards = [tags.div("No feedback yet: the SDKs' user feedback widget and "
                          "capture_user_feedback send it here.", class_="panel empty")]
    return tags.div(tags.div(tags.h1("User Feedback"), class_="page-head"), *cards, pager,
                    class_="feedback-page")
