"""
The event's interfaces as Relay normalizes them: user, request, message, exceptions and their
frames, breadcrumbs, modules, fingerprint and the free-form data bags.

Facts: a user's id is text (numbers as integers), an invalid IP address is refused, fields Relay
does not know move into C{user.data}, and an empty user is dropped; a request's URL loses its
query string and fragment to C{query_string} (pairs) and C{fragment}, its method is upper case,
header names are capitalized (an object of headers is sorted) and the C{Cookie} header becomes
C{cookies}; a top-level C{message} becomes C{logentry.formatted}, a template is formatted with
its parameters, and a message is cut at 8192 characters; an exception's value is text, a missing
type is read from a C{"Type: value"} value; a frame without C{abs_path} takes its C{filename},
and the JavaScript placeholder function C{?} is dropped; breadcrumbs default to type C{default}
and level C{info}; data bags nested deeper than five levels keep the rest as JSON text.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any
from urllib.parse import parse_qsl

from ..jsoncodec import dumps
from .event_errors import Report, trim
from .fields import LEVELS, read_timestamp, relay_string

MAX_MESSAGE = 8192
#: How deep a data bag may nest (the bag itself is level 1), and a frame's variables.
BAG_DEPTH = 7
VARS_DEPTH = 5
_USER_FIELDS = ("id", "email", "ip_address", "username", "name", "geo", "segment", "data",
                "sentry_user")
_METHOD = re.compile(r"[A-Z0-9!#$%&'*+\-.^_`|~]+")
_TYPE_VALUE = re.compile(r"(\w+):(.*)", re.DOTALL)
_PARAM = re.compile(r"%[sdifr]|%%")


def bag(value: Any, limit: int = BAG_DEPTH, depth: int = 1) -> Any:
    """
    A free-form value with containers at C{limit} levels deep kept as compact JSON text.
    """
    if isinstance(value, dict):
        if depth >= limit:
            return dumps(value).decode()
        return {key: bag(item, limit, depth + 1) for key, item in value.items()}
    if isinstance(value, list):
        if depth >= limit:
            return dumps(value).decode()
        return [bag(item, limit, depth + 1) for item in value]
    return value


def normalize_user(value: Any, report: Report) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        report.invalid(("user",), value, "expected user")
        return None
    user: dict[str, Any] = {}
    for field in ("id", "email", "username", "name"):
        raw = value.get(field)
        if raw is None:
            continue
        text = relay_string(raw)
        if text is None:
            report.invalid(("user", field), raw, "expected a string")
        elif text:
            user[field] = text
    address = value.get("ip_address")
    if address is not None:
        try:
            if address != "{{auto}}":
                ipaddress.ip_address(address)
            user["ip_address"] = address
        except (ValueError, TypeError):
            report.invalid(("user", "ip_address"), address, "expected an ip address")
            user["ip_address"] = None
    for field in ("geo", "segment"):
        if value.get(field) not in (None, {}, ""):
            user[field] = value[field]
    data = dict(value["data"]) if isinstance(value.get("data"), dict) else {}
    data.update((key, item) for key, item in value.items() if key not in _USER_FIELDS)
    if data:
        user["data"] = bag(data)
    label = _label(value, user)
    if label is not None:
        user["sentry_user"] = label
    return user or None


def _label(sent: dict[str, Any], user: dict[str, Any]) -> str | None:
    # Relay names the user by the first of id, username, email and IP address it kept.
    for field, prefix in (("id", "id"), ("username", "username"), ("email", "email"),
                          ("ip_address", "ip")):
        value = user.get(field)
        if value is None and sent.get(field) == "":
            value = ""  # an empty one still counts
        if value is not None:
            return f"{prefix}:{value}"
    return None


def remote_address_user(user: dict[str, Any] | None, request: Any) -> dict[str, Any] | None:
    """
    The user, given the request's C{REMOTE_ADDR} as its IP address when it has none.
    """
    env = request.get("env") if isinstance(request, dict) else None
    address = env.get("REMOTE_ADDR") if isinstance(env, dict) else None
    if not isinstance(address, str) or (user and "ip_address" in user):
        return user
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return user
    user = dict(user or {}, ip_address=address)
    user["sentry_user"] = _label({}, user) or f"ip:{address}"
    return user


def _header_name(name: str) -> str:
    return "-".join(part[:1].upper() + part[1:] for part in name.split("-"))


def _pairs(value: Any) -> list[list[Any]] | None:
    if isinstance(value, dict):
        return [[key, value[key]] for key in sorted(value)]
    if isinstance(value, list):
        return [list(pair) for pair in value if isinstance(pair, (list, tuple)) and len(pair) == 2]
    return None


def _query(value: Any) -> list[list[Any]] | None:
    if isinstance(value, str):
        return [list(pair) for pair in parse_qsl(value.lstrip("?"), keep_blank_values=True)]
    return _pairs(value)


def _cookies(value: Any) -> list[list[Any]] | None:
    if isinstance(value, str):
        found = []
        for part in value.split(";"):
            name, sep, rest = part.strip().partition("=")
            if sep and name:
                found.append([name, rest])
        return found
    return _pairs(value)


def normalize_request(value: Any, report: Report) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        report.invalid(("request",), value, "expected request")
        return None
    request = dict(value)
    url = request.get("url")
    if url is not None and not isinstance(url, str):
        report.invalid(("request", "url"), url, "expected a string")
        request["url"] = url = None
    if isinstance(url, str):
        url, hash_sign, fragment = url.partition("#")
        url, question, query = url.partition("?")
        request["url"] = url
        if question and request.get("query_string") in (None, "", [], {}):
            request["query_string"] = query
        if hash_sign and not request.get("fragment"):
            request["fragment"] = fragment
    method = request.get("method")
    if isinstance(method, str):
        method = method.upper()
        if not _METHOD.fullmatch(method):
            report.invalid(("request", "method"), method)
            method = None
        request["method"] = method
    headers = _pairs(request.get("headers"))
    cookie_header = None
    if headers is not None:
        named = []
        for name, header in headers:
            if not isinstance(name, str):
                continue
            name = _header_name(name)
            if name == "Cookie":
                cookie_header = header
                continue
            named.append([name, header])
        if isinstance(request.get("headers"), dict):
            named.sort(key=lambda pair: pair[0])
        request["headers"] = named
    if request.get("cookies") is None and isinstance(cookie_header, str):
        request["cookies"] = cookie_header
    if "query_string" in request:
        request["query_string"] = _query(request["query_string"])
    if "cookies" in request:
        request["cookies"] = _cookies(request["cookies"])
    for key in ("data", "env"):
        if key in request:
            request[key] = bag(request[key])
    return request


def _format(template: str, params: Any) -> str:
    if isinstance(params, dict):
        try:
            return template % params
        except (TypeError, ValueError, KeyError):
            return template
    values = iter(params if isinstance(params, list) else [])

    def fill(match: re.Match[str]) -> str:
        if match.group() == "%%":
            return "%"
        try:
            return str(next(values))
        except StopIteration:
            return match.group()
    return _PARAM.sub(fill, template)


def normalize_logentry(doc: dict[str, Any], report: Report) -> dict[str, Any] | None:
    entry = doc.get("logentry")
    legacy = doc.pop("message", None)
    if entry is None:
        entry = legacy
    if entry is None:
        return None
    if isinstance(entry, str):
        entry = {"formatted": entry}
    if not isinstance(entry, dict):
        report.invalid(("logentry",), entry, "expected a log entry")
        return None
    entry = {key: item for key, item in entry.items() if item is not None}
    message, params = entry.get("message"), entry.get("params")
    formatted = entry.get("formatted")
    if not isinstance(formatted, str) or not formatted:
        if isinstance(message, str):
            formatted = _format(message, params) if params else message
            if not params:
                entry.pop("message")
        entry["formatted"] = formatted
    if not isinstance(entry.get("formatted"), str) or not entry["formatted"]:
        return None
    entry["formatted"] = trim(entry["formatted"], MAX_MESSAGE, ("logentry", "formatted"),
                              report)
    return entry


def _frames(stacktrace: Any) -> None:
    if not isinstance(stacktrace, dict):
        return
    frames = stacktrace.get("frames")
    if not isinstance(frames, list):
        return
    for index, frame in enumerate(frames):
        if not isinstance(frame, dict):
            continue
        frame = {key: item for key, item in frame.items()
                 if item is not None and (item or not isinstance(item, (list, dict)))}
        if "abs_path" not in frame and isinstance(frame.get("filename"), str):
            frame["abs_path"] = frame["filename"]
        if frame.get("function") == "?":
            del frame["function"]
        if "vars" in frame:
            frame["vars"] = bag(frame["vars"], VARS_DEPTH)
        frames[index] = frame


def normalize_exception(value: Any, report: Report) -> dict[str, Any] | None:
    if value is None:
        return None
    if isinstance(value, list):
        value = {"values": value}
    if not isinstance(value, dict) or not isinstance(value.get("values"), list):
        report.invalid(("exception",), value, "expected an exception")
        return None
    values = []
    for item in value["values"]:
        if not isinstance(item, dict):
            values.append(item)
            continue
        item = {key: part for key, part in item.items() if part is not None}
        text = item.get("value")
        if text is not None and not isinstance(text, str):
            text = relay_string(text) if relay_string(text) is not None else dumps(text).decode()
            item["value"] = text
        if not item.get("type") and isinstance(text, str):
            match = _TYPE_VALUE.fullmatch(text)
            if match:
                item["type"], item["value"] = match.group(1), match.group(2).strip()
        _frames(item.get("stacktrace"))
        _frames(item.get("raw_stacktrace"))
        values.append(item)
    return {**value, "values": values}


def normalize_breadcrumbs(value: Any, report: Report) -> dict[str, Any] | None:
    if isinstance(value, list):
        value = {"values": value}
    if not isinstance(value, dict) or not isinstance(value.get("values"), list):
        return None
    crumbs = []
    for index, crumb in enumerate(value["values"]):
        if not isinstance(crumb, dict):
            crumbs.append(crumb)
            continue
        crumb = {key: item for key, item in crumb.items() if item is not None}
        if "timestamp" in crumb:
            seconds, _ = read_timestamp(crumb["timestamp"])
            crumb["timestamp"] = seconds
            if seconds is None:
                del crumb["timestamp"]
        crumb.setdefault("type", "default")
        level = crumb.get("level")
        if level is None:
            crumb["level"] = "info"
        elif level not in LEVELS:
            report.invalid(("breadcrumbs", "values", index, "level"), level, "invalid level")
            crumb["level"] = "info"
        else:
            crumb["level"] = LEVELS[level]
        if "data" in crumb:
            crumb["data"] = bag(crumb["data"])
        crumbs.append(crumb)
    return {**value, "values": crumbs} if crumbs else None


def normalize_fingerprint(value: Any, report: Report) -> list[str] | None:
    if not isinstance(value, list):
        return None
    found, refused = [], []
    for entry in value:
        text = relay_string(entry) if entry is not None else None
        if text is not None:
            found.append(text)
        elif entry is not None:
            refused.append(entry)
    if refused:
        report.fingerprint(refused, len(found) + len(refused))
    return found or None


def normalize_modules(value: Any, report: Report) -> dict[str, Any] | None:
    if not isinstance(value, dict):
        return None
    modules: dict[str, Any] = {}
    for name, version in value.items():
        if version is not None and not isinstance(version, str):
            report.invalid(("modules", name), version, "expected a string")
            version = None
        modules[name] = version
    return modules or None


def normalize_extra(value: Any, report: Report) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        report.invalid(("extra",), value, "expected an object")
        return {}
    return bag(value)
