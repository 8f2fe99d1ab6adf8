"""
Undo a request's C{Content-Encoding} without ever inflating past a limit.

Bodies are inflated a chunk at a time, so a small gzip or brotli body that expands to
gigabytes is refused as soon as its output passes the limit: a refused body never costs more
memory than the limit and one chunk.
"""

from __future__ import annotations

import base64
import binascii
import zlib

import brotli

from ..errors import Invalid, TooLarge

#: How much output is inflated at a time.
CHUNK = 1 << 20


def _too_large() -> TooLarge:
    return TooLarge("failed to read request body", causes=["A payload reached size limit."])


def _inflate(data: bytes, wbits: int, limit: int) -> bytes:
    out: list[bytes] = []
    total = 0
    while True:
        decompressor = zlib.decompressobj(wbits)
        pending = data
        while not decompressor.eof:
            chunk = decompressor.decompress(pending, CHUNK)
            total += len(chunk)
            if total > limit:
                raise _too_large()
            out.append(chunk)
            pending = decompressor.unconsumed_tail
            if not pending and not chunk:
                break
        if not decompressor.eof:
            raise Invalid("invalid body", causes=["compressed body is truncated"])
        data = decompressor.unused_data
        # gzip allows several members one after another; zlib and raw deflate do not.
        if not data or wbits != 31:
            break
    return b"".join(out)


def _gunzip(data: bytes, limit: int) -> bytes:
    try:
        return _inflate(data, 31, limit)
    except zlib.error as error:
        raise Invalid("invalid body", causes=[f"bad gzip content encoding: {error}"])


def _deflate(data: bytes, limit: int) -> bytes:
    # HTTP's "deflate" is zlib-wrapped, but raw deflate streams are common in the wild.
    try:
        return _inflate(data, 15, limit)
    except zlib.error:
        pass
    try:
        return _inflate(data, -15, limit)
    except zlib.error as error:
        raise Invalid("invalid body", causes=[f"bad deflate content encoding: {error}"])


def _unbrotli(data: bytes, limit: int) -> bytes:
    decompressor = brotli.Decompressor()
    out: list[bytes] = []
    total = 0
    try:
        chunk = decompressor.process(data, output_buffer_limit=CHUNK)
        while True:
            total += len(chunk)
            if total > limit:
                raise _too_large()
            out.append(chunk)
            if decompressor.can_accept_more_data():
                break
            chunk = decompressor.process(b"", output_buffer_limit=CHUNK)
    except brotli.error as error:
        raise Invalid("invalid body", causes=[f"bad br content encoding: {error}"])
    if not decompressor.is_finished():
        raise Invalid("invalid body", causes=["br body is truncated"])
    return b"".join(out)


_DECODERS = {
    "gzip": _gunzip, "x-gzip": _gunzip, "deflate": _deflate, "br": _unbrotli,
}


def decode_content(data: bytes, content_encoding: str | None, limit: int) -> bytes:
    """
    Undo every encoding in C{content_encoding} (applied in the order listed).

    @raise TooLarge: the decoded body would be larger than C{limit} bytes.
    @raise Invalid: the body is not what its encoding says, or the encoding is unknown.
    """
    if content_encoding:
        codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
        for coding in reversed(codings):
            if coding == "identity":
                continue
            decoder = _DECODERS.get(coding)
            if decoder is None:
                raise Invalid("invalid body", causes=[f"unsupported content encoding {coding!r}"])
            data = decoder(data, limit)
    if len(data) > limit:
        raise _too_large()
    return data


def decode_legacy_store(data: bytes, limit: int) -> bytes:
    """
    The legacy store endpoint also accepted C{base64(zlib(json))} bodies; undo that when the body
    is not already JSON.
    """
    stripped = data.lstrip()
    if not stripped or stripped[:1] in (b"{", b"["):
        return data
    try:
        compressed = base64.b64decode(stripped, validate=False)
    except (binascii.Error, ValueError):
        return data
    try:
        return _inflate(compressed, 15, limit)
    except zlib.error:
        return data
