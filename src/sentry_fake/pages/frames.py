"""
Stack traces as Sentry shows them: the exception chain newest first, each exception's frames
most recent call first, in-app frames open with their context lines, runs of other frames
folded away, and each frame's local variables one click away.
"""

from __future__ import annotations

from typing import Any

from twisted.web.template import Tag, tags

from ..jsoncodec import dumps


def value_text(value: Any) -> str:
    """
    A value of an event as text: strings as they are, anything else as JSON.
    """
    if isinstance(value, str):
        return value
    try:
        return dumps(value).decode("utf-8")
    except (TypeError, ValueError):
        return repr(value)


def _location(frame: dict[str, Any]) -> list[Any]:
    where = frame.get("filename") or frame.get("absPath") or frame.get("module") or "<unknown>"
    parts: list[Any] = [tags.span(where, class_="file")]
    if frame.get("function"):
        parts += [tags.span(" in ", class_="muted"), tags.span(frame["function"], class_="fn")]
    if frame.get("lineNo") is not None:
        line = f"{frame['lineNo']}" + (f":{frame['colNo']}" if frame.get("colNo") is not None
                                       else "")
        parts += [tags.span(" at line ", class_="muted"), tags.span(line, class_="lineno")]
    if frame.get("instructionAddr") and frame.get("lineNo") is None:
        parts += [tags.span(" ", class_="muted"), tags.code(frame["instructionAddr"])]
    if frame.get("module") and frame.get("filename"):
        parts.append(tags.span(frame["module"], class_="module"))
    if frame.get("inApp"):
        parts.append(tags.span("In App", class_="badge in-app"))
    return parts


def _context(frame: dict[str, Any]) -> Tag | str:
    lines = frame.get("context") or []
    if not lines:
        return ""
    current = frame.get("lineNo")
    items = [tags.li(text if text is not None else "",
                     **({"class": "active"} if number == current else {}))
             for number, text in lines]
    return tags.ol(*items, start=str(lines[0][0]), class_="context")


def _variables(frame: dict[str, Any]) -> Tag | str:
    variables = frame.get("vars")
    if not isinstance(variables, dict) or not variables:
        return ""
    text = "\n".join(f"{name} = {value_text(value)}" for name, value in variables.items())
    return tags.details(tags.summary(f"Local variables ({len(variables)})"),
                        tags.pre(text, class_="vars"), class_="vars")


def frame_view(frame: dict[str, Any], open_: bool) -> Tag:
    body = [_context(frame), _variables(frame)]
    has_body = any(body)
    kind = "frame in-app" if frame.get("inApp") else "frame system"
    summary = tags.summary(*_location(frame))
    attributes: dict[str, str] = {"class": kind if has_body else kind + " bare"}
    if open_ and has_body:
        attributes["open"] = "open"
    return tags.details(summary, *body, **attributes)


def frames_view(frames: list[dict[str, Any]]) -> Tag:
    """
    A stack trace's frames, most recent call first: in-app frames shown (the most recent one
    open), consecutive other frames folded into one C{<details>}; a trace with no in-app
    frame at all shows every frame.
    """
    ordered = list(reversed(frames))
    any_in_app = any(frame.get("inApp") for frame in ordered)
    out: list[Any] = []
    folded: list[Tag] = []
    opened = False

    def fold() -> None:
        if folded:
            out.append(tags.details(tags.summary(f"{len(folded)} other frame"
                                                 + ("s" if len(folded) != 1 else ""),
                                                 class_="fold-summary"),
                                    *folded, class_="folded"))
            folded.clear()

    for frame in ordered:
        if any_in_app and not frame.get("inApp"):
            folded.append(frame_view(frame, open_=False))
            continue
        fold()
        out.append(frame_view(frame, open_=not opened))
        opened = opened or bool(frame.get("context"))
    fold()
    return tags.div(*out, class_="frames")


def exception_view(value: dict[str, Any], position: str) -> Tag:
    mechanism = value.get("mechanism") or {}
    badges = []
    if mechanism.get("type"):
        badges.append(tags.span(f"mechanism: {mechanism['type']}", class_="badge"))
    if mechanism.get("handled") is False:
        badges.append(tags.span("Unhandled", class_="badge unhandled"))
    elif mechanism.get("handled") is True:
        badges.append(tags.span("Handled", class_="badge"))
    trace = value.get("stacktrace") or {}
    frames = trace.get("frames") or []
    return tags.section(
        tags.div(tags.span(position, class_="position") if position else "",
                 tags.h3(value.get("type") or "Error", class_="exc-type"), *badges,
                 class_="exc-head"),
        tags.p(value["value"], class_="exc-value") if value.get("value") else "",
        frames_view(frames) if frames else tags.p("No stack trace.", class_="muted"),
        class_="exception")


def exception_chain(data: dict[str, Any]) -> Tag:
    """
    Every exception of the chain, the one raised last first (as Sentry shows them).
    """
    values = list(reversed(data.get("values") or []))
    chained = len(values) > 1
    views = []
    for index, value in enumerate(values):
        position = ""
        if chained:
            position = "Raised last" if index == 0 else (
                "Original cause" if index == len(values) - 1 else "While handling")
        views.append(exception_view(value, position))
    return tags.div(*views, class_="chain")
