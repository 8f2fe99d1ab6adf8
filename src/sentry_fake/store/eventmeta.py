"""
The fields Sentry derives to describe an error or message event: title, metadata, culprit and
location.

Error events are named after their main exception: C{"Type: first line of the value"} (the value
cut to 256 characters), or just the type without a value.  A synthetic exception (one an SDK made
up to carry a stack trace, such as the JavaScript SDKs' C{captureMessage}, or a crash signal) is
named after the function of the crash frame when there is one; its metadata says C{synthetic}.
Message events are named after the first line of their message.
"""

from __future__ import annotations

from typing import Any

from .grouping import frames_of, main_exception
from .stackframes import crash_frame, generate_culprit, in_app_mix

TITLE_LIMIT = 256
VALUE_LIMIT = 1024
TYPE_LIMIT = 128


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _stack_frames(holder: object, key: str = "stacktrace") -> list[dict[str, Any]]:
    return frames_of({"stacktrace": holder.get(key)}) if isinstance(holder, dict) else []


def all_stacks(payload: dict[str, Any], values: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """
    Every stack trace of an event: its exceptions', its own and its threads' (raw ones too).
    """
    stacks = []
    holders: list[Any] = list(values)
    threads = payload.get("threads")
    thread_values = threads.get("values") if isinstance(threads, dict) else None
    if isinstance(thread_values, list):
        holders.extend(thread_values)
    for holder in holders:
        stacks.append(_stack_frames(holder))
        stacks.append(_stack_frames(holder, "raw_stacktrace"))
    stacks.append(_stack_frames(payload))
    return [frames for frames in stacks if frames]


def culprit_of(payload: dict[str, Any], values: list[dict[str, Any]]) -> str:
    """
    The culprit: the event's own, else its transaction, else derived from its stack trace (or
    its request URL).
    """
    for key in ("culprit", "transaction"):
        culprit = payload.get(key)
        if isinstance(culprit, str) and key == "transaction":
            culprit = culprit.strip()  # as Relay trims it
        if culprit and isinstance(culprit, str):  # Relay drops one that is not a string
            return culprit
    return generate_culprit(payload, values)


def describe_error(payload: dict[str, Any], values: list[dict[str, Any]]
                   ) -> tuple[str, dict[str, Any], str | None]:
    """
    The title, metadata and location of an error event (one with exceptions).
    """
    main = main_exception(payload, values) or values[-1]
    raw_value = main.get("value")
    value = truncate("" if raw_value is None else str(raw_value), VALUE_LIMIT)
    mechanism = main.get("mechanism")
    synthetic = isinstance(mechanism, dict) and bool(mechanism.get("synthetic"))
    metadata: dict[str, Any] = {
        "value": value, "type": truncate(str(main.get("type") or "Error"), TYPE_LIMIT),
    }
    if synthetic:
        metadata["synthetic"] = True
    frame = crash_frame(payload, frames_of(values[-1]), with_function=True)
    if frame is not None:
        filename = frame.get("filename") or frame.get("abs_path")
        if filename:
            metadata["filename"] = str(filename)
        if frame.get("function"):
            metadata["function"] = str(frame["function"])
    mix = in_app_mix(all_stacks(payload, values))
    if mix:
        metadata["in_app_frame_mix"] = mix
    exc_type = metadata["type"]
    title = f"{exc_type}: {truncate(value.splitlines()[0], TITLE_LIMIT)}" if value else exc_type
    if synthetic:
        title = metadata.get("function") or "<unknown>"
    return title, metadata, metadata.get("filename")


def describe_message(payload: dict[str, Any], message: str) -> tuple[str, dict[str, Any]]:
    """
    The title and metadata of a message event (or any event without exceptions).
    """
    text = message.strip()
    title = truncate(text.splitlines()[0], TITLE_LIMIT) if text else "<unlabeled event>"
    metadata: dict[str, Any] = {"title": title}
    mix = in_app_mix(all_stacks(payload, []))
    if mix:
        metadata["in_app_frame_mix"] = mix
    return title, metadata
