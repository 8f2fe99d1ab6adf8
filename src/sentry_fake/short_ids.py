"""
Sentry's short issue ids (C{PARLEL-1A}): the project's slug in capitals and the issue's counter
in a Crockford-like base 32 (no I, L, O, U).
"""

from __future__ import annotations

_BASE32 = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def base32(number: int) -> str:
    digits = ""
    while True:
        number, rest = divmod(number, 32)
        digits = _BASE32[rest] + digits
        if number == 0:
            return digits


def base32_decode(text: str) -> int | None:
    """
    Read a short id's counter (accepting lower case, and O for 0, I and L for 1).
    """
    number = 0
    for char in text.upper().replace("O", "0").replace("I", "1").replace("L", "1"):
        digit = _BASE32.find(char)
        if digit < 0:
            return None
        number = number * 32 + digit
    return number


def short_id(project_slug: str, counter: int) -> str:
    return f"{project_slug.upper()}-{base32(counter)}"
