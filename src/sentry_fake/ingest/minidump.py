"""
Minidumps as Sentry's minidump endpoint takes them: the magic check, the compression containers
Relay unpacks, the header fields Relay reads before symbolication, the placeholder exception a
native crash gets until it is symbolicated, and how the form fields of a Breakpad, Crashpad or
Electron upload become event fields.

Pure functions; no symbolication (stack traces, modules and threads stay in the minidump).
"""

from __future__ import annotations

import bz2
import lzma
import re
import struct
from typing import Any, Iterable

import attrs

from ..errors import Invalid, TooLarge
from ..jsoncodec import loads
from .decoding import decode_content

#: The multipart field of the minidump file.
MINIDUMP_FIELD = "upload_file_minidump"
#: The file name of a minidump sent as the whole request body.
RAW_FILE_NAME = "Minidump"
#: Content types by which a whole-body minidump upload is recognised.
RAW_CONTENT_TYPES = frozenset({"application/octet-stream", "application/x-dmp"})
CONTENT_TYPE = "application/x-dmp"
MAGICS = (b"MDMP", b"PMDM")

# Special file parts (msgpack payloads; kept as attachments, not decoded here).
_ATTACHMENT_TYPES = {
    MINIDUMP_FIELD: "event.minidump",
    "__sentry-event": "event.payload",
    "__sentry-breadcrumb1": "event.breadcrumbs",
    "__sentry-breadcrumb2": "event.breadcrumbs",
    "view-hierarchy.json": "event.view_hierarchy",
}
_GZIP, _XZ, _BZIP2, _ZSTD = b"\x1f\x8b", b"\xfd7zXZ\x00", b"BZh", b"\x28\xb5\x2f\xfd"
_CONTAINER_SUFFIXES = (".gz", ".xz", ".bz2", ".zst")
_MINIDUMP_VERSION = 0xA793
_CRASHPAD_INFO_STREAM = 0x43500001
_BREAKPAD_INFO_STREAM = 0x47670001
_HEADER = struct.Struct("4sIIIII")
_BRACKETS = re.compile(r"\[([^\[\]]*)\]")
# The placeholder exception of a native crash, per kind of crash report.
PLACEHOLDERS = {
    "minidump": ("Minidump", "Invalid Minidump", "minidump"),
    "applecrashreport": ("AppleCrashReport", "Invalid Apple Crash Report", "applecrashreport"),
}


def attachment_type(field_name: str | None) -> str:
    """
    The C{attachment_type} of a file part of a minidump upload, by its field name.
    """
    return _ATTACHMENT_TYPES.get(field_name or "", "event.attachment")


def is_compressed(data: bytes) -> bool:
    return data.startswith((_GZIP, _XZ, _BZIP2, _ZSTD))


def _container_error(cause: str) -> Invalid:
    return Invalid("invalid compression container", causes=[cause])


def _bounded(decompressor: Any, data: bytes, limit: int, name: str) -> bytes:
    try:
        out = decompressor.decompress(data, limit + 1)
    except (lzma.LZMAError, OSError, EOFError, ValueError) as error:
        raise _container_error(f"bad {name} data: {error}")
    if len(out) > limit or not (decompressor.eof or decompressor.needs_input):
        raise TooLarge("failed to read request body", causes=["A payload reached size limit."])
    if not decompressor.eof:
        raise _container_error(f"the {name} stream is truncated")
    return out


def unpack(data: bytes, limit: int) -> bytes:
    """
    A minidump with its compression container (gzip, xz or bzip2), if any, taken off; other
    data as it is.

    @raise Invalid: the data is a container that cannot be read (zstd is recognised but not
        supported here).
    @raise TooLarge: it would inflate past C{limit} bytes.
    """
    if data.startswith(_GZIP):
        try:
            return decode_content(data, "gzip", limit)
        except Invalid as error:
            raise _container_error(error.causes[0] if error.causes else error.detail)
    if data.startswith(_XZ):
        return _bounded(lzma.LZMADecompressor(), data, limit, "xz")
    if data.startswith(_BZIP2):
        return _bounded(bz2.BZ2Decompressor(), data, limit, "bzip2")
    if data.startswith(_ZSTD):
        raise _container_error("zstd compressed minidumps are not supported by this server")
    return data


def strip_container_suffix(filename: str) -> str:
    for suffix in _CONTAINER_SUFFIXES:
        if filename.endswith(suffix):
            return filename[: -len(suffix)]
    return filename


def validate(data: bytes) -> None:
    """
    @raise Invalid: the data does not start with a minidump signature.
    """
    if not data.startswith(MAGICS):
        raise Invalid("invalid minidump",
                      causes=["a minidump starts with MDMP (or PMDM when big-endian)"])


@attrs.frozen
class MinidumpFacts:
    """
    What Relay reads from a minidump before it is symbolicated.
    """

    #: C{TimeDateStamp} of the header (seconds since the epoch), when set.
    timestamp: int | None
    #: C{minidump.crashpad}, C{minidump.breakpad} or C{minidump.unknown}, by its streams.
    sdk_name: str


def read_header(data: bytes) -> MinidumpFacts | None:
    """
    The header facts of a minidump, or C{None} when its header or stream directory is broken.
    """
    if len(data) < 32 or not data.startswith(MAGICS):
        return None
    order = "<" if data.startswith(b"MDMP") else ">"
    header = struct.Struct(order + _HEADER.format)
    _, version, count, directory, _, stamp = header.unpack_from(data, 0)
    if version & 0xFFFF != _MINIDUMP_VERSION or directory + count * 12 > len(data):
        return None
    types = {struct.unpack_from(order + "I", data, directory + 12 * i)[0] for i in range(count)}
    if _CRASHPAD_INFO_STREAM in types:
        sdk = "minidump.crashpad"
    elif _BREAKPAD_INFO_STREAM in types:
        sdk = "minidump.breakpad"
    else:
        sdk = "minidump.unknown"
    return MinidumpFacts(timestamp=stamp or None, sdk_name=sdk)


def write_placeholder(payload: dict[str, Any], kind: str = "minidump") -> dict[str, Any]:
    """
    Mark an event as a native crash awaiting symbolication, as Relay does: platform C{native},
    level C{fatal} unless one was given, and one synthetic unhandled exception.
    """
    exc_type, value, mechanism = PLACEHOLDERS[kind]
    payload["platform"] = "native"
    if not payload.get("level"):
        payload["level"] = "fatal"
    payload["exception"] = {"values": [{
        "type": exc_type, "value": value,
        "mechanism": {"type": mechanism, "handled": False, "synthetic": True},
    }]}
    return payload


def apply_facts(payload: dict[str, Any], facts: MinidumpFacts | None) -> None:
    """
    Take the crash time and the crash reporter's name from the minidump, as Relay does.
    """
    if facts is None:
        return
    if "sdk" not in payload:
        payload["sdk"] = {"name": facts.sdk_name, "version": "0.0.0"}
    if facts.timestamp:
        payload["timestamp"] = facts.timestamp


def merge_values(target: dict[str, Any], source: Any) -> None:
    """
    Deep-merge a JSON object into C{target}; anything but an object replaces what was there.
    """
    if not isinstance(source, dict):
        return
    for key, value in source.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            merge_values(target[key], value)
        else:
            target[key] = value


def _set_nested(target: dict[str, Any], keys: list[str], value: str) -> None:
    for key in keys[:-1]:
        child = target.get(key)
        if not isinstance(child, dict):
            child = target[key] = {}
        target = child
    target[keys[-1]] = value


def _bracket_keys(name: str) -> list[str] | None:
    # "sentry[tags][build]" -> ["tags", "build"]; None for anything else.
    rest = name[6:]
    if not name.startswith("sentry[") or not rest.endswith("]"):
        return None
    keys = _BRACKETS.findall(rest)
    if "".join(f"[{key}]" for key in keys) != rest or not all(keys):
        return None
    return keys


def _json_object(text: str) -> Any:
    try:
        return loads(text)
    except ValueError:
        return None


def event_from_form(fields: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """
    The event fields of a minidump upload's plain form fields, as Relay reads them: C{sentry}
    and C{sentry___<name>} hold event JSON, C{sentry__1}, C{sentry__2}, ... are chunks of one
    event JSON (Electron), C{sentry[key][key]} set single values (Breakpad), and every other
    field goes to C{extra}.  Fields that are not valid JSON where JSON is expected are ignored.
    """
    event: dict[str, Any] = {}
    chunks: dict[int, str] = {}
    for name, value in fields:
        if name == "sentry" or name.startswith("sentry___"):
            merge_values(event, _json_object(value))
        elif name.startswith("sentry__") and name[8:].isdigit():
            chunks[int(name[8:])] = value
        elif (keys := _bracket_keys(name)) is not None:
            _set_nested(event, keys, value)
        else:
            _set_nested(event, ["extra", name], value)
    if chunks:
        merge_values(event, _json_object("".join(chunks[index] for index in sorted(chunks))))
    return event
