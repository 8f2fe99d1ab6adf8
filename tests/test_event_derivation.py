"""
What the store derives from an event (title, culprit, metadata, location, grouping hashes) is
remembered for repeats by the fields it is made of: those must be every field it reads.
"""

import copy

import pytest

from sentry_fake.store import event_derivation
from sentry_fake.store.event_derivation import INPUTS, derive
from sentry_fake.store.grouping import exceptions, grouping_hashes
from sentry_fake.store.normalize import describe, event_type


class Reading(dict):
    """
    A payload that notes which of its keys are read (and whether it was walked whole).
    """

    def __init__(self, value, read):
        super().__init__(value)
        self._read = read

    def get(self, key, default=None):
        self._read.add(key)
        return super().get(key, default)

    def __getitem__(self, key):
        self._read.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        self._read.add(key)
        return super().__contains__(key)

    def _whole(self):
        self._read.add("*")

    def keys(self):
        self._whole()
        return super().keys()

    def items(self):
        self._whole()
        return super().items()

    def values(self):
        self._whole()
        return super().values()

    def __iter__(self):
        self._whole()
        return super().__iter__()


def python_error(**extra):
    frames = [
        {"module": "shop.checkout", "function": "pay", "filename": "shop/checkout.py",
         "abs_path": "/app/shop/checkout.py", "lineno": 41, "context_line": "charge(card)",
         "pre_context": ["def pay(card):"], "vars": {"card": "'4242'"}, "in_app": True},
        {"module": "payments.api", "function": "charge", "filename": "payments/api.py",
         "lineno": 7, "in_app": False},
    ]
    payload = {"platform": "python", "level": "error", "sdk": {"name": "sentry.python",
                                                               "version": "2.75.0"},
               "exception": {"values": [{"type": "ValueError", "value": "card declined",
                                         "mechanism": {"type": "generic", "handled": False},
                                         "stacktrace": {"frames": frames}}]},
               "tags": {"where": "checkout"}, "user": {"id": "42"}, "timestamp": 1.0}
    payload.update(extra)
    return payload


CASES = {
    "python error": python_error(),
    "chained exceptions": {"platform": "python", "exception": {"values": [
        {"type": "KeyError", "value": "'sku'", "mechanism": {"type": "chained",
                                                              "exception_id": 1,
                                                              "parent_id": 0},
         "stacktrace": {"frames": [{"function": "lookup", "module": "shop.db",
                                    "in_app": True}]}},
        {"type": "RuntimeError", "value": "lookup failed",
         "mechanism": {"type": "generic", "exception_id": 0},
         "stacktrace": {"frames": [{"function": "handler", "module": "shop.views",
                                    "in_app": True}]}}]}},
    "library frames only": python_error(exception={"values": [
        {"type": "TimeoutError", "value": "timed out",
         "stacktrace": {"frames": [{"module": "urllib3", "function": "urlopen",
                                    "in_app": False}]}}]}),
    "javascript chunk load": {"platform": "javascript", "sdk": {"name": "sentry.javascript.browser",
                                                                 "version": "11.0.0"},
                              "exception": {"values": [{"type": "ChunkLoadError",
                                                        "value": "Loading chunk 7 failed.",
                                                        "stacktrace": {"frames": [
                                                            {"filename": "app.js",
                                                             "abs_path": "https://x.io/app.js",
                                                             "function": "load", "lineno": 1,
                                                             "colno": 99, "in_app": True,
                                                             "data": {"sourcemap": "x"}}]}}]}},
    "synthetic message": {"platform": "javascript", "exception": {"values": [
        {"type": "Error", "value": "captured", "mechanism": {"type": "generic",
                                                            "synthetic": True},
         "stacktrace": {"frames": [{"function": "onClick", "filename": "ui.js",
                                    "in_app": True}]}}]}},
    "native threads": {"platform": "native", "threads": {"values": [
        {"id": 1, "crashed": True, "stacktrace": {"frames": [
            {"function": "main", "instruction_addr": "0x1000", "package": "/bin/app",
             "in_app": True}]},
         "raw_stacktrace": {"frames": [{"instruction_addr": "0x1000"}]}}]}},
    "own stack trace": {"platform": "python", "message": "slow",
                        "stacktrace": {"frames": [{"module": "jobs", "function": "run",
                                                   "in_app": True}]},
                        "request": {"url": "https://shop.io/pay", "method": "POST",
                                    "headers": {"X": "1"}, "data": {"card": "4242"}}},
    "logentry": {"platform": "python", "logentry": {"message": "user %s failed",
                                                    "params": ["ann"]},
                 "request": {"url": "https://shop.io/login"}},
    "plain message": {"message": "hello", "platform": "other"},
    "culprit and transaction": python_error(culprit="shop.pay", transaction="/checkout/"),
    "transaction only": python_error(transaction=" /checkout/ "),
    "checksum": {"checksum": "a" * 32, "message": "sum"},
    "csp": {"csp": {"effective_directive": "script-src", "blocked_uri": "https://evil.io"},
            "logentry": {"formatted": "Blocked 'script' from 'evil.io'"}},
    "expect-ct report": {"type": "expectct", "expectct": {"hostname": "shop.io", "port": 443},
                         "logentry": {"formatted": "Expect-CT failed for 'shop.io'"}},
    "hpkp report": {"type": "hpkp", "hpkp": {"hostname": "shop.io"},
                    "message": "Public key pinning validation failed for 'shop.io'"},
    "empty": {},
}


def read_by(payload):
    read, request_read = set(), set()
    reading = Reading(copy.deepcopy(payload), read)
    if isinstance(payload.get("request"), dict):
        dict.__setitem__(reading, "request", Reading(payload["request"], request_read))
    kind = event_type(payload, "event")
    values = exceptions(payload)
    describe(reading, kind, values)
    grouping_hashes(reading, values)
    return read, request_read


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_derivation_reads_only_the_fields_it_is_remembered_by(name):
    read, request_read = read_by(CASES[name])
    # A custom fingerprint is never remembered (its variables may name anything).
    assert read <= set(INPUTS) | {"request", "fingerprint"}, read
    assert request_read <= {"url"}


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_remembered_derivation_is_the_one_made_afresh(name):
    payload = CASES[name]
    kind = event_type(payload, "event")
    values = exceptions(payload)
    expected = describe(payload, kind, values), grouping_hashes(payload, values)
    event_derivation._memo.clear()
    first = derive(payload, kind, values)
    again = derive(copy.deepcopy(payload), kind, exceptions(payload))
    assert first == expected and again == expected
    assert len(event_derivation._memo.entries) == 1
    # Each event gets its own metadata and hashes to keep.
    assert again[0][2] is not first[0][2] and again[1] is not first[1]
    first[0][2]["value"] = "changed"
    first[1].append("changed")
    assert derive(payload, kind, values) == expected


def test_what_the_remembered_fields_do_not_hold_makes_no_difference_and_they_do():
    event_derivation._memo.clear()
    first = derive(python_error(), "error", exceptions(python_error()))
    other_user = python_error(user={"id": "7"}, tags={"where": "cart"}, timestamp=2.0)
    assert derive(other_user, "error", exceptions(other_user)) == first
    assert len(event_derivation._memo.entries) == 1
    other_value = python_error()
    other_value["exception"]["values"][0]["value"] = "card expired"
    described, hashes = derive(other_value, "error", exceptions(other_value))
    assert described[0] == "ValueError: card expired" and hashes == first[1]
    assert len(event_derivation._memo.entries) == 2


def test_a_custom_fingerprint_is_derived_afresh_every_time():
    event_derivation._memo.clear()
    hashes = set()
    for where in ("cart", "checkout"):
        payload = python_error(fingerprint=["{{ tags.where }}"], tags={"where": where})
        hashes.add(tuple(derive(payload, "error", exceptions(payload))[1]))
    assert len(hashes) == 2 and not event_derivation._memo.entries


def test_a_transaction_is_described_and_not_grouped():
    payload = {"type": "transaction", "transaction": "/checkout/"}
    assert derive(payload, "transaction", []) == (("/checkout/", "/checkout/",
                                                   {"title": "/checkout/"}, None), [])


def test_values_json_does_not_tell_apart_are_never_mistaken_for_each_other():
    # JSON writes an infinite number as null: the two must not share a derivation.
    event_derivation._memo.clear()
    infinite = {"exception": {"values": [{"type": "ValueError", "value": float("inf")}]}}
    empty = {"exception": {"values": [{"type": "ValueError", "value": None}]}}
    expected = {}
    for name, payload in (("infinite", infinite), ("empty", empty)):
        values = exceptions(payload)
        expected[name] = describe(payload, "error", values), grouping_hashes(payload, values)
    assert expected["infinite"] != expected["empty"]
    for order in (("infinite", "empty", "infinite"), ("empty", "infinite", "empty")):
        event_derivation._memo.clear()
        for name in order:
            payload = infinite if name == "infinite" else empty
            assert derive(payload, "error", exceptions(payload)) == expected[name]
    # Only the one JSON writes exactly is remembered.
    assert [entry[0][2]["values"][0]["value"]
            for entry in event_derivation._memo.entries.values()] == [None]


def test_what_is_remembered_is_bounded_in_bytes_too(monkeypatch):
    event_derivation._memo.clear()
    big = python_error(threads={"values": [{"stacktrace": {"frames": [
        {"function": f"f{n}", "module": "m", "in_app": True} for n in range(3000)]}}]})
    derive(big, "error", exceptions(big))  # its values' JSON is past LARGEST: not kept
    assert not event_derivation._memo.entries
    one = len(event_derivation._json(["error", None, *map(python_error().get,
                                                           event_derivation.INPUTS)]))
    monkeypatch.setattr(event_derivation, "BUDGET", 10 * one + 50)
    sizes = []
    for n in range(25):
        payload = python_error(message=f"m{n}")
        assert derive(payload, "error", exceptions(payload))[0][0] == "ValueError: card declined"
        sizes.append(len(event_derivation._memo.entries))
        assert event_derivation._memo.size == sum(map(len, event_derivation._memo.entries))
        assert event_derivation._memo.size <= event_derivation.BUDGET
    # Past the budget everything is forgotten at once, and filled again.
    assert max(sizes) == 10 and sizes.count(1) >= 2
