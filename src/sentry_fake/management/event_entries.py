"""
The C{entries} of a full event: each interface of a stored event as Sentry's API shows it, with
camelCased keys, in Sentry's display order.

Sentry sorts the entries by each interface's display score, highest first: message 2050,
exception 2000, stacktrace and spans 1950, threads 1900, security reports (csp, hpkp, expectct,
expectstaple) 1300, breadcrumbs 1100, request 1000, debugmeta 0.  Pure functions of the stored
event document.
"""

from __future__ import annotations

import re
from typing import Any, Callable
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from ..jsoncodec import loads
from ..store.grouping import exceptions
from ..timefmt import isoformat, parse_timestamp

_SECURITY_REPORTS = ("csp", "hpkp", "expectct", "expectstaple")
_FORM = "application/x-www-form-urlencoded"
_URL = re.compile(r"^(?:https?|file|blob):", re.IGNORECASE)


def _dict(value: object) -> dict[str, Any] | None:
    return value if isinstance(value, dict) else None


def _hex_address(value: object) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        if isinstance(value, int):
            return "0x%x" % value
        if isinstance(value, str):
            text = value.strip().lower()
            return "0x%x" % (int(text[2:], 16) if text.startswith("0x") else int(text))
    except ValueError:
        return None
    return None


def _pad(address: str | None, width: int | None) -> str | None:
    if address is None or not width:
        return address
    return "0x" + address[2:].rjust(width, "0")


def _int_or_none(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def source_context(frame: dict[str, Any]) -> list[list[Any]]:
    """
    C{[[lineno, line], ...]}: the lines before, at and after the frame's line, numbered.
    """
    lineno = _int_or_none(frame.get("lineno"))
    line = frame.get("context_line")
    pre = frame.get("pre_context") if isinstance(frame.get("pre_context"), list) else []
    post = frame.get("post_context") if isinstance(frame.get("post_context"), list) else []
    if lineno is None or (line is None and not (pre or post)):
        return []
    at = lineno - len(pre)
    context = []
    for text in [*pre, line, *post]:
        context.append([at, text])
        at += 1
    return context


def _frame_paths(frame: dict[str, Any]) -> tuple[str | None, str | None]:
    # Relay fills whichever of filename and abs_path is missing from the other, a URL's path
    # standing in for the filename.
    filename, abs_path = frame.get("filename"), frame.get("abs_path")
    filename = filename if isinstance(filename, str) and filename else None
    abs_path = abs_path if isinstance(abs_path, str) and abs_path else None
    abs_path = abs_path or filename
    if filename is None and abs_path is not None:
        filename = abs_path
        if _URL.match(abs_path):
            path = urlsplit(abs_path).path
            if path and path != "/":
                filename = path
    return filename, abs_path


def frame(frame_: dict[str, Any], width: int | None = None) -> dict[str, Any]:
    """
    One stack frame as Sentry's API shows it.
    """
    filename, abs_path = _frame_paths(frame_)
    shown = {
        "filename": filename, "absPath": abs_path, "module": frame_.get("module"),
        "package": frame_.get("package"), "platform": frame_.get("platform"),
        "instructionAddr": _pad(_hex_address(frame_.get("instruction_addr")), width),
        "symbolAddr": _pad(_hex_address(frame_.get("symbol_addr")), width),
        "function": frame_.get("function"), "rawFunction": frame_.get("raw_function"),
        "symbol": frame_.get("symbol"), "context": source_context(frame_),
        "lineNo": _int_or_none(frame_.get("lineno")), "colNo": _int_or_none(frame_.get("colno")),
        "inApp": frame_.get("in_app") is True, "trust": frame_.get("trust"),
        "errors": frame_.get("errors"), "vars": frame_.get("vars"),
    }
    mode = frame_.get("addr_mode")
    if mode and mode != "abs":
        shown["addrMode"] = mode
    return shown


def stacktrace(value: object) -> dict[str, Any] | None:
    """
    A stack trace (oldest frame first, as sent), or C{None} when it has no frames.
    """
    trace = _dict(value)
    raw_frames = (trace or {}).get("frames")
    frames = [f for f in raw_frames if isinstance(f, dict)] if isinstance(raw_frames, list) else []
    if not frames:
        return None
    addresses = [_hex_address(f.get(key)) for f in frames
                 for key in ("instruction_addr", "symbol_addr")]
    widths = [len(addr) - 2 for addr in addresses if addr]
    width = max(widths) if widths else None
    registers = trace.get("registers") if isinstance(trace.get("registers"), dict) else None
    return {
        "frames": [frame(f, width) for f in frames],
        "framesOmitted": trace.get("frames_omitted") or None,
        "registers": registers,
        "hasSystemFrames": any(f.get("in_app") is True for f in frames),
    }


def _mechanism(value: object) -> dict[str, Any] | None:
    mechanism = _dict(value)
    if not mechanism:
        return None
    return {key: val for key, val in mechanism.items() if val is not None and val != {}}


def exception(doc: dict[str, Any]) -> dict[str, Any] | None:
    values = exceptions(doc)
    if not values:
        return None
    shown = []
    for value in values:
        text = value.get("value")
        shown.append({
            "type": value.get("type"), "value": str(text) if text not in (None, "") else None,
            "mechanism": _mechanism(value.get("mechanism")), "threadId": value.get("thread_id"),
            "module": value.get("module"), "stacktrace": stacktrace(value.get("stacktrace")),
            "rawStacktrace": stacktrace(value.get("raw_stacktrace")),
            "rawValue": value.get("raw_value"), "rawModule": value.get("raw_module"),
            "rawType": value.get("raw_type"),
        })
    exc = doc.get("exception")
    omitted = exc.get("exc_omitted") if isinstance(exc, dict) else None
    return {
        "values": shown,
        "hasSystemFrames": any(v["stacktrace"]["hasSystemFrames"]
                               for v in shown if v["stacktrace"]),
        "excOmitted": omitted,
    }


def _format(template: str, params: object) -> str | None:
    try:
        if isinstance(params, dict):
            return template % params
        if isinstance(params, list) and params:
            if "%" in template:
                return template % tuple(params)
            if "{}" in template:
                return template.format(*params)
    except (TypeError, ValueError, KeyError, IndexError):
        return None
    return None


def message(doc: dict[str, Any]) -> dict[str, Any] | None:
    """
    The message interface (C{logentry}, or the legacy top-level C{message}).
    """
    entry = doc.get("logentry")
    if not isinstance(entry, dict):
        legacy = doc.get("message")
        if isinstance(legacy, str):
            entry = {"formatted": legacy}
        elif isinstance(legacy, dict):
            entry = legacy
        else:
            return None
    template = entry.get("message") if isinstance(entry.get("message"), str) else None
    formatted = entry.get("formatted") if isinstance(entry.get("formatted"), str) else None
    params = entry.get("params") if isinstance(entry.get("params"), (list, dict)) else None
    if formatted is None and template is not None:
        formatted = _format(template, params) if params else None
    if formatted is None and template is None:
        return None
    if formatted is None or formatted == template:
        formatted, template = template, None
    return {"formatted": formatted, "message": template, "params": params or []}


def breadcrumbs(doc: dict[str, Any]) -> dict[str, Any] | None:
    crumbs = doc.get("breadcrumbs")
    if isinstance(crumbs, dict):
        crumbs = crumbs.get("values")
    if not isinstance(crumbs, list):
        return None
    values = []
    for crumb in crumbs:
        if not isinstance(crumb, dict):
            continue
        data = crumb.get("data")
        values.append({
            "type": crumb.get("type") or "default",
            "timestamp": isoformat(parse_timestamp(crumb.get("timestamp"))),
            "level": crumb.get("level") or "info", "message": crumb.get("message"),
            "category": crumb.get("category"),
            "data": data if isinstance(data, dict) and data else None,
            "event_id": crumb.get("event_id"),
        })
    return {"values": values} if values else None


def _header_name(name: str) -> str:
    return "-".join(part[:1].upper() + part[1:].lower() for part in name.split("-"))


def _pairs(value: object, parse: Callable[[str], list[tuple[str, str]]]) -> list[list[Any]]:
    """
    Key/value pairs from a string, an object (sorted by key, as Relay stores objects) or a list.
    """
    if isinstance(value, str):
        return [[key, val] for key, val in parse(value)]
    if isinstance(value, dict):
        return [[str(key), val] for key, val in sorted(value.items(), key=lambda kv: str(kv[0]))]
    if isinstance(value, list):
        return [list(pair) for pair in value if isinstance(pair, (list, tuple)) and len(pair) == 2]
    return []


def _parse_query(text: str) -> list[tuple[str, str]]:
    return parse_qsl(text[1:] if text.startswith("?") else text, keep_blank_values=True)


def _parse_cookies(text: str) -> list[tuple[str, str]]:
    cookies = []
    for part in text.split(";"):
        name, sep, value = part.strip().partition("=")
        if name:
            cookies.append((name, value if sep else ""))
    return cookies


def _body(data: object) -> tuple[object, str | None]:
    # Relay parses string bodies that are JSON or form data and says which it found.
    if not isinstance(data, str):
        return data, None
    try:
        return loads(data), "application/json"
    except ValueError:
        pass
    if "=" in data:
        return dict(parse_qsl(data, keep_blank_values=True)), _FORM
    return data, None


def request(doc: dict[str, Any]) -> dict[str, Any] | None:
    req = _dict(doc.get("request"))
    if not req:
        return None
    url = req.get("url") if isinstance(req.get("url"), str) else None
    url_query, url_fragment = "", None
    if url:
        parts = urlsplit(url)
        url_query, url_fragment = parts.query, parts.fragment or None
        url = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    query = req.get("query_string")
    headers = [[_header_name(str(name)), value]
               for name, value in _pairs(req.get("headers"), lambda text: [])]
    cookies = req.get("cookies")
    header_cookie = next((value for name, value in headers if name == "Cookie"), None)
    headers = [pair for pair in headers if pair[0] != "Cookie"]
    if not cookies and isinstance(header_cookie, str):
        cookies = header_cookie
    data, inferred = _body(req.get("data"))
    if inferred is None:
        content_type = next((value for name, value in headers if name == "Content-Type"), None)
        if isinstance(content_type, str):
            inferred = content_type.split(";", 1)[0].strip() or None
    method = req.get("method")
    return {
        "method": method.upper() if isinstance(method, str) and method else None,
        "url": url,
        "query": _pairs(query if query not in (None, "", [], {}) else url_query, _parse_query),
        "fragment": req.get("fragment") or url_fragment,
        "data": data, "headers": headers, "cookies": _pairs(cookies, _parse_cookies),
        "env": req.get("env") or None, "inferredContentType": inferred,
    }


def threads(doc: dict[str, Any]) -> dict[str, Any] | None:
    value = doc.get("threads")
    values = value.get("values") if isinstance(value, dict) else value
    if not isinstance(values, list):
        return None
    shown = [{
        "id": thread.get("id"), "current": bool(thread.get("current")),
        "crashed": bool(thread.get("crashed")), "name": thread.get("name"),
        "stacktrace": stacktrace(thread.get("stacktrace")),
        "rawStacktrace": stacktrace(thread.get("raw_stacktrace")),
    } for thread in values if isinstance(thread, dict)]
    return {"values": shown} if shown else None


def spans(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """
    A transaction's spans as stored: snake_case keys, empty ones left out, times as epoch seconds.
    """
    shown = []
    listed = doc.get("spans")
    for span in listed if isinstance(listed, list) else []:
        if not isinstance(span, dict):
            continue
        kept = {key: value for key, value in span.items() if value is not None}
        for key in ("start_timestamp", "timestamp"):
            if key in kept:
                kept[key] = parse_timestamp(kept[key])
        shown.append(kept)
    return shown


def _plain(value: object) -> dict[str, Any] | None:
    data = _dict(value)
    if not data:
        return None
    return {key: val for key, val in data.items() if val is not None}


def debug_meta(doc: dict[str, Any]) -> dict[str, Any] | None:
    meta = _dict(doc.get("debug_meta"))
    if not meta:
        return None
    return {"images": meta.get("images") or [], "sdk_info": meta.get("sdk_info"),
            "is_debug_build": meta.get("is_debug_build")}


def entries(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """
    Every interface the event has, as C{{"type", "data"}}, in Sentry's display order.
    """
    found: list[tuple[str, Any]] = [
        ("message", message(doc)),
        ("exception", exception(doc)),
        ("stacktrace", stacktrace(doc.get("stacktrace"))),
    ]
    if doc.get("type") == "transaction":
        # Sentry keeps the spans entry of a transaction even when it has no spans.
        found.append(("spans", spans(doc)))
    found.append(("threads", threads(doc)))
    found.extend((name, _plain(doc.get(name))) for name in _SECURITY_REPORTS)
    found += [("breadcrumbs", breadcrumbs(doc)), ("request", request(doc)),
              ("debugmeta", debug_meta(doc))]
    return [{"type": kind, "data": data} for kind, data in found
            if data is not None and (data != [] or kind == "spans")]
