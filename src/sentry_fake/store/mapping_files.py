"""
Which debug information file an assembled upload is, the way Sentry decides it: a ProGuard (R8)
mapping by its name, a Dart symbol map by its first byte, any other file by what its bytes say
(L{sniff}).

A ProGuard mapping carries no identifier of its own: sentry-cli names the upload
C{/proguard/<UUID>.txt} (the UUID is version 5, of the whole mapping, in the namespace that is
itself the version 5 UUID of C{guardsquare.com} in the DNS namespace), and Sentry takes the
debug id from that name, stores the file as C{proguard-mapping} for the CPU C{any}, and gives
it the one feature C{mapping}.  A Dart symbol map (C{dartsymbolmap.json}) is a JSON array of
strings, obfuscated and original names in pairs; its debug id is the one the client sends (that
of the debug file it belongs to), and it is stored under its file name for the CPU C{any}.
"""

from __future__ import annotations

import posixpath
import re
import uuid

from ..errors import Invalid
from ..jsoncodec import loads
from .bundle_archive import normalize_debug_id
from .object_files import ObjectInfo, sniff

UNSUPPORTED = "Unsupported debug information file"
MISSING_DEBUG_ID = "Missing debug identifier"
MISSING_DART_ID = "Missing debug_id for dartsymbolmap"
ODD_DART_MAP = "dartsymbolmap array must have an even number of elements"
#: The object name Sentry gives every ProGuard mapping.
PROGUARD_OBJECT_NAME = "proguard-mapping"
#: The formats whose debug id is not read from the file's bytes.
MAPPING_FORMATS = ("proguard", "dartsymbolmap")
_PROGUARD_NAME = re.compile(r"/proguard/(?:mapping-)?(.*?)\.txt$")


def proguard_uuid(name: str) -> str | None:
    """
    The debug id a ProGuard mapping's upload name gives (C{.../proguard/UUID.txt} or
    C{.../proguard/mapping-UUID.txt}), or C{None} when the name is not one.
    """
    match = _PROGUARD_NAME.search(name)
    if match is None:
        return None
    try:
        return str(uuid.UUID(match.group(1)))
    except ValueError:
        return None


def identify(data: bytes, name: str, debug_id: str | None) -> tuple[ObjectInfo, str, str]:
    """
    What an assembled debug file is, the name it is stored under and its debug id.

    C{name} and C{debug_id} are what the assemble request said of it; the client's debug id
    wins over the file's own for every format but a ProGuard mapping.

    @raise Invalid: Sentry would refuse the file; C{detail} says why.
    """
    proguard_id = proguard_uuid(name)
    if proguard_id is not None:
        info = ObjectInfo("proguard", None, "any", proguard_id, features=("mapping",))
        return info, PROGUARD_OBJECT_NAME, proguard_id
    if data.startswith(b"["):
        found = normalize_debug_id(debug_id) if debug_id else None
        if found is None:
            raise Invalid(MISSING_DART_ID)
        _check_dart_symbol_map(data)
        info = ObjectInfo("dartsymbolmap", None, "any", found, features=("mapping",))
        return info, posixpath.basename(name) or name, found
    info = sniff(data)
    if info.file_format == "unknown":
        raise Invalid(UNSUPPORTED)
    found = normalize_debug_id(debug_id) or info.debug_id
    if found is None:
        raise Invalid(MISSING_DEBUG_ID)
    return info, name, found


def _check_dart_symbol_map(data: bytes) -> None:
    try:
        entries = loads(data)
    except ValueError as error:
        raise Invalid(f"Invalid dartsymbolmap: {error}")
    if not isinstance(entries, list) or not all(isinstance(entry, str) for entry in entries):
        raise Invalid("Invalid dartsymbolmap: expected a JSON array of strings")
    if len(entries) % 2:
        raise Invalid(ODD_DART_MAP)
