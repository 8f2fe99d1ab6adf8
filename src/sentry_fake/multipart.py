"""
A strict, small parser for C{multipart/form-data} bodies: the parts with their names, file
names, content types and bytes.  Twisted's own form parsing is off (it drops file names, which
the chunk upload protocol needs), so routes that take uploads parse their bodies here.
"""

from __future__ import annotations

import re
from typing import Iterator

import attrs

from .errors import Invalid

_BOUNDARY = re.compile(r'boundary=(?:"([^"]+)"|([^;\s]+))', re.IGNORECASE)
_DISPOSITION_PARAM = re.compile(r';\s*([\w*-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]*))')


@attrs.frozen
class Part:
    name: str | None
    filename: str | None
    content_type: str | None
    headers: dict[str, str]
    data: bytes


def boundary_of(content_type: str | None) -> bytes:
    """
    The boundary of a C{multipart/form-data} content type.

    @raise Invalid: the content type is not multipart or names no boundary.
    """
    if not content_type or not content_type.lower().startswith("multipart/"):
        raise Invalid("invalid multipart body", causes=["the content type is not multipart"])
    match = _BOUNDARY.search(content_type)
    if not match:
        raise Invalid("invalid multipart body", causes=["the content type names no boundary"])
    return (match.group(1) or match.group(2)).encode("latin-1")


def _headers(block: bytes) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in block.split(b"\r\n"):
        if not line.strip():
            continue
        name, sep, value = line.partition(b":")
        if not sep:
            raise Invalid("invalid multipart body", causes=["a part header has no colon"])
        headers[name.strip().decode("latin-1").lower()] = value.strip().decode("utf-8", "replace")
    return headers


def _disposition(value: str) -> dict[str, str]:
    params = {}
    for match in _DISPOSITION_PARAM.finditer(value):
        raw = match.group(2) if match.group(2) is not None else match.group(3)
        params[match.group(1).lower()] = re.sub(r"\\(.)", r"\1", raw)
    return params


def parse_multipart(body: bytes, content_type: str | None) -> list[Part]:
    """
    Split a multipart body into its parts.

    @raise Invalid: the body is not well-formed multipart for its boundary.
    """
    return list(_parts(body, boundary_of(content_type)))


def _parts(body: bytes, boundary: bytes) -> Iterator[Part]:
    delimiter = b"--" + boundary
    start = body.find(delimiter)
    if start < 0:
        raise Invalid("invalid multipart body", causes=["the boundary does not occur in the body"])
    pos = start + len(delimiter)
    while True:
        if body[pos:pos + 2] == b"--":
            return
        if body[pos:pos + 2] != b"\r\n":
            raise Invalid("invalid multipart body", causes=["a boundary is not followed by CRLF"])
        pos += 2
        header_end = body.find(b"\r\n\r\n", pos)
        if header_end < 0:
            # A part with no headers at all starts with the blank line itself.
            if body[pos:pos + 2] == b"\r\n":
                header_end = pos - 2
            else:
                raise Invalid("invalid multipart body", causes=["a part has no header end"])
        headers = _headers(body[pos:header_end])
        data_start = header_end + 4
        end = body.find(b"\r\n" + delimiter, data_start)
        if end < 0:
            raise Invalid("invalid multipart body", causes=["the closing boundary is missing"])
        params = _disposition(headers.get("content-disposition", ""))
        yield Part(name=params.get("name"), filename=params.get("filename"),
                   content_type=headers.get("content-type"), headers=headers,
                   data=body[data_start:end])
        pos = end + 2 + len(delimiter)
