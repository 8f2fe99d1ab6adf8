"""
Every random identifier the fake hands out (event ids it generates, client keys, check-in
ids, ...) comes from here.  They are drawn while a request is parsed and carried by the change
record it becomes (see L{sentry_fake.store.records}), so a replay of the journal never draws
again.
"""

from __future__ import annotations

import os
import random

_rng = random.Random(os.urandom(16))


def hex_token(nbytes: int = 16) -> str:
    """
    C{nbytes} random bytes as lower-case hex (32 digits by default, a client key's length).
    """
    return _rng.getrandbits(nbytes * 8).to_bytes(nbytes, "big").hex()


def uuid_hex() -> str:
    """
    A version 4 UUID as 32 hex digits (the form Sentry's event ids take).
    """
    value = _rng.getrandbits(128)
    value = (value & ~(0xF000 << 64)) | (0x4000 << 64)
    value = (value & ~(0xC000 << 48)) | (0x8000 << 48)
    return f"{value:032x}"


def uuid_str() -> str:
    """
    A version 4 UUID in its hyphenated form.
    """
    h = uuid_hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
