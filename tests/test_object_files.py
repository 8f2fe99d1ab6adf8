"""
Reading debug information files: what the fake says of real objects the system C compiler
builds must be what sentry-cli (symbolic) says of them with C{debug-files check --json}.
"""

import json
import os
import shutil
import struct

import pytest
import pytest_twisted
from twisted.internet.utils import getProcessOutputAndValue

from sentry_fake.store.object_files import debug_id_from_bytes, sniff

from sentry_cli_runner import sentry_cli_path

SOURCE = "int answer(int x) { return x * 42 + 1; }\nint main(void) { return answer(1) == 43 ? 0 : 1; }\n"
KINDS = {"object": "rel", "executable": "exe", "library": "lib", "debug companion": "dbg"}


def compiler() -> str:
    found = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if not found:
        pytest.skip("no C compiler on this machine to build object files with")
    return found


async def run(executable, *args):
    out, err, code = await getProcessOutputAndValue(executable, list(args), env=dict(os.environ))
    assert code == 0, (args, err)
    return out


@pytest_twisted.ensureDeferred
async def test_elf_files_read_as_symbolic_reads_them(tmp_path):
    cc = compiler()
    source = tmp_path / "tiny.c"
    source.write_text(SOURCE)
    built = {
        "tiny.o": ["-g", "-c", str(source), "-o"],
        "tiny": ["-g", str(source), "-o"],
        "libtiny.so": ["-g", "-shared", "-fPIC", str(source), "-o"],
    }
    for name, args in built.items():
        await run(cc, *args, str(tmp_path / name))
    objcopy = shutil.which("objcopy")
    if objcopy:
        await run(objcopy, "--only-keep-debug", str(tmp_path / "tiny"), str(tmp_path / "tiny.debug"))
        built["tiny.debug"] = []
    cli = sentry_cli_path()
    for name in built:
        path = tmp_path / name
        checked = json.loads(await run(cli, "debug-files", "check", "--json", str(path)))
        info = sniff(path.read_bytes())
        (variant,) = checked["variants"]
        assert info.file_format == checked["type"] == "elf", name
        assert info.debug_id == variant["debug_id"], name
        assert info.code_id == variant["code_id"], name
        assert info.arch == variant["arch"], name
        assert ", ".join(info.features) == checked["features"], name
        # The kind shows in the human-readable check ("Type: elf object").
        text = (await run(cli, "debug-files", "check", str(path))).decode()
        kind = next(line.split("elf ", 1)[1] for line in text.splitlines() if "Type:" in line)
        assert info.kind == KINDS[kind], name


def test_debug_ids_swap_the_first_fields_on_little_endian_targets():
    identifier = bytes(range(16))
    assert debug_id_from_bytes(identifier, False) == "00010203-0405-0607-0809-0a0b0c0d0e0f"
    assert debug_id_from_bytes(identifier, True) == "03020100-0504-0706-0809-0a0b0c0d0e0f"
    assert debug_id_from_bytes(b"\x01\x02", False) == "01020000-0000-0000-0000-000000000000"


def test_other_formats_by_their_magic():
    assert sniff(b"Microsoft C/C++ MSF 7.00\r\n\x1aDS\0\0\0").file_format == "pdb"
    assert (sniff(b"\0asm\x01\0\0\0").file_format, sniff(b"\0asm\x01\0\0\0").kind) == ("wasm", "exe")
    assert sniff(b"SYSB\x02\0\0\0").kind == "src"
    assert sniff(b"nothing known").file_format == "unknown"
    assert sniff(b"\x7fELF truncated").file_format == "unknown"
    # A thin 64-bit Mach-O dSYM with an LC_UUID.
    uuid_bytes = bytes(range(16, 32))
    command = struct.pack("<II", 0x1B, 24) + uuid_bytes
    header = struct.pack("<IiiIIII", 0xFEEDFACF, 0x0100000C, 0, 10, 1, len(command), 0) + b"\0" * 4
    macho = sniff(header + command)
    assert (macho.file_format, macho.kind, macho.arch) == ("macho", "dbg", "arm64")
    assert macho.debug_id == "10111213-1415-1617-1819-1a1b1c1d1e1f"
    # A PE DLL for x86_64.
    pe = bytearray(0x100)
    pe[0:2] = b"MZ"
    struct.pack_into("<I", pe, 0x3C, 0x80)
    pe[0x80:0x84] = b"PE\0\0"
    struct.pack_into("<H", pe, 0x84, 0x8664)
    struct.pack_into("<H", pe, 0x80 + 22, 0x2000)
    assert (sniff(bytes(pe)).file_format, sniff(bytes(pe)).kind, sniff(bytes(pe)).arch) == (
        "pe", "lib", "x86_64")
