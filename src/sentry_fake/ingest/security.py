"""
Browser security reports as Sentry turns them into events: CSP violations (the C{report-uri}
form C{{"csp-report": {...}}} and the Reporting API's C{{"type": "csp-violation", "body": {...}}}),
HPKP, Expect-CT and Expect-Staple reports.

Each report becomes an event payload with the message, culprit, tags, request and security
interface Relay derives for it.  Pure functions; nothing here knows about HTTP.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from ..errors import Invalid

# The CSP directives Relay knows; a report naming none of them is not a CSP report.
DIRECTIVES = frozenset({
    "base-uri", "child-src", "connect-src", "default-src", "fenced-frame-src", "font-src",
    "form-action", "frame-ancestors", "frame-src", "img-src", "manifest-src", "media-src",
    "object-src", "plugin-types", "prefetch-src", "referrer", "script-src", "script-src-attr",
    "script-src-elem", "style-src", "style-src-elem", "style-src-attr",
    "upgrade-insecure-requests", "worker-src", "sandbox", "navigate-to", "report-uri",
    "report-to", "block-all-mixed-content", "require-sri-for", "require-trusted-types-for",
    "trusted-types",
})
# What a blocked resource is called in the message, per directive.
_FROM = {
    "child-src": "'child' from", "connect-src": "'connect' from", "font-src": "'font' from",
    "form-action": "'form' action to", "img-src": "'image' from", "manifest-src": "'manifest' from",
    "media-src": "'media' from", "object-src": "'object' from", "script-src": "'script' from",
    "script-src-attr": "inline script attribute from", "script-src-elem": "'script' from",
    "style-src": "'style' from", "style-src-elem": "'style' from",
    "style-src-attr": "style attribute from",
}
_INLINE = {
    "child-src": "inline 'child'", "connect-src": "inline 'connect'", "font-src": "inline 'font'",
    "img-src": "inline 'image'", "manifest-src": "inline 'manifest'", "media-src": "inline 'media'",
    "object-src": "inline 'object'", "script-src-attr": "unsafe 'script' element",
    "script-src-elem": "inline script attribute", "style-src": "inline 'style'",
    "style-src-elem": "'style' or 'link' element", "style-src-attr": "style attribute",
    "script-src": "unsafe (eval() or inline) 'script'",
}
# Field names of a CSP report body (hyphenated, camelCase, snake_case) -> the interface's keys.
_CSP_FIELDS = {
    "effective-directive": "effective_directive", "effectiveDirective": "effective_directive",
    "blocked-uri": "blocked_uri", "blockedURL": "blocked_uri",
    "document-uri": "document_uri", "documentURL": "document_uri",
    "original-policy": "original_policy", "originalPolicy": "original_policy",
    "referrer": "referrer", "status-code": "status_code", "statusCode": "status_code",
    "violated-directive": "violated_directive", "violatedDirective": "violated_directive",
    "source-file": "source_file", "sourceFile": "source_file",
    "line-number": "line_number", "lineNumber": "line_number",
    "column-number": "column_number", "columnNumber": "column_number",
    "script-sample": "script_sample", "scriptSample": "script_sample", "sample": "script_sample",
    "disposition": "disposition",
}
_NUMERIC = frozenset({"status_code", "line_number", "column_number"})
_HOST_SCHEMES = frozenset({
    "ftp", "http", "gopher", "nntp", "telnet", "imap", "wais", "file", "mms", "https", "shttp",
    "snews", "prospero", "rtsp", "rtspu", "rsync", "svn", "svn+ssh", "sftp", "nfs", "git",
    "git+ssh", "ws", "wss",
})
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443, "ftp": 21}
_KEYWORDS = frozenset({"'none'", "'self'", "'unsafe-inline'", "'unsafe-eval'"})
_SCHEMED = ("data:", "mediastream:", "blob:", "filesystem:", "http:", "https:", "file:")


def _invalid(cause: str) -> Invalid:
    return Invalid("invalid security report", causes=[cause])


def report_type(report: Any) -> str | None:
    """
    The kind of security report a JSON value is (C{csp}, C{hpkp}, C{expectct},
    C{expectstaple}), or C{None} when it is none Sentry knows.
    """
    if not isinstance(report, dict):
        return None
    if "csp-report" in report or report.get("type") == "csp-violation":
        return "csp"
    if "known-pins" in report:
        return "hpkp"
    if "expect-staple-report" in report:
        return "expectstaple"
    if "expect-ct-report" in report:
        return "expectct"
    return None


def _unsplit(scheme: str, host: str) -> str:
    # Python's urlunsplit of (scheme, host), quirks included, as Relay mimics it.
    if host or scheme in _HOST_SCHEMES:
        return f"{scheme}://{host}"
    return f"{scheme}:{host}" if scheme else ""


def normalize_uri(value: str) -> str:
    """
    A URI as Sentry shows it in a CSP title: the host (and port) of web URLs, the scheme of
    others, C{'self'} for the document itself.
    """
    if value in ("", "self", "'self'"):
        return "'self'"
    if ":" not in value:
        return _unsplit(value, "")
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return value
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    normalized = host if scheme in ("http", "https") else _unsplit(scheme, host)
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        return f"{normalized}:{port}"
    return normalized


def _csp_body(report: dict[str, Any]) -> dict[str, Any]:
    body = report.get("csp-report") if "csp-report" in report else report.get("body")
    if not isinstance(body, dict):
        raise _invalid("the report body must be a JSON object")
    csp: dict[str, Any] = {}
    for key, value in body.items():
        name = _CSP_FIELDS.get(key, key)
        if name in _NUMERIC and value is not None:
            try:
                value = int(value)
            except (TypeError, ValueError):
                raise _invalid(f"{key} must be a number")
        csp[name] = value
    csp.setdefault("blocked_uri", "self")
    csp.setdefault("violated_directive", "")
    for key in ("blocked_uri", "violated_directive"):
        csp[key] = "" if csp[key] is None else str(csp[key])
    return csp


def _first(directive: object) -> str:
    text = str(directive or "").strip()
    return text.split(" ", 1)[0] if text else ""


def _effective_directive(csp: dict[str, Any]) -> str:
    # Firefox sends no effective-directive: fall back to the violated one.
    for candidate in (_first(csp.get("effective_directive")), _first(csp["violated_directive"])):
        if candidate in DIRECTIVES:
            return candidate
    raise _invalid("the report names no known CSP directive")


def csp_message(directive: str, blocked_uri: str) -> str:
    """
    The title Sentry gives a CSP violation, e.g. C{Blocked 'script' from 'evil.com'}.
    """
    if directive == "script-src" and blocked_uri in ("inline", "eval"):
        return ("Blocked unsafe inline 'script'" if blocked_uri == "inline"
                else "Blocked unsafe eval() 'script'")
    if blocked_uri in ("", "self", "'self'"):
        return "Blocked " + _INLINE.get(directive, f"inline '{directive}'")
    what = _FROM.get(directive, f"'{directive}' from")
    return f"Blocked {what} '{normalize_uri(blocked_uri)}'"


def _culprit_value(value: str, document: str, document_uri: str) -> str:
    if value in _KEYWORDS:
        return value
    if value.startswith(_SCHEMED):
        return "'self'" if document == normalize_uri(value) else value
    if value == document:
        return "'self'"
    scheme = document_uri.split(":", 1)[0] if ":" in document_uri else None
    if scheme is None or scheme in ("http", "https"):
        return value
    return _unsplit(scheme, value)


def csp_culprit(csp: dict[str, Any]) -> str:
    """
    The violated directive with the document's own origin written as C{'self'}.
    """
    bits = csp["violated_directive"].split()
    if not bits:
        return ""
    document_uri = str(csp.get("document_uri") or "")
    document = normalize_uri(document_uri)
    return " ".join([bits[0]] + [_culprit_value(bit, document, document_uri) for bit in bits[1:]])


def _csp_tags(directive: str, blocked_uri: str) -> list[list[str]]:
    shown = blocked_uri
    if shown.startswith("https://api.stripe.com/"):
        # Stripe URLs carry card data in their query strings.
        shown = shown.split("?", 1)[0].split("#", 1)[0]
    tags = [["effective-directive", directive], ["blocked-uri", shown]]
    try:
        parts = urlsplit(blocked_uri)
        if parts.scheme in ("http", "https") and parts.hostname:
            tags.append(["blocked-host", parts.hostname])
    except ValueError:
        pass
    return tags


def _csp_event(report: dict[str, Any]) -> dict[str, Any]:
    csp = _csp_body(report)
    directive = _effective_directive(csp)
    csp["effective_directive"] = directive
    request: dict[str, Any] = {"url": csp.get("document_uri")}
    if csp.get("referrer"):
        request["headers"] = [["Referer", str(csp["referrer"])]]
    return {
        "logentry": {"formatted": csp_message(directive, csp["blocked_uri"])},
        "culprit": csp_culprit(csp),
        "tags": _csp_tags(directive, csp["blocked_uri"]),
        "request": request,
        "csp": {key: value for key, value in csp.items() if value is not None},
    }


def _hostname(body: Any, key: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise _invalid(f"{key} must be a JSON object")
    if not isinstance(body.get("hostname"), str):
        raise _invalid(f"{key} has no hostname")
    return body


def _snake(body: dict[str, Any]) -> dict[str, Any]:
    return {key.replace("-", "_"): value for key, value in body.items()}


def _host_tags(body: dict[str, Any], *extra: tuple[str, str]) -> list[list[str]]:
    # (field of the report, tag name) pairs after the hostname and the port.
    tags = [["hostname", body["hostname"]]]
    for field, tag in (("port", "port"),) + extra:
        value = body.get(field)
        if value is not None:
            tags.append([tag, str(value).lower() if isinstance(value, bool) else str(value)])
    return tags


def _hpkp_event(report: dict[str, Any]) -> dict[str, Any]:
    body = _hostname(report, "the HPKP report")
    if not isinstance(body.get("known-pins"), list):
        raise _invalid("the HPKP report has no known-pins list")
    return {
        "logentry": {"formatted": f"Public key pinning validation failed for '{body['hostname']}'"},
        "tags": _host_tags(body, ("include-subdomains", "include-subdomains")),
        "request": {"url": body["hostname"]},
        "hpkp": _snake(body),
    }


def _expect_event(report: dict[str, Any], key: str, label: str, interface: str,
                  tag_keys: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    body = _hostname(report.get(key), key)
    return {
        "logentry": {"formatted": f"{label} failed for '{body['hostname']}'"},
        "culprit": body["hostname"],
        "tags": _host_tags(body, *tag_keys),
        "request": {"url": body["hostname"]},
        interface: _snake(body),
    }


def security_event(report: Any, release: str | None = None, environment: str | None = None,
                   origin: str | None = None) -> dict[str, Any]:
    """
    The event payload for one security report, with the C{sentry_release} and
    C{sentry_environment} the report URL named and the C{Origin} the browser sent.

    @raise Invalid: the value is not a security report Sentry knows, or is malformed.
    """
    kind = report_type(report)
    if kind == "csp":
        payload = _csp_event(report)
    elif kind == "hpkp":
        payload = _hpkp_event(report)
    elif kind == "expectct":
        payload = _expect_event(report, "expect-ct-report", "Expect-CT", "expectct", ())
    elif kind == "expectstaple":
        payload = _expect_event(report, "expect-staple-report", "Expect-Staple", "expectstaple",
                                (("response-status", "response_status"),
                                 ("cert-status", "cert_status")))
    else:
        raise Invalid("invalid security report type",
                      causes=["expected csp-report, csp-violation, known-pins, "
                              "expect-ct-report or expect-staple-report"])
    payload["type"] = kind
    if release:
        payload["release"] = release
    if environment:
        payload["environment"] = environment
    if origin:
        payload["request"].setdefault("headers", []).append(["Origin", origin])
    return payload
