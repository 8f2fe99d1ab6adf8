"""
Native crash uploads: minidumps (raw, multipart, compressed), Unreal Engine crash reports and
attachments posted for an event, each checked through the inspection and management APIs.
"""

import base64
import bz2
import gzip
import io
import lzma
import struct
import uuid
import zipfile
import zlib

import pytest
import pytest_twisted

from conftest import NOW

QUERY_AUTH = "?sentry_key=parlel&sentry_version=7"
HEADER_AUTH = {"X-Sentry-Auth": "Sentry sentry_key=parlel, sentry_version=7"}
CRASHPAD_INFO = 0x43500001
BREAKPAD_INFO = 0x47670001


def minidump(stamp=int(NOW) - 60, stream=CRASHPAD_INFO):
    """
    A minimal little-endian minidump: header, one stream directory entry, four stream bytes.
    """
    header = struct.pack("<4sIIIIIQ", b"MDMP", 0xA793, 1, 32, 0, stamp, 0)
    return header + struct.pack("<III", stream, 4, 44) + b"\xff\xfe\x00\x01"


def form(*parts, boundary="sentryfakeBoundary"):
    """
    A multipart/form-data body; each part is (name, value) or (name, value, filename, type).
    """
    chunks = []
    for name, value, *file in parts:
        disposition = f'form-data; name="{name}"'
        lines = []
        if file:
            disposition += f'; filename="{file[0]}"'
            lines.append(f"Content-Type: {file[1]}")
        head = "\r\n".join([f"Content-Disposition: {disposition}"] + lines)
        data = value if isinstance(value, bytes) else value.encode()
        chunks.append(b"--%s\r\n%s\r\n\r\n%s\r\n" % (boundary.encode(), head.encode(), data))
    body = b"".join(chunks) + b"--%s--\r\n" % boundary.encode()
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


async def post(api, path, body, headers=None):
    return await api.request("POST", path, body=body, headers=headers or {}, token=None)


async def items(api, item_type="attachment"):
    return (await api.request("GET", f"/__parlel/items?type={item_type}")).json()["items"]


def payload_bytes(item):
    if item["payload_encoding"] == "base64":
        return base64.b64decode(item["payload"])
    return item["payload"].encode()


def event_id_of(answer):
    assert answer.code == 200, answer
    assert answer.header("content-type").startswith("text/plain")
    text = answer.content.decode()
    assert str(uuid.UUID(text)) == text
    return text.replace("-", "")


@pytest_twisted.ensureDeferred
async def test_multipart_minidump_becomes_a_fatal_native_event(api):
    dump = minidump()
    body, headers = form(
        ("sentry", '{"release": "app@2.0", "tags": {"build": "nightly"}, "user": {"id": "42"}}'),
        ("sentry[environment]", "staging"),
        ("sentry[tags][gpu]", "radeon"),
        ("prod", "Crashpad-App"),
        ("upload_file_minidump", dump, "crash.dmp", "application/octet-stream"),
        ("log", b"last words\n", "app.log", "text/plain"),
    )
    event_id = event_id_of(await post(api, "/api/1/minidump/" + QUERY_AUTH, body, headers))

    event = (await api.request("GET", f"/__parlel/events/{event_id}")).json()
    assert event["platform"] == "native"
    assert event["level"] == "fatal"
    assert event["exception"]["values"] == [{
        "type": "Minidump", "value": "Invalid Minidump",
        "mechanism": {"type": "minidump", "handled": False, "synthetic": True}}]
    # The title comes from the placeholder (nothing is symbolicated here); how a synthetic
    # exception is titled is the normalizer's business, so only its value is checked.
    assert event["metadata"]["value"] == "Invalid Minidump"
    assert event["release"] == "app@2.0" and event["environment"] == "staging"
    assert event["extra"] == {"prod": "Crashpad-App"}
    assert event["sdk"] == {"name": "minidump.crashpad", "version": "0.0.0"}
    assert event["timestamp"] == NOW - 60
    tags = dict(event["tags"])
    assert tags["build"] == "nightly" and tags["gpu"] == "radeon" and tags["level"] == "fatal"

    kept = await items(api)
    assert [(i["headers"]["filename"], i["headers"]["attachment_type"], i["event_id"])
            for i in kept] == [("crash.dmp", "event.minidump", event_id),
                               ("app.log", "event.attachment", event_id)]
    assert kept[0]["payload_encoding"] == "base64"
    assert payload_bytes(kept[0]) == dump
    assert payload_bytes(kept[1]) == b"last words\n"

    issues = (await api.request("GET", "/api/0/projects/parlel/parlel/issues/")).json()
    assert [(i["title"], i["level"], i["isUnhandled"]) for i in issues] == [
        (event["title"], "fatal", True)]


@pytest.mark.parametrize("content_type", ["application/octet-stream", "application/x-dmp", None])
@pytest_twisted.ensureDeferred
async def test_raw_minidump_body_with_header_auth(api, content_type):
    dump = minidump(stream=BREAKPAD_INFO)
    headers = dict(HEADER_AUTH, **({"Content-Type": content_type} if content_type else {}))
    event_id = event_id_of(await post(api, "/api/1/minidump", dump, headers))
    event = (await api.request("GET", f"/__parlel/events/{event_id}")).json()
    assert event["sdk"]["name"] == "minidump.breakpad"
    [item] = await items(api)
    assert item["headers"]["filename"] == "Minidump"
    assert payload_bytes(item) == dump


@pytest.mark.parametrize("compress, suffix", [
    (gzip.compress, ".gz"), (lzma.compress, ".xz"), (bz2.compress, ".bz2")])
@pytest_twisted.ensureDeferred
async def test_compressed_minidump_is_unpacked(api, compress, suffix):
    dump = minidump()
    body, headers = form(("upload_file_minidump", compress(dump), "crash.dmp" + suffix,
                          "application/octet-stream"))
    event_id_of(await post(api, "/api/1/minidump/" + QUERY_AUTH, body, headers))
    [item] = await items(api)
    assert item["headers"]["filename"] == "crash.dmp"
    assert payload_bytes(item) == dump


@pytest_twisted.ensureDeferred
async def test_minidump_event_id_from_the_sentry_field_and_electron_chunks(api):
    wanted = "0123456789abcdef0123456789abcdef"
    body, headers = form(("sentry__2", '"release": "chunked@1"}'),
                         ("sentry__1", '{"event_id": "%s", ' % wanted),
                         ("upload_file_minidump", minidump(), "m.dmp", "application/x-dmp"))
    assert event_id_of(await post(api, "/api/1/minidump/" + QUERY_AUTH, body, headers)) == wanted
    event = (await api.request("GET", f"/__parlel/events/{wanted}")).json()
    assert event["release"] == "chunked@1"


@pytest.mark.parametrize("body, content_type, detail", [
    (b"", "application/octet-stream", "empty request body"),
    (b"not a minidump", "application/octet-stream", "invalid minidump"),
    (b"\x1f\x8bgarbage", "application/octet-stream", "invalid compression container"),
    (form(("other", b"MDMP", "x.dmp", "application/x-dmp"))[0],
     "multipart/form-data; boundary=sentryfakeBoundary", "missing minidump"),
    (form(("upload_file_minidump", b"ELF....", "x.dmp", "application/x-dmp"))[0],
     "multipart/form-data; boundary=sentryfakeBoundary", "invalid minidump"),
])
@pytest_twisted.ensureDeferred
async def test_minidump_errors(api, store, body, content_type, detail):
    answer = await post(api, "/api/1/minidump/" + QUERY_AUTH, body, {"Content-Type": content_type})
    assert answer.code == 400, answer
    assert answer.json()["detail"] == detail
    assert answer.header("access-control-allow-origin") == "*"
    assert list(store.events()) == [] and list(store.items()) == []


def ue_string(text):
    data = text.encode() + b"\0"
    return struct.pack("<I", len(data)) + data


def ue_crash(files, directory="CrashReport-UE4-YetAnother"):
    """
    The UE crash reporter's container: header, files, header again; zlib-compressed.
    """
    header = (ue_string(directory) + ue_string("UE4CC-Windows-ABC")
              + struct.pack("<ii", 0, len(files)))
    body = b"".join(struct.pack("<i", index) + ue_string(name) + struct.pack("<i", len(data)) + data
                    for index, (name, data) in enumerate(files))
    return zlib.compress(header + body + header)


CONTEXT = b"""<?xml version="1.0" encoding="UTF-8"?>
<FGenericCrashContext>
\t<RuntimeProperties>
\t\t<CrashGUID>UE4CC-Windows-ABC</CrashGUID>
\t\t<IsAssert>true</IsAssert>
\t\t<UserName>bruno</UserName>
\t\t<MemoryStats.TotalPhysical>6896832512</MemoryStats.TotalPhysical>
\t\t<Misc.OSVersionMajor>Windows 10</Misc.OSVersionMajor>
\t\t<Misc.PrimaryGPUBrand>Parallels Display Adapter (WDDM)</Misc.PrimaryGPUBrand>
\t\t<ErrorMessage>Access violation - code c0000005 (first/second chance not available)</ErrorMessage>
\t\t<CrashReportClientVersion>1.0</CrashReportClientVersion>
\t\t<UserDescription>it froze when I jumped</UserDescription>
\t\t<Misc.CPUBrand>Intel(R) Core(TM) i7-7920HQ CPU @ 3.10GHz</Misc.CPUBrand>
\t</RuntimeProperties>
\t<GameData>
\t\t<Level>Forest</Level>
\t</GameData>
</FGenericCrashContext>
"""


@pytest_twisted.ensureDeferred
async def test_unreal_crash_report(api):
    dump = minidump()
    files = [("CrashContext.runtime-xml", CONTEXT), ("YetAnother.log", b"[2024] LogInit: hi\n"),
             ("UE4Minidump.dmp", dump), ("CrashReportClient.ini", b"[General]\n")]
    answer = await post(api, "/api/1/unreal/parlel/?UserID=u-7|epic-9|machine-3", ue_crash(files))
    event_id = event_id_of(answer)

    event = (await api.request("GET", f"/__parlel/events/{event_id}")).json()
    assert event["platform"] == "native"
    assert event["level"] == "error"  # an assert, not a fatal crash
    assert event["exception"]["values"][0]["type"] == "Minidump"
    assert event["logentry"]["formatted"].startswith("Access violation")
    # Relay's normalized user carries the key Sentry's user tag is made of.
    assert event["user"] == {"id": "u-7", "username": "bruno", "sentry_user": "id:u-7"}
    tags = dict(event["tags"])
    assert tags["epic_account_id"] == "epic-9" and tags["machine_id"] == "machine-3"
    contexts = event["contexts"]
    # Relay types each context by its key, and reads the OS from its description.
    assert contexts["device"] == {"memory_size": 6896832512, "type": "device"}
    assert contexts["os"] == {"raw_description": "Windows 10", "type": "os",
                              "name": "Windows", "version": "10", "os": "Windows 10"}
    assert contexts["gpu"] == {"name": "Parallels Display Adapter (WDDM)", "type": "gpu"}
    assert contexts["game"] == {"Level": "Forest", "type": "game"}
    assert contexts["unreal"]["misc_cpu_brand"].startswith("Intel(R)")
    assert contexts["unreal"]["is_assert"] is True
    assert event["sdk"] == {"name": "unreal.crashreporter", "version": "1.0"}

    kept = {i["headers"]["filename"]: i for i in await items(api)}
    assert {name: i["headers"]["attachment_type"] for name, i in kept.items()} == {
        "CrashContext.runtime-xml": "unreal.context", "YetAnother.log": "unreal.logs",
        "UE4Minidump.dmp": "event.minidump", "CrashReportClient.ini": "event.attachment"}
    assert payload_bytes(kept["UE4Minidump.dmp"]) == dump
    assert payload_bytes(kept["CrashContext.runtime-xml"]) == CONTEXT
    assert all(i["event_id"] == event_id for i in kept.values())
    [report] = await items(api, "user_report")
    assert report["payload"] == {"event_id": event_id, "name": "bruno", "email": "",
                                 "comments": "it froze when I jumped"}


@pytest_twisted.ensureDeferred
async def test_unreal_zip_and_errors(api, store):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("CrashReport/CrashContext.runtime-xml", CONTEXT)
    event_id = event_id_of(await post(api, "/api/1/unreal/parlel/", archive.getvalue()))
    assert store.event(event_id).title.startswith("Access violation")

    for body, detail in [(b"", "empty request body"), (b"junk", "invalid unreal crash report"),
                         (zlib.compress(b"\x05\x00\x00\x00ab"), "invalid unreal crash report")]:
        answer = await post(api, "/api/1/unreal/parlel/", body)
        assert answer.code == 400, answer
        assert answer.json()["detail"] == detail
    # The crash and the feedback its player typed; nothing from the refused requests.
    kinds = [event.type for event in store.events()]
    assert len(kinds) == 2 and kinds.count("feedback") == 1


@pytest_twisted.ensureDeferred
async def test_attachments_for_an_event_not_seen_yet(api):
    event_id = "9ec79c33ec9942ab8353589fcb2e04dc"
    body, headers = form(("note", b"hello", "note.txt", "text/plain"),
                         ("blob", b"\x00\xff\x10", "blob.bin", "application/octet-stream"),
                         ("comment", "not a file"))
    hyphenated = str(uuid.UUID(event_id))
    answer = await post(api, f"/api/1/events/{hyphenated}/attachments/" + QUERY_AUTH, body,
                        headers)
    assert answer.code == 201, answer
    assert answer.content == b""
    kept = await items(api)
    assert [(i["headers"]["filename"], i["event_id"], payload_bytes(i)) for i in kept] == [
        ("note.txt", event_id, b"hello"), ("blob.bin", event_id, b"\x00\xff\x10")]
    assert kept[1]["headers"]["attachment_type"] == "event.attachment"


@pytest_twisted.ensureDeferred
async def test_attachment_errors(api):
    body, headers = form(("note", b"hello", "note.txt", "text/plain"))
    answer = await post(api, "/api/1/events/not-an-id/attachments/" + QUERY_AUTH, body, headers)
    assert (answer.code, answer.json()["detail"]) == (400, "invalid event id")
    answer = await post(api, "/api/1/events/%s/attachments/" % ("a" * 32) + QUERY_AUTH, b"x",
                        {"Content-Type": "text/plain"})
    assert (answer.code, answer.json()["detail"]) == (400, "invalid multipart data")


@pytest.mark.parametrize("path", ["/api/1/minidump/", "/api/1/unreal/parlel/",
                                  "/api/1/events/%s/attachments/" % ("a" * 32)])
@pytest_twisted.ensureDeferred
async def test_native_routes_answer_cors_preflight(api, path):
    answer = await api.request("OPTIONS", path, token=None)
    assert answer.code == 200
    assert answer.header("access-control-allow-origin") == "*"
    assert "POST" in answer.header("access-control-allow-methods")


@pytest_twisted.ensureDeferred
async def test_minidump_over_a_real_socket(server, live_api):
    dump = minidump()
    body, headers = form(("sentry[release]", "live@1"),
                         ("upload_file_minidump", dump, "live.dmp", "application/x-dmp"))
    event_id = event_id_of(await post(live_api, "/api/1/minidump/" + QUERY_AUTH, body, headers))
    assert server.store.event(event_id).release == "live@1"
    [item] = await items(live_api)
    assert payload_bytes(item) == dump
    # A broken form reaches the route over a real socket (the in-memory client's site would
    # parse and refuse it itself).
    answer = await post(live_api, "/api/1/minidump/" + QUERY_AUTH, b"--nope",
                        {"Content-Type": "multipart/form-data; boundary=b"})
    assert (answer.code, answer.json()["detail"]) == (400, "invalid multipart data")


def test_form_fields_merge_as_relay_reads_them():
    from sentry_fake.ingest.minidump import event_from_form

    event = event_from_form([
        ("sentry", '{"tags": {"a": "1"}, "user": {"id": "7"}}'),
        ("sentry___crashpad", '{"tags": {"b": "2"}}'),
        ("sentry", "not json"),
        ("sentry[user][email]", "x@example.com"),
        ("sentry[bad", "kept as extra"),
        ("ver", "1.0"),
    ])
    assert event == {"tags": {"a": "1", "b": "2"}, "user": {"id": "7", "email": "x@example.com"},
                     "extra": {"sentry[bad": "kept as extra", "ver": "1.0"}}


def test_minidump_header_facts():
    from sentry_fake.ingest.minidump import read_header

    assert read_header(minidump(stamp=0, stream=7)).sdk_name == "minidump.unknown"
    assert read_header(minidump(stamp=0)).timestamp is None
    big_endian = struct.pack(">4sIIIIIQ", b"PMDM", 0xA793, 1, 32, 0, 1234, 0)
    big_endian += struct.pack(">III", BREAKPAD_INFO, 0, 0)
    assert (read_header(big_endian).timestamp, read_header(big_endian).sdk_name) == (
        1234, "minidump.breakpad")
    # A directory past the end, or a wrong version, is a broken minidump: no facts.
    assert read_header(minidump()[:40]) is None
    assert read_header(b"MDMP" + struct.pack("<I", 1) + minidump()[8:]) is None
