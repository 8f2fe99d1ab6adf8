"""
The journal file of C{--data-dir}: an append-only log of the requests that changed state.

Each record is framed as C{length (4 bytes) | CRC-32 (4 bytes) | payload}, the payload being
one line of JSON (method, URI, headers, client address, time, sequence number) followed by
the request body.  A record is written with one C{write()} before its request is answered, so
a process killed at any moment (SIGKILL, a crash) leaves every acknowledged request in the
operating system's hands and so on disk; a torn last record (killed mid-write, never answered)
fails its length or CRC check and is dropped on reading.  Records are not fsynced: a power
failure of the whole machine can still lose the last moments.
"""

from __future__ import annotations

import json
import os
import struct
import zlib
from typing import Iterator

import attrs

MAGIC = b"SFJ1\n"
_FRAME = struct.Struct(">II")


@attrs.frozen
class Record:
    seq: int
    time: float
    method: bytes
    uri: bytes
    headers: list[tuple[bytes, bytes]]
    client: str | None
    body: bytes

    def encode(self) -> bytes:
        meta = json.dumps({
            "seq": self.seq, "time": self.time, "method": self.method.decode("latin-1"),
            "uri": self.uri.decode("latin-1"),
            "headers": [[n.decode("latin-1"), v.decode("latin-1")] for n, v in self.headers],
            "client": self.client,
        }, separators=(",", ":")).encode("utf-8")
        payload = meta + b"\n" + self.body
        return _FRAME.pack(len(payload), zlib.crc32(payload)) + payload

    @classmethod
    def decode(cls, payload: bytes) -> "Record":
        meta_line, _, body = payload.partition(b"\n")
        meta = json.loads(meta_line)
        return cls(seq=meta["seq"], time=meta["time"], method=meta["method"].encode("latin-1"),
                   uri=meta["uri"].encode("latin-1"),
                   headers=[(n.encode("latin-1"), v.encode("latin-1")) for n, v in meta["headers"]],
                   client=meta["client"], body=body)


class Journal:
    """
    One journal file, opened for appending.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        if os.fstat(self._fd).st_size == 0:
            os.write(self._fd, MAGIC)

    def records(self) -> Iterator[Record]:
        """
        Every intact record, oldest first; reading stops at the first torn one.
        """
        with open(self.path, "rb") as handle:
            data = handle.read()
        if not data.startswith(MAGIC):
            raise ValueError(f"{self.path} is not a sentry-fake journal")
        pos, end = len(MAGIC), len(data)
        while pos + _FRAME.size <= end:
            length, crc = _FRAME.unpack_from(data, pos)
            start = pos + _FRAME.size
            payload = data[start:start + length]
            if len(payload) != length or zlib.crc32(payload) != crc:
                break
            yield Record.decode(payload)
            pos = start + length
        self.valid_size = pos

    def trim(self, size: int) -> None:
        """
        Cut the file to C{size} bytes (dropping a torn record before appending after it).
        """
        os.ftruncate(self._fd, size)

    def append(self, record: Record) -> None:
        data = record.encode()
        written = os.write(self._fd, data)
        while written < len(data):
            written += os.write(self._fd, data[written:])

    def clear(self) -> None:
        """
        Start over (after a reset, the seeded state needs no history).
        """
        os.ftruncate(self._fd, 0)
        os.write(self._fd, MAGIC)

    def close(self) -> None:
        os.close(self._fd)
