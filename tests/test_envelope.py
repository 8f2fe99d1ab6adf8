"""
Envelope framing, as the SDKs write it: with and without lengths and final newlines.
"""

import pytest

from sentry_fake.errors import Invalid
from sentry_fake.ingest.envelope import parse_envelope


def test_python_sdk_layout_with_lengths_and_trailing_newline():
    data = (b'{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc","sent_at":"2026-11-22T08:18:25Z"}\n'
            b'{"type":"event","content_type":"application/json","length":12}\n'
            b'{"a":"b\\nc"}\n'
            b'{"filename":"note.txt","type":"attachment","length":16}\n'
            b'hello\nattachment\n')
    envelope = parse_envelope(data)
    assert envelope.headers["event_id"] == "9ec79c33ec9942ab8353589fcb2e04dc"
    assert [item.type for item in envelope.items] == ["event", "attachment"]
    assert envelope.items[0].payload == b'{"a":"b\\nc"}'
    # With a length, a payload may itself contain newlines.
    assert envelope.items[1].payload == b"hello\nattachment"


def test_node_sdk_layout_without_lengths_or_final_newline():
    data = b'{"event_id":"4a3f"}\n{"type":"event"}\n{"message":"hi"}'
    envelope = parse_envelope(data)
    assert [(item.type, item.payload) for item in envelope.items] == [("event", b'{"message":"hi"}')]


def test_zero_length_payload_and_header_only_envelope():
    envelope = parse_envelope(b'{}\n{"type":"attachment","length":0,"filename":"a"}\n\n')
    assert [(item.type, item.payload) for item in envelope.items] == [("attachment", b"")]
    assert parse_envelope(b"{}").items == []
    assert parse_envelope(b"{}\n").items == []


def test_several_items_without_length():
    data = b'{}\n{"type":"session"}\n{"sid":"1"}\n{"type":"session"}\n{"sid":"2"}\n'
    assert [item.payload for item in parse_envelope(data).items] == [b'{"sid":"1"}', b'{"sid":"2"}']


@pytest.mark.parametrize("data, cause", [
    (b"", "empty"),
    (b"not json\n", "envelope header"),
    (b"[1,2]\n", "envelope header"),
    (b'{}\n{"length":2}\n{}\n', "without a type"),
    (b'{}\n{"type":"event","length":100}\n{}\n', "shorter than its length"),
    (b'{}\n{"type":"event","length":2}\n{}X\n', "missing newline"),
    (b'{}\n{"type":"event","length":-1}\n{}\n', "invalid item length"),
    (b'{}\n{"type":"event","length":"2"}\n{}\n', "invalid item length"),
    (b'{}\nnot an item header\n', "item header"),
])
def test_broken_framing_is_refused_with_a_reason(data, cause):
    with pytest.raises(Invalid) as raised:
        parse_envelope(data)
    assert cause in " ".join([raised.value.detail] + raised.value.causes)
