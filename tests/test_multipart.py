"""
The multipart parser, on bodies as curl and browsers write them.
"""

import pytest

from sentry_fake.errors import Invalid
from sentry_fake.multipart import parse_multipart

CT = "multipart/form-data; boundary=------------------------RjBBpuQtRO4zm7j92XympX"
B = b"--------------------------RjBBpuQtRO4zm7j92XympX"


def body(*parts):
    out = b""
    for headers, data in parts:
        out += B + b"\r\n" + b"".join(h + b"\r\n" for h in headers) + b"\r\n" + data + b"\r\n"
    return out + B + b"--\r\n"


def test_files_and_fields():
    data = body(
        ([b'Content-Disposition: form-data; name="file_gzip"; filename="31aa7871e8da66f273254240a628a9d8fdad2218"',
          b"Content-Type: application/octet-stream"], b"\x1f\x8b\r\n--not a boundary\r\n\x00"),
        ([b'Content-Disposition: form-data; name="sentry"'], b'{"release":"1"}'),
        ([b'content-disposition: form-data; name="quoted"; filename="a \\"b\\".txt"'], b""),
    )
    parts = parse_multipart(data, CT)
    assert [(p.name, p.filename) for p in parts] == [
        ("file_gzip", "31aa7871e8da66f273254240a628a9d8fdad2218"), ("sentry", None),
        ("quoted", 'a "b".txt')]
    assert parts[0].data == b"\x1f\x8b\r\n--not a boundary\r\n\x00"
    assert parts[0].content_type == "application/octet-stream"
    assert parts[1].data == b'{"release":"1"}' and parts[2].data == b""


def test_quoted_boundary_and_preamble():
    data = b"preamble\r\n--xyz\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--xyz--"
    (part,) = parse_multipart(data, 'multipart/form-data; boundary="xyz"')
    assert (part.name, part.data) == ("a", b"1")


@pytest.mark.parametrize("data, content_type", [
    (b"whatever", "application/json"),
    (b"whatever", "multipart/form-data"),
    (b"no boundary here", CT),
    (B + b"\r\nContent-Disposition: form-data; name=a\r\n\r\nunterminated", CT),
    (B + b"garbage", CT),
])
def test_malformed(data, content_type):
    with pytest.raises(Invalid):
        parse_multipart(data, content_type)
