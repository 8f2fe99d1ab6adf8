"""
Message parameterization: how Sentry makes "the same" message from two occurrences look alike
before grouping by it.

Values that vary between occurrences (e-mail addresses, URLs, host names, IP addresses, trace
ids, UUIDs, hashes, dates and times, durations, hex values, numbers and the values of C{key=value}
pairs) are replaced by placeholders named after their kind, e.g. C{"<int>"}.  The kinds are tried
in a fixed order at each position of the text, the first that matches wins.  Grouping also keeps
only the first two non-empty lines of a message, marking the cut with C{"..."}.
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import islice

_TLDS = (
    "com net org jp de uk fr br it ru es me gov pl ca au cn co in nl edu info eu ch id at kr cz mx "
    "be tv se tr tw al ua ir vn cl sk ly cc to no fi us pt dk ar hu tk gr il news ro my biz ie za "
    "nz sg ee th io xyz pe bg hk rs lt link ph club si site mobi by cat wiki la ga xxx cf hr ng "
    "jobs online kz ug gq ae is lv pro fm tips ms sa app"
).split()

_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
_DAY = r"(?:Sun|Mon|Tue|Wed|Thu|Fri|Sat)"
_ZONE = r"(?:[-+]\d{2}[0-5]\d|UT|GMT|[ECMP][SD]T|[A-IK-Z])"
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = rf"{_OCTET}(?:\.{_OCTET}){{3}}"
_H16 = r"[0-9a-fA-F]{1,4}"


def _ipv6() -> str:
    # Full form, every "::" compression, link-local with a zone and IPv4-mapped/embedded forms.
    forms = [rf"(?:{_H16}:){{7}}{_H16}", rf"(?:{_H16}:){{1,7}}:"]
    for left in range(1, 7):
        forms.append(rf"(?:{_H16}:){{1,{left}}}(?::{_H16}){{1,{7 - left}}}")
    forms += [
        rf":(?:(?::{_H16}){{1,7}}|:)",
        r"fe80:(?::[0-9a-fA-F]{0,4}){0,4}%[0-9a-zA-Z]+",
        rf"::(?:ffff(?::0{{1,4}})?:)?{_IPV4}",
        rf"(?:{_H16}:){{1,4}}:{_IPV4}",
    ]
    return r"(?<![0-9a-zA-Z_])(?:" + "|".join(forms) + r")(?![0-9a-zA-Z])"


def _dates() -> str:
    forms = [
        # RFC 822/1123: "Mon, 02 Jan 2006 15:04:05 MST"
        rf"{_DAY},\s\d{{1,2}}\s{_MONTH}\s\d{{2,4}}\s\d{{1,2}}:\d{{1,2}}(?::\d{{1,2}})?\s{_ZONE}",
        # "Mon Jan 02, 1999", "Jan 02, 1999"
        rf"(?:{_DAY}\s)?{_MONTH}\s[0-3]\d,\s\d{{2,4}}",
        # RFC 850: "Monday, 02-Jan-06 15:04:05 MST"
        rf"(?:Sun|Mon|Tue|Wed|Thu|Fri|Sat)[a-z]*,\s\d{{2}}-{_MONTH}-\d{{2}}\s"
        r"\d{2}:\d{2}:\d{2}\s(?:UT|GMT|[ECMP][SD]T|[A-IK-Z])",
        # RFC 3339
        r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z?(?:[+-]?\d{2}:\d{2})?",
        # JavaScript's Date.prototype.toString()
        rf"{_DAY}\s{_MONTH}\s\d{{2}}\s\d{{4}}\s\d{{2}}:\d{{2}}:\d{{2}}\s"
        r"GMT[+-]\d{4}(?:\s\([^)]+\))?",
        # Date and time, optionally with seconds, fractions and an offset
        r"\d{4}-?[01]\d-?[0-3]\d[\sT][0-2]\d:?[0-5]\d(?::?[0-5]\d(?:\.\d+)?)?"
        r"(?:[+-][0-2]\d:?[0-5]\d|Z)?",
        # Times of day, 12 and 24 hours
        r"(?<!\d)(?:[1-9]|1[0-2]):[0-5]\d(?::[0-5]\d)?(?![\d:])(?:\s?[aApP][mM])?",
        r"(?<!\d)(?:0?\d|1\d|2[0-3]):[0-5]\d(?::[0-5]\d)?(?![\d:])",
        r"\d{4}-[01]\d-[0-3]\d",
        r"[0-2]\d:[0-5]\d:[0-5]\d",
        # "Mon Jan  2 15:04:05 2006" and "Mon, 2 Jan 2006 15:04 -0700"
        rf"\b(?:{_DAY}\s+)?{_MONTH}\s+\d{{1,2}}\s+\d{{2}}:\d{{2}}:\d{{2}}\s+\d{{4}}",
        rf"\b(?:{_DAY},\s+)?(?:0[1-9]|[12]?\d|3[01])\s+{_MONTH}\s+(?:19\d{{2}}|[2-9]\d{{3}})\s+"
        rf"(?:2[0-3]|[01]\d):[0-5]\d(?::(?:60|[0-5]\d))?\s+{_ZONE}",
        r"datetime\.datetime\(.{0,120}?\)",
    ]
    return "|".join(forms)


_KINDS: list[tuple[str, str]] = [
    ("email", r"[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[a-zA-Z0-9-]{1,63}(?:\.[a-zA-Z0-9-]{1,63}){0,8}"),
    ("url", r"\b(?:wss?|https?|ftp)://[^\s/$.?#].[^\s]*"),
    ("hostname", r"\b(?:[a-zA-Z0-9-]{1,63}\.){1,8}?(?:" + "|".join(t.upper() for t in _TLDS)
     + "|" + "|".join(_TLDS) + r")\b"),
    ("ip", _ipv6() + r"|\b" + _IPV4 + r"\b"),
    ("traceparent", r"\b00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]\b|\b1-[0-9a-f]{8}-[0-9a-f]{24}\b"),
    ("uuid", r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"),
    ("sha1", r"\b[0-9a-fA-F]{40}\b"),
    ("md5", r"\b[0-9a-fA-F]{32}\b"),
    ("date", _dates()),
    ("duration", r"\b\d{1,20}ms|\d{1,20}(?:\.\d{1,20})?s\b"),
    ("swift_txn_id", r"\btx[0-9a-f]{21}-[0-9a-f]{10}\S*"),
    # 0x-prefixed hex of any length; without the prefix, 4-6 characters mixing letters and
    # digits in one case, or 8-128 hex characters in one case.
    ("hex", r"\b0[xX][0-9a-fA-F]{1,128}\b|(?:\b|(?<!\w)-)(?:"
            r"(?=[a-f]*\d)(?=\d*[a-f])[0-9a-f]{4,6}|(?=[A-F]*\d)(?=\d*[A-F])[0-9A-F]{4,6}"
            r"|[0-9a-f]{8,128}|[0-9A-F]{8,128})\b"),
    ("git_sha", r"\b(?=[a-f]*\d)(?=\d*[a-f])[0-9a-f]{7}\b"),
    ("float", r"-\d{1,40}\.\d{1,40}\b|\b\d{1,40}\.\d{1,40}\b"),
    ("int", r"(?:\b|(?<!\w)-)\d{1,7}\b"),
    ("quoted_str", r"(?<==)(?:'[^']{1,1024}'|\"[^\"]{1,1024}\")"),
    ("bool", r"(?<==)(?:True|true|False|false)"),
]

# What each kind's match must start with: a cheap test that lets most positions of a text fail
# fast, without changing what matches.
_FIRST = {"url": "[wfh]", "ip": "[0-9a-fA-F:]", "traceparent": "[01]", "uuid": "[0-9a-fA-F]",
          "sha1": "[0-9a-fA-F]", "md5": "[0-9a-fA-F]", "date": "[0-9A-Zd]", "duration": r"\d",
          "swift_txn_id": "t", "hex": "[-0-9a-fA-F]", "git_sha": "[0-9a-f]", "float": r"[-\d]",
          "int": r"[-\d]"}
# What a text must contain for a kind to match anywhere in it.  Kinds that cannot match are
# left out of the regex a text is searched with; what matches stays the same.
_NEEDS = {"email": "@", "url": "://", "hostname": ".", "ip": ".:", "traceparent": "-",
          "uuid": "-", "date": "0", "duration": "0", "swift_txn_id": "tx", "git_sha": "0",
          "float": "0", "int": "0", "quoted_str": "=", "bool": "="}
_MARKS = ("@", "://", ".", ":", "-", "tx", "=", "datetime")
_DIGIT = re.compile(r"\d")
MAX_MESSAGE_CHARS = 8192


def _possible(kind: str, present: frozenset[str]) -> bool:
    needs = _NEEDS.get(kind)
    if needs is None:
        return True
    if needs == "0":
        return "0" in present or (kind == "date" and "datetime" in present)
    if needs == ".:":
        return "." in present or ":" in present
    return needs in present


@lru_cache(maxsize=256)
def _regex(present: frozenset[str]) -> re.Pattern[str]:
    alternatives = []
    for name, pattern in _KINDS:
        if not _possible(name, present):
            continue
        if name in _FIRST:
            pattern = f"(?={_FIRST[name]})(?:{pattern})"
        alternatives.append(f"(?P<{name}>{pattern})")
    return re.compile("|".join(alternatives))


def _placeholder(match: re.Match[str]) -> str:
    return f"<{match.lastgroup}>"


def parameterize(text: str) -> str:
    """
    Replace the values in C{text} that vary between occurrences with C{<kind>} placeholders.
    """
    present = {mark for mark in _MARKS if mark in text}
    if _DIGIT.search(text):
        present.add("0")
    return _regex(frozenset(present)).sub(_placeholder, text)


def trim_to_two_lines(text: str) -> str:
    """
    The first two non-empty lines of C{text}; C{"..."} is appended if anything was cut.
    """
    trimmed = "\n".join(islice((line for line in text.splitlines() if line.strip()), 2))
    return trimmed if trimmed == text else trimmed + "..."


def normalize_message_for_grouping(text: str) -> str:
    """
    A message or exception value as Sentry's grouping sees it: trimmed, then parameterized.

    Relay cuts messages at 8192 characters before Sentry groups them; cutting here too also
    bounds the work a pathological message can cost.
    """
    return _normalized(text[:MAX_MESSAGE_CHARS])


@lru_cache(maxsize=4096)
def _normalized(text: str) -> str:
    # Keyed on the cut text, so the cache holds at most 4096 x 8192 characters.
    return parameterize(trim_to_two_lines(text))
