"""
Unreal Engine crash reports as the UE4/UE5 crash reporter uploads them: a zlib-compressed
container of files (the minidump or Apple crash report, C{CrashContext.runtime-xml}, logs, the
reporter's ini).  A plain zip of the same files is accepted too (Relay itself takes only the
container).

The container's files become attachments, and the crash context fills the event the way Relay
merges it: message, user, device/os/gpu/game/unreal contexts, level, SDK.  Log files are kept as
attachments but not turned into breadcrumbs.  Pure functions.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from typing import Any
from xml.etree import ElementTree

import attrs

from ..errors import Invalid, TooLarge
from ..jsoncodec import loads
from .minidump import CONTENT_TYPE as MINIDUMP_CONTENT_TYPE

CONTEXT_FILE = "CrashContext.runtime-xml"
SDK_NAME = "unreal.crashreporter"
_SENTRY_KEY = "__sentry"
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
# Runtime properties that Relay moves elsewhere, so they do not repeat in the unreal context.
_MOVED = ("ErrorMessage", "UserName", "MemoryStats.TotalPhysical", "Misc.OSVersionMajor",
          "CrashReportClientVersion", "Modules", "UserDescription")
_GPU = (("RHI.DeviceId", "id"), ("RHI.FeatureLevel", "graphics_shader_level"),
        ("RHI.GPUVendor", "vendor_name"), ("RHI.UserDriverVersion", "version"),
        ("RHI.RHIName", "api_type"))


def _invalid(cause: str) -> Invalid:
    return Invalid("invalid unreal crash report", causes=[cause])


@attrs.frozen
class CrashFile:
    name: str
    data: bytes

    @property
    def attachment_type(self) -> str:
        if self.name == CONTEXT_FILE:
            return "unreal.context"
        if self.name.endswith(".log"):
            return "unreal.logs"
        if self.name == "CrashReportClient.ini":
            return "event.attachment"
        if self.data.startswith(b"MDMP"):
            return "event.minidump"
        if self.data.startswith(b"Incident Identifier:"):
            return "event.applecrashreport"
        return {"__sentry-event": "event.payload", "__sentry-breadcrumb1": "event.breadcrumbs",
                "__sentry-breadcrumb2": "event.breadcrumbs"}.get(self.name, "event.attachment")

    @property
    def content_type(self) -> str:
        return {"unreal.context": "text/xml", "unreal.logs": "text/plain",
                "event.minidump": MINIDUMP_CONTENT_TYPE, "event.applecrashreport": "text/plain",
                "event.payload": "application/x-msgpack",
                "event.breadcrumbs": "application/x-msgpack",
                }.get(self.attachment_type, "application/octet-stream")


def _inflate(body: bytes, limit: int) -> bytes:
    decompressor = zlib.decompressobj()
    try:
        data = decompressor.decompress(body, limit + 1)
    except zlib.error as error:
        raise _invalid(f"bad compression: {error}")
    if len(data) > limit or decompressor.unconsumed_tail:
        raise TooLarge("failed to read request body", causes=["A payload reached size limit."])
    if not decompressor.eof:
        raise _invalid("the compressed report is truncated")
    return data


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, size: int) -> bytes:
        if size < 0 or self.pos + size > len(self.data):
            raise _invalid("the crash container ends early")
        chunk = self.data[self.pos:self.pos + size]
        self.pos += size
        return chunk

    def int32(self) -> int:
        return struct.unpack("<i", self.take(4))[0]

    def string(self) -> str:
        size = struct.unpack("<I", self.take(4))[0]
        return self.take(size).decode("utf-8", "replace").rstrip("\0")


def _container_files(data: bytes) -> list[CrashFile]:
    # Header (directory, name, size, count), the files (index, name, length, bytes), and the
    # header again; the count that matters is the last four bytes.
    if len(data) < 4:
        raise _invalid("the crash container is empty")
    count = struct.unpack("<i", data[-4:])[0]
    reader = _Reader(data)
    reader.string(), reader.string(), reader.int32(), reader.int32()
    files = []
    for _ in range(max(count, 0)):
        reader.int32()
        name = reader.string()
        files.append(CrashFile(name=name, data=reader.take(reader.int32())))
    reader.string(), reader.string(), reader.int32(), reader.int32()
    if reader.pos != len(data):
        raise _invalid("trailing data after the crash container")
    return files


def _zip_files(body: bytes, limit: int) -> list[CrashFile]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(body))
        infos = [info for info in archive.infolist() if not info.is_dir()]
        if sum(info.file_size for info in infos) > limit:
            raise TooLarge("failed to read request body", causes=["A payload reached size limit."])
        return [CrashFile(name=info.filename.rsplit("/", 1)[-1], data=archive.read(info))
                for info in infos]
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as error:
        raise _invalid(f"bad zip archive: {error}")


def crash_files(body: bytes, limit: int) -> list[CrashFile]:
    """
    The files of an Unreal crash report.

    @raise Invalid: the body is neither a UE crash container nor a zip archive.
    @raise TooLarge: it would inflate past C{limit} bytes.
    """
    if not body:
        raise Invalid("empty request body")
    if body.startswith(b"PK\x03\x04"):
        return _zip_files(body, limit)
    return _container_files(_inflate(body, limit))


@attrs.frozen
class CrashContext:
    """
    The sections of C{CrashContext.runtime-xml}, each as element name -> text.
    """

    runtime: dict[str, str]
    engine: dict[str, str]
    game: dict[str, str]


def parse_context(data: bytes) -> CrashContext:
    """
    @raise Invalid: the context is not XML.
    """
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as error:
        raise _invalid(f"bad crash context: {error}")

    def section(name: str) -> dict[str, str]:
        element = root.find(name)
        if element is None:
            return {}
        return {child.tag: (child.text or "").strip() for child in element
                if isinstance(child.tag, str) and not child.tag.startswith("{")}

    return CrashContext(runtime=section("RuntimeProperties"), engine=section("EngineData"),
                        game=section("GameData"))


def _snake(name: str) -> str:
    return _CAMEL.sub("_", name.replace(".", "_")).lower().replace("__", "_")


def _typed(text: str) -> Any:
    if text in ("true", "false"):
        return text == "true"
    if text.lstrip("-").isdigit():
        return int(text)
    return text


def base_event(context: CrashContext | None) -> dict[str, Any]:
    """
    The event JSON a game put into the C{__sentry} game data key, or an empty event.
    """
    text = context.game.get(_SENTRY_KEY) if context else None
    if text:
        try:
            value = loads(text)
        except ValueError:
            value = None
        if isinstance(value, dict):
            return value
    return {}


def apply_user_header(payload: dict[str, Any], user_info: str) -> None:
    """
    The C{UserID} query parameter (C{user id|epic account id|machine id}).
    """
    parts = (user_info.split("|") + ["", ""])[:3]
    if parts[0]:
        payload.setdefault("user", {})["id"] = parts[0]
    tags = payload.setdefault("tags", [])
    if isinstance(tags, dict):
        tags = payload["tags"] = [[key, value] for key, value in tags.items()]
    for name, value in (("epic_account_id", parts[1]), ("machine_id", parts[2])):
        if value:
            tags.append([name, value])


def apply_context(payload: dict[str, Any], context: CrashContext) -> None:
    """
    Merge a crash context into an event, filling only what the event does not already have.
    """
    runtime = dict(context.runtime)
    if runtime.get("ErrorMessage"):
        logentry = payload.setdefault("logentry", {})
        if isinstance(logentry, dict) and not logentry.get("formatted"):
            logentry["formatted"] = runtime["ErrorMessage"]
    user = payload.get("user") if isinstance(payload.get("user"), dict) else {}
    if runtime.get("UserName") and not user.get("username"):
        user["username"] = runtime["UserName"]
    if runtime.get("LoginId") and not user.get("id"):
        user["id"] = runtime["LoginId"]
    if user:
        payload["user"] = user
    contexts = payload.setdefault("contexts", {})
    memory = runtime.get("MemoryStats.TotalPhysical", "")
    if memory.isdigit():
        contexts.setdefault("device", {}).setdefault("memory_size", int(memory))
    if runtime.get("Misc.OSVersionMajor"):
        contexts.setdefault("os", {}).setdefault("raw_description", runtime["Misc.OSVersionMajor"])
    gpu_name = context.engine.get("RHI.AdapterName")
    if not gpu_name:
        gpu_name = runtime.pop("Misc.PrimaryGPUBrand", None)
    if gpu_name:
        contexts.setdefault("gpu", {}).setdefault("name", gpu_name)
    for key, field in _GPU:
        if context.engine.get(key):
            contexts.setdefault("gpu", {}).setdefault(field, context.engine[key])
    if not payload.get("level"):
        if runtime.get("IsAssert") == "true":
            payload["level"] = "error"
        elif runtime.get("IsEnsure") == "true":
            payload["level"] = "warning"
    game = {key: value for key, value in context.game.items() if key != _SENTRY_KEY}
    if game:
        contexts.setdefault("game", {}).update(game)
    payload.setdefault("sdk", {"name": SDK_NAME,
                               "version": runtime.get("CrashReportClientVersion") or "0.0.0"})
    unreal = {_snake(key): _typed(value) for key, value in runtime.items()
              if key not in _MOVED and value != ""}
    if unreal:
        contexts.setdefault("unreal", {}).update(unreal)


def user_report(context: CrashContext, event_id: str) -> dict[str, Any] | None:
    """
    The user feedback a player typed into the crash reporter, as a C{user_report}.
    """
    comments = context.runtime.get("UserDescription")
    if not comments:
        return None
    return {"event_id": event_id, "name": context.runtime.get("UserName") or "unknown",
            "email": "", "comments": comments}
