"""
An event's timestamps as SDKs send them (C{2026-11-22T10:00:00.123456Z}) are read through the
seconds read before them: to the value Relay's reading gives, the first time as after, and
anything else of the kind is read in full.  A span's start and end read together read as each
alone does.
"""

import random
from datetime import datetime, timezone

import pytest

from sentry_fake import timefmt
from sentry_fake.store.fields import read_timestamp
from sentry_fake.timefmt import parse_times, parse_timestamp, utc_second


def sdk_times(seed: int, count: int, most_digits: int) -> list[str]:
    chance = random.Random(seed)
    found = []
    for _ in range(count):
        second = chance.randrange(0, 253402300799)
        text = datetime.fromtimestamp(second, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
        digits = chance.randrange(0, most_digits + 1)
        if digits:
            text += "." + "".join(chance.choice("0123456789") for _ in range(digits))
        found.append(text + "Z")
    return found


def relay_reading(text: str) -> float:
    """What Relay's reading gives for an SDK's UTC timestamp: the second plus its fraction."""
    head, _, fraction = text[:-1].partition(".")
    moment = datetime.strptime(head, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
    return round(moment.timestamp() + (float("0." + fraction[:9]) if fraction else 0.0), 6)


@pytest.mark.parametrize("seed", range(3))
def test_an_sdk_timestamp_reads_as_relay_reads_it(seed):
    times = sdk_times(seed, 20_000, 11)
    expected = [(relay_reading(text), None) for text in times]
    timefmt._SECONDS.clear()
    assert [read_timestamp(text) for text in times] == expected
    assert [read_timestamp(text) for text in times] == expected


@pytest.mark.parametrize("text, sdk, relay", [
    ("9999-12-31T23:59:59.5Z", None, (253402300799.5, None)),
    # Relay reads nine digits of a fraction, where a float near 1970 shows them.
    ("1970-01-01T00:00:00.801609500753Z", 0.801609, (0.801609, None)),
    ("1970-01-01T00:00:01.0000005Z", 1.0, (1.000001, None)),
    ("2026-13-01T00:00:00Z", None, (None, "input is out of range")),
    ("2026-02-30T00:00:00Z", None, (None, "input is out of range")),
    ("1969-12-31T23:59:59Z", None, (-1.0, None)),
    ("2026-12-02T03:16:53.Z", 1796181413.0, (None, "input contains invalid characters")),
    ("2026-12-02 03:16:53Z", 1796181413.0, (None, "input contains invalid characters")),
    ("2026-12-02T03:16:53.+1Z", None, (None, "input contains invalid characters")),
    ("2026-12-02T03:16:53.1234567Z", 1796181413.123456, (1796181413.123457, None)),
    # Digits are ASCII digits, as Relay reads them.
    ("\uff12026-12-02T03:16:53Z", None, (None, "input contains invalid characters")),
    ("\u0662\u0660\u0662\u0666-\u0661\u0661-\u0662\u0662", None,
     (None, "input contains invalid characters")),
    ("2026-12-02T03:16:53.\u0661Z", None, (None, "input contains invalid characters")),
])
def test_what_is_not_an_sdk_timestamp_is_read_in_full(text, sdk, relay):
    for _ in range(2):  # before and after its second is known
        utc_second("2026-12-02T03:16:53")
        assert parse_timestamp(text) == sdk
        assert read_timestamp(text) == relay


def test_only_real_seconds_are_known():
    assert utc_second("2026-12-02T03:16:53") == 1796181413
    assert utc_second("2026-12-02T03:16:60") is None
    assert utc_second("2026-12-02t03:16:53") is None
    assert utc_second("+026-12-02T03:16:53") is None
    assert utc_second("1970-01-01T00:00:00") == 0
    assert utc_second("9999-12-31T23:59:59") == 253402300799
    assert utc_second("1969-12-31T23:59:59") is None


def test_the_seconds_kept_are_bounded():
    timefmt._SECONDS.clear()
    times = sdk_times(7, timefmt._SECONDS_KEPT + 10, 6)
    for text in times:
        read_timestamp(text)
    assert 0 < len(timefmt._SECONDS) <= timefmt._SECONDS_KEPT
    assert [read_timestamp(text) for text in times] == [
        (relay_reading(text), None) for text in times]


def test_a_spans_times_read_together_as_one_by_one():
    chance = random.Random(5)
    values = sdk_times(5, 300, 7) + [
        1796181413.5, "1796181413.25", None, True, "", "2026-12-02T03:16:53", "tomorrow",
        "2026-12-02T03:16:53+01:00", "2026-12-02T03:16:53.Z", "9999-12-31T23:59:59.9Z",
        "1969-12-31T23:59:59Z", "2026-13-02T03:16:53Z", "0000-01-01T00:00:00Z", -5, 1e300,
        "2026-12-02T03:16:53.5z", " 2026-12-02T03:16:53Z"]
    for _ in range(5000):
        start, end = chance.choice(values), chance.choice(values)
        first, last = parse_timestamp(start), parse_timestamp(end)
        expected = None if first is None or last is None else (first, last)
        assert parse_times(start, end) == expected, (start, end)


def test_a_transactions_children_are_read_as_parse_times_reads_them():
    # The trace book's reading of a transaction inlines parse_times for the Python SDK's
    # times: each child is kept, with its times, exactly when parse_times reads both.
    from sentry_fake.store.transaction_spans import transaction_children
    chance = random.Random(9)
    values = sdk_times(9, 200, 7) + [
        1796181413.5, "1796181413.25", None, "2026-12-02T03:16:53+00:00",
        "2026-12-02T03:16:53-00:00", "2026-12-02T03:16:53+01:00", "20261202T031653Z",
        "2026-12-02T03:16:53", "0001-01-01T00:00:00Z", " 2026-12-02T03:16:53Z", 7, [], "Z"]
    children = [{"span_id": f"{number:016x}", "start_timestamp": chance.choice(values),
                 "timestamp": chance.choice(values)} for number in range(3000)]
    expected = [(child["span_id"], times) for child in children
                if (times := parse_times(child["start_timestamp"], child["timestamp"]))]
    kept, ids, _, starts, ends = transaction_children({"spans": children})
    assert list(zip(ids, zip(starts, ends))) == expected
    read = set(ids)
    assert kept == [child for child in children if child["span_id"] in read]
    assert 0 < len(expected) < len(children)
