"""
What a debug information file is, read from its bytes the way Sentry's symbolic library reads it:
its format (C{elf}, C{macho}, ...), its object kind (C{exe}, C{dbg}, C{lib}, C{rel}, C{src},
C{other}, C{none}), its CPU, its debug and code identifiers and which debug features it holds.

ELF files are read fully (build id, or a hash of the first page of C{.text} when there is none;
symbol tables, DWARF and unwind sections); Mach-O gets its C{LC_UUID}, CPU and file type; the
other formats are recognised by their magic.  Anything unreadable is C{unknown}/C{other}, and the
debug id the client sent is used where the file does not say one.
"""

from __future__ import annotations

import struct
import uuid
from typing import Iterator

import attrs

#: The C{Content-Type} Sentry stores with each debug file format.
CONTENT_TYPES = {
    "elf": "application/x-elf-binary",
    "macho": "application/x-mach-binary",
    "pe": "application/x-dosexec",
    "pdb": "application/x-ms-pdb",
    "portablepdb": "application/x-portable-pdb",
    "breakpad": "text/x-breakpad",
    "sourcebundle": "application/x-sentry-bundle+zip",
    "wasm": "application/wasm",
    "proguard": "text/x-proguard+plain",
    "dartsymbolmap": "application/x-dartsymbolmap+json",
    "unknown": "application/octet-stream",
}

_ELF_MACHINES = {3: "x86", 62: "x86_64", 40: "arm", 183: "arm64", 8: "mips", 20: "ppc",
                 21: "ppc64", 243: "riscv64"}
_ELF_KINDS = {1: "rel", 2: "exe", 3: "lib", 4: "other"}
_MACHO_CPUS = {7: "x86", 0x01000007: "x86_64", 12: "arm", 0x0100000C: "arm64",
               0x0200000C: "arm64_32", 18: "ppc", 0x01000012: "ppc64"}
_MACHO_KINDS = {1: "rel", 2: "exe", 6: "lib", 8: "lib", 9: "lib", 10: "dbg"}
_PE_MACHINES = {0x14C: "x86", 0x8664: "x86_64", 0x1C0: "arm", 0x1C4: "arm", 0xAA64: "arm64"}
_NT_GNU_BUILD_ID = 3
_SHT_NOTE, _SHT_NOBITS, _SHT_SYMTAB = 7, 8, 2
_PT_INTERP = 3
_PAGE = 4096


@attrs.frozen
class ObjectInfo:
    """
    What a debug information file says about itself.
    """

    file_format: str
    #: C{None} for the mappings (ProGuard, Dart symbol maps), which Sentry gives no kind.
    kind: str | None
    arch: str
    debug_id: str | None = None
    code_id: str | None = None
    features: tuple[str, ...] = ()

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES.get(self.file_format, CONTENT_TYPES["unknown"])


def debug_id_from_bytes(identifier: bytes, little_endian: bool) -> str:
    """
    The debug id of an ELF identifier (build id or text hash): its first 16 bytes as a UUID, with
    the first three fields swapped to network order on little-endian targets, as Breakpad does.
    """
    data = bytearray(identifier[:16].ljust(16, b"\0"))
    if little_endian:
        data[0:4] = data[0:4][::-1]
        data[4:6] = data[4:6][::-1]
        data[6:8] = data[6:8][::-1]
    return str(uuid.UUID(bytes=bytes(data)))


def sniff(data: bytes) -> ObjectInfo:
    """
    Read what C{data} is; never raises (an unreadable file is C{unknown}).
    """
    try:
        if data.startswith(b"\x7fELF"):
            return _elf(data)
        if data[:4] in (b"\xfe\xed\xfa\xce", b"\xce\xfa\xed\xfe", b"\xfe\xed\xfa\xcf",
                        b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe"):
            return _macho(data)
        if data.startswith(b"MZ"):
            return _pe(data)
    except Exception:
        # Whatever a malformed header makes the readers trip on, the file is unreadable.
        return ObjectInfo("unknown", "other", "unknown")
    if data.startswith(b"Microsoft C/C++ MSF 7.00"):
        return ObjectInfo("pdb", "dbg", "unknown", features=("debug",))
    if data.startswith(b"BSJB"):
        return ObjectInfo("portablepdb", "dbg", "unknown", features=("debug",))
    if data.startswith(b"\0asm"):
        return ObjectInfo("wasm", "exe", "wasm32")
    if data.startswith(b"SYSB") or data.startswith(b"PK\x03\x04"):
        return ObjectInfo("sourcebundle", "src", "any", features=("sources",))
    if data.startswith(b"MODULE "):
        return _breakpad(data)
    return ObjectInfo("unknown", "other", "unknown")


# ELF


def _elf(data: bytes) -> ObjectInfo:
    is64 = data[4] == 2
    endian = "<" if data[5] == 1 else ">"
    e_type, e_machine = struct.unpack_from(endian + "HH", data, 16)
    if is64:
        shoff, = struct.unpack_from(endian + "Q", data, 0x28)
        shentsize, shnum, shstrndx = struct.unpack_from(endian + "HHH", data, 0x3A)
    else:
        shoff, = struct.unpack_from(endian + "I", data, 0x20)
        shentsize, shnum, shstrndx = struct.unpack_from(endian + "HHH", data, 0x2E)
    sections = list(_elf_sections(data, endian, is64, shoff, shentsize, shnum))
    names = sections[shstrndx][3] if 0 <= shstrndx < len(sections) else None

    def name_of(offset: int) -> str:
        if names is None:
            return ""
        start = names + offset
        return data[start:data.index(b"\0", start)].decode("latin-1")

    by_name = {name_of(name): (sh_type, offset, size) for name, sh_type, _, offset, size in sections}

    def holds(section: str) -> bool:
        found = by_name.get(section)
        return found is not None and found[0] != _SHT_NOBITS and found[2] > 0

    build_id = _build_id(data, endian, sections)
    little = endian == "<"
    if build_id and any(build_id):
        debug_id = debug_id_from_bytes(build_id, little)
    else:
        text = by_name.get(".text")
        debug_id = None
        if text is not None and text[0] != _SHT_NOBITS and text[2] > 0:
            digest = bytearray(16)
            for index, byte in enumerate(data[text[1]:text[1] + min(text[2], _PAGE)]):
                digest[index % 16] ^= byte
            debug_id = debug_id_from_bytes(bytes(digest), little)
    features = []
    if any(s[1] == _SHT_SYMTAB and s[4] > 0 for s in sections):
        features.append("symtab")
    if holds(".debug_info") or holds(".zdebug_info"):
        features.append("debug")
    if holds(".eh_frame") or holds(".debug_frame"):
        features.append("unwind")
    kind = _ELF_KINDS.get(e_type, "other")
    text = by_name.get(".text")
    # A file split off with objcopy --only-keep-debug keeps its type: an executable without an
    # interpreter, or a library without code, is taken for such a debug companion.
    if kind == "exe" and not _has_interpreter(data, endian, is64):
        kind = "dbg"
    elif kind == "lib" and (text is None or text[0] == _SHT_NOBITS):
        kind = "dbg"
    return ObjectInfo("elf", kind, _ELF_MACHINES.get(e_machine, "unknown"), debug_id,
                      build_id.hex() if build_id else None, tuple(features))


def _elf_sections(data: bytes, endian: str, is64: bool, shoff: int, shentsize: int,
                  shnum: int) -> Iterator[tuple[int, int, int, int, int]]:
    """
    (name offset, type, flags, file offset, size) of each section header.
    """
    layout = endian + ("IIQQQQ" if is64 else "IIIIII")
    for index in range(shnum):
        name, sh_type, flags, _, offset, size = struct.unpack_from(
            layout, data, shoff + index * shentsize)
        yield name, sh_type, flags, offset, size


def _has_interpreter(data: bytes, endian: str, is64: bool) -> bool:
    if is64:
        phoff, = struct.unpack_from(endian + "Q", data, 0x20)
        phentsize, phnum = struct.unpack_from(endian + "HH", data, 0x36)
    else:
        phoff, = struct.unpack_from(endian + "I", data, 0x1C)
        phentsize, phnum = struct.unpack_from(endian + "HH", data, 0x2A)
    return any(struct.unpack_from(endian + "I", data, phoff + index * phentsize)[0] == _PT_INTERP
               for index in range(phnum))


def _build_id(data: bytes, endian: str, sections: list[tuple[int, int, int, int, int]]) -> bytes | None:
    for _, sh_type, _, offset, size in sections:
        if sh_type != _SHT_NOTE:
            continue
        position, end = offset, offset + size
        while position + 12 <= end:
            namesz, descsz, note_type = struct.unpack_from(endian + "III", data, position)
            name_start = position + 12
            desc_start = name_start + ((namesz + 3) & ~3)
            owner = data[name_start:name_start + namesz].rstrip(b"\0")
            if note_type == _NT_GNU_BUILD_ID and owner == b"GNU":
                return data[desc_start:desc_start + descsz]
            position = desc_start + ((descsz + 3) & ~3)
    return None


# Mach-O, PE, Breakpad


def _macho(data: bytes) -> ObjectInfo:
    if data[:4] == b"\xca\xfe\xba\xbe":
        # A fat (universal) file: describe its first architecture (which must lie after the
        # fat header, or the file is not one).
        offset, = struct.unpack_from(">I", data, 16)
        if offset < 8 or data[offset:offset + 4] == b"\xca\xfe\xba\xbe":
            raise ValueError("a fat Mach-O whose first architecture is not a thin one")
        return _macho(data[offset:])
    magic = data[:4]
    endian = "<" if magic in (b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe") else ">"
    is64 = magic in (b"\xfe\xed\xfa\xcf", b"\xcf\xfa\xed\xfe")
    cputype, _, filetype, ncmds, _ = struct.unpack_from(endian + "iiIII", data, 4)
    position = 32 if is64 else 28
    debug_id = None
    segments: list[bytes] = []
    for _ in range(ncmds):
        cmd, cmdsize = struct.unpack_from(endian + "II", data, position)
        if cmd == 0x1B:  # LC_UUID
            debug_id = str(uuid.UUID(bytes=data[position + 8:position + 24]))
        elif cmd in (0x1, 0x19):  # LC_SEGMENT, LC_SEGMENT_64
            segments.append(data[position + 8:position + 24].rstrip(b"\0"))
        position += max(cmdsize, 8)
    features = ["debug"] if b"__DWARF" in segments else []
    return ObjectInfo("macho", _MACHO_KINDS.get(filetype, "other"),
                      _MACHO_CPUS.get(cputype & 0xFFFFFFFF, "unknown"), debug_id,
                      debug_id.replace("-", "") if debug_id else None, tuple(features))


def _pe(data: bytes) -> ObjectInfo:
    pe_offset, = struct.unpack_from("<I", data, 0x3C)
    if data[pe_offset:pe_offset + 4] != b"PE\0\0":
        raise ValueError("not a PE file")
    machine, = struct.unpack_from("<H", data, pe_offset + 4)
    characteristics, = struct.unpack_from("<H", data, pe_offset + 22)
    kind = "lib" if characteristics & 0x2000 else "exe"
    return ObjectInfo("pe", kind, _PE_MACHINES.get(machine, "unknown"))


def _breakpad(data: bytes) -> ObjectInfo:
    line = data.split(b"\n", 1)[0].decode("utf-8", "replace").split()
    arch = line[2] if len(line) > 2 else "unknown"
    debug_id = None
    if len(line) > 3 and len(line[3]) >= 32:
        try:
            debug_id = str(uuid.UUID(line[3][:32]))
        except ValueError:
            debug_id = None
    return ObjectInfo("breakpad", "dbg", arch, debug_id, features=("symtab",))
