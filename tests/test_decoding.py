"""
Content decoding: every encoding the SDKs use, bounded before anything is inflated.
"""

import base64
import gzip
import zlib

import brotli
import pytest

from sentry_fake.errors import Invalid, TooLarge
from sentry_fake.ingest.decoding import decode_content, decode_legacy_store

BODY = b'{"message":"hello"}\n' * 50


@pytest.mark.parametrize("encoding, encode", [
    (None, lambda data: data),
    ("identity", lambda data: data),
    ("gzip", gzip.compress),
    ("GZIP", gzip.compress),
    ("x-gzip", gzip.compress),
    ("deflate", zlib.compress),
    ("deflate", lambda data: zlib.compress(data, wbits=-15)),
    ("br", brotli.compress),
    ("gzip, br", lambda data: brotli.compress(gzip.compress(data))),
])
def test_decodes(encoding, encode):
    assert decode_content(encode(BODY), encoding, 10_000) == BODY


def test_concatenated_gzip_members():
    assert decode_content(gzip.compress(b"ab") + gzip.compress(b"cd"), "gzip", 100) == b"abcd"


@pytest.mark.parametrize("encoding, encode", [
    ("gzip", gzip.compress), ("deflate", zlib.compress), ("br", brotli.compress),
])
def test_a_bomb_is_refused_not_inflated(encoding, encode):
    bomb = encode(b"\0" * 5_000_000)
    assert len(bomb) < 60_000
    with pytest.raises(TooLarge):
        decode_content(bomb, encoding, 1_000_000)


def test_a_plain_body_over_the_limit_is_too_large():
    with pytest.raises(TooLarge):
        decode_content(b"x" * 1001, None, 1000)
    assert decode_content(b"x" * 1000, None, 1000) == b"x" * 1000


@pytest.mark.parametrize("encoding, data", [
    ("gzip", b"not gzip at all"),
    ("br", b"not brotli"),
    ("deflate", b"not deflate"),
    ("gzip", gzip.compress(BODY)[:-12]),
    ("zstd", b"whatever"),
])
def test_garbage_is_invalid(encoding, data):
    with pytest.raises(Invalid):
        decode_content(data, encoding, 10_000)


def test_legacy_store_base64_zlib_body():
    encoded = base64.b64encode(zlib.compress(BODY))
    assert decode_legacy_store(encoded, 10_000) == BODY
    assert decode_legacy_store(BODY, 10_000) == BODY


@pytest.mark.parametrize("encoding", ["gzip", "br", "deflate"])
def test_a_refused_bomb_costs_no_more_memory_than_the_limit(encoding):
    import tracemalloc

    inflated = 64 * 1024 * 1024
    zeros = b"\0" * inflated
    compress = {"gzip": gzip.compress, "br": brotli.compress, "deflate": zlib.compress}[encoding]
    bomb = compress(zeros)
    del zeros
    limit = 8 * 1024 * 1024
    tracemalloc.start()
    try:
        with pytest.raises(TooLarge):
            decode_content(bomb, encoding, limit)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < limit + 3 * 1024 * 1024, f"{peak / 2**20:.1f} MiB held to refuse it"
