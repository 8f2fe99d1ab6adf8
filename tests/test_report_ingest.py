"""
Browser reports: CSP (as Chromium sends it, and as Reporting API batches), HPKP, Expect-CT and
Expect-Staple reports becoming issues, NEL reports kept as items, and what bad reports get back.
"""

import json

import pytest
import pytest_twisted

from sentry_fake.errors import Invalid
from sentry_fake.ingest.security import csp_culprit, csp_message, normalize_uri, security_event

REPORT_URL = "/api/1/security/?sentry_key=parlel&sentry_release=web%401.2&sentry_environment=prod"
CSP_TYPE = {"Content-Type": "application/csp-report"}

# Captured from headless Chromium 150 (report-uri), verbatim.
CHROMIUM_REPORTS = [
    b'{"csp-report":{"document-uri":"http://127.0.0.1:40903/uri","referrer":"","violated-directive":"img-src","effective-directive":"img-src","original-policy":"script-src \'self\'; img-src \'self\'; report-uri /report-uri","disposition":"enforce","blocked-uri":"https://evil.example/pixel.png","line-number":2,"source-file":"http://127.0.0.1:40903/uri","status-code":200,"script-sample":""}}',
    b'{"csp-report":{"document-uri":"http://127.0.0.1:40903/uri","referrer":"","violated-directive":"script-src-elem","effective-directive":"script-src-elem","original-policy":"script-src \'self\'; img-src \'self\'; report-uri /report-uri","disposition":"enforce","blocked-uri":"inline","line-number":2,"source-file":"http://127.0.0.1:40903/uri","status-code":200,"script-sample":""}}',
    b'{"csp-report":{"document-uri":"http://127.0.0.1:40903/uri","referrer":"","violated-directive":"script-src-elem","effective-directive":"script-src-elem","original-policy":"script-src \'self\'; img-src \'self\'; report-uri /report-uri","disposition":"enforce","blocked-uri":"http://evil.example:8080/x.js","status-code":200,"script-sample":""}}',
]
# A Reporting API batch (Content-Type application/reports+json) in Chrome's report-to shape.
REPORTING_BATCH = [
    {"age": 1, "type": "csp-violation", "url": "https://shop.example/cart",
     "user_agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/150.0.0.0",
     "body": {"blockedURL": "https://evil.com/x.js", "disposition": "enforce",
              "documentURL": "https://shop.example/cart", "effectiveDirective": "script-src-elem",
              "lineNumber": 21, "originalPolicy": "script-src 'self'; report-to csp",
              "referrer": "https://shop.example/", "sample": "", "sourceFile":
              "https://shop.example/cart", "statusCode": 200}},
    {"age": 3, "type": "deprecation", "url": "https://shop.example/cart",
     "user_agent": "Mozilla/5.0", "body": {"id": "Unload", "message": "unload is deprecated"}},
]


async def post(api, path, body, headers=None):
    if not isinstance(body, bytes):
        body = json.dumps(body).encode()
    return await api.request("POST", path, body=body, headers=headers or {}, token=None)


@pytest_twisted.ensureDeferred
async def test_chromium_csp_reports_become_issues(api, store):
    for body in CHROMIUM_REPORTS:
        answer = await post(api, REPORT_URL, body, dict(CSP_TYPE, Origin="http://127.0.0.1:40903"))
        assert answer.code == 200, answer
        assert answer.content == b""
        assert answer.header("access-control-allow-origin") == "*"

    events = (await api.request("GET", "/__parlel/events")).json()["events"]
    assert [(e["type"], e["title"], e["culprit"]) for e in events] == [
        ("csp", "Blocked 'image' from 'evil.example'", "img-src"),
        ("csp", "Blocked 'script' from 'inline:'", "script-src-elem"),
        ("csp", "Blocked 'script' from 'evil.example:8080'", "script-src-elem"),
    ]
    first = events[0]
    assert (first["release"], first["environment"]) == ("web@1.2", "prod")
    assert first["csp"] == {
        "document_uri": "http://127.0.0.1:40903/uri", "referrer": "",
        "violated_directive": "img-src", "effective_directive": "img-src",
        "original_policy": "script-src 'self'; img-src 'self'; report-uri /report-uri",
        "disposition": "enforce", "blocked_uri": "https://evil.example/pixel.png",
        "line_number": 2, "source_file": "http://127.0.0.1:40903/uri", "status_code": 200,
        "script_sample": ""}
    assert first["request"] == {"url": "http://127.0.0.1:40903/uri",
                                "headers": [["Origin", "http://127.0.0.1:40903"]]}
    tags = dict(first["tags"])
    assert tags["effective-directive"] == "img-src"
    assert tags["blocked-uri"] == "https://evil.example/pixel.png"
    assert tags["blocked-host"] == "evil.example"
    assert tags["release"] == "web@1.2"

    # The same violation again joins its issue.
    await post(api, REPORT_URL, CHROMIUM_REPORTS[0], CSP_TYPE)
    issues = (await api.request("GET", "/api/0/projects/parlel/parlel/issues/")).json()
    counts = {issue["title"]: issue["count"] for issue in issues}
    assert counts == {"Blocked 'image' from 'evil.example'": "2",
                      "Blocked 'script' from 'inline:'": "1",
                      "Blocked 'script' from 'evil.example:8080'": "1"}

    detail = await api.request("GET", f"/api/0/projects/parlel/parlel/events/{first['event_id']}/")
    assert "csp" in [entry["type"] for entry in detail.json()["entries"]]


@pytest_twisted.ensureDeferred
async def test_reporting_api_batch_on_the_csp_report_route(api):
    answer = await post(api, "/api/1/csp-report?sentry_key=parlel", REPORTING_BATCH,
                        {"Content-Type": "application/reports+json"})
    assert answer.code == 200, answer
    [event] = (await api.request("GET", "/__parlel/events")).json()["events"]
    assert event["title"] == "Blocked 'script' from 'evil.com'"
    assert event["culprit"] == "script-src-elem"
    assert event["csp"]["blocked_uri"] == "https://evil.com/x.js"
    assert event["csp"]["script_sample"] == "" and event["csp"]["line_number"] == 21
    assert event["request"] == {"url": "https://shop.example/cart",
                                "headers": [["Referer", "https://shop.example/"]]}


@pytest.mark.parametrize("report, content_type, kind, title, culprit", [
    ({"date-time": "2014-04-06T13:00:50Z", "hostname": "www.example.com", "port": 443,
      "include-subdomains": False, "noted-hostname": "example.com",
      "known-pins": ['pin-sha256="d6qzRu9zOECb90Uez27xWltNsj0e1Md7GkYYkVoZWmM="']},
     "application/json", "hpkp", "Public key pinning validation failed for 'www.example.com'",
     "www.example.com"),
    ({"expect-ct-report": {"date-time": "2014-04-06T13:00:50Z", "hostname": "www.example.com",
                           "port": 443, "effective-expiration-date": "2014-05-01T12:40:50Z"}},
     "application/expect-ct-report+json", "expectct", "Expect-CT failed for 'www.example.com'",
     "www.example.com"),
    ({"expect-staple-report": {"date-time": "2014-04-06T13:00:50Z", "hostname": "www.example.com",
                               "port": 443, "response-status": "ERROR_RESPONSE",
                               "cert-status": "REVOKED"}},
     "application/expect-staple-report", "expectstaple",
     "Expect-Staple failed for 'www.example.com'",
     "www.example.com"),
])
@pytest_twisted.ensureDeferred
async def test_certificate_reports(api, report, content_type, kind, title, culprit):
    answer = await post(api, REPORT_URL, report, {"Content-Type": content_type})
    assert answer.code == 200, answer
    [event] = (await api.request("GET", "/__parlel/events")).json()["events"]
    assert (event["type"], event["title"]) == (kind, title)
    # Relay gives HPKP reports no culprit; the request URL (the host) stands in, as for others.
    assert event["culprit"] == culprit
    assert event[kind]["hostname"] == "www.example.com"
    assert dict(event["tags"])["hostname"] == "www.example.com"
    if kind == "expectstaple":
        assert dict(event["tags"])["cert_status"] == "REVOKED"
    issues = (await api.request("GET", "/api/0/projects/parlel/parlel/issues/")).json()
    assert [issue["title"] for issue in issues] == [title]


@pytest.mark.parametrize("path, body, headers, code, detail", [
    (REPORT_URL, b"{}", {"Content-Type": "text/plain"}, 415, "unsupported media type"),
    (REPORT_URL, b"", CSP_TYPE, 400, "empty request body"),
    (REPORT_URL, b"{not json", CSP_TYPE, 400, "invalid JSON data"),
    (REPORT_URL, b'{"hello": "world"}', CSP_TYPE, 400, "invalid security report type"),
    (REPORT_URL, b'{"csp-report": {"blocked-uri": "x"}}', CSP_TYPE, 400,
     "invalid security report"),
    (REPORT_URL, json.dumps(REPORTING_BATCH[1:]).encode(),
     {"Content-Type": "application/reports+json"}, 400, "invalid security report type"),
    ("/api/1/nel/?sentry_key=parlel", b'{"type": "network-error"}',
     {"Content-Type": "application/reports+json"}, 400, "invalid JSON data"),
    ("/api/1/nel/?sentry_key=parlel", b"[]", {"Content-Type": "text/plain"}, 415,
     "unsupported media type"),
])
@pytest_twisted.ensureDeferred
async def test_report_errors(api, store, path, body, headers, code, detail):
    answer = await post(api, path, body, headers)
    assert answer.code == code, answer
    assert answer.json()["detail"] == detail
    assert answer.header("access-control-allow-origin") == "*"
    assert list(store.events()) == [] and list(store.items()) == []


@pytest_twisted.ensureDeferred
async def test_nel_reports_are_kept_as_items(api):
    reports = [
        {"age": 0, "type": "network-error", "url": "https://shop.example/",
         "user_agent": "Mozilla/5.0",
         "body": {"elapsed_time": 31, "method": "GET", "phase": "connection",
                  "protocol": "http/1.1",
                  "referrer": "", "sampling_fraction": 1.0, "server_ip": "203.0.113.9",
                  "status_code": 0, "type": "tcp.refused"}},
        {"age": 5, "type": "network-error", "url": "https://shop.example/api",
         "user_agent": "Mozilla/5.0",
         "body": {"elapsed_time": 2, "method": "POST", "phase": "application", "protocol": "h2",
                  "referrer": "https://shop.example/", "sampling_fraction": 1.0,
                  "server_ip": "203.0.113.9", "status_code": 503, "type": "http.error"}},
    ]
    answer = await post(api, "/api/1/nel/?sentry_key=parlel", reports,
                        {"Content-Type": "application/reports+json"})
    assert (answer.code, answer.content) == (200, b"")
    kept = (await api.request("GET", "/__parlel/items?type=nel")).json()["items"]
    assert [item["payload"] for item in kept] == reports
    assert all(item["project_id"] == "1" and item["event_id"] is None for item in kept)
    assert (await api.request("GET", "/__parlel/events")).json()["count"] == 0


@pytest.mark.parametrize("path", ["/api/1/security/", "/api/1/csp-report/", "/api/1/nel/"])
@pytest_twisted.ensureDeferred
async def test_report_routes_answer_cors_preflight(api, path):
    answer = await api.request("OPTIONS", path, token=None)
    assert answer.code == 200
    assert answer.header("access-control-allow-origin") == "*"


@pytest_twisted.ensureDeferred
async def test_csp_report_over_a_real_socket(server, live_api):
    answer = await post(live_api, REPORT_URL, CHROMIUM_REPORTS[2], CSP_TYPE)
    assert (answer.code, answer.content) == (200, b"")
    [event] = list(server.store.events())
    assert event.title == "Blocked 'script' from 'evil.example:8080'"
    assert event.release == "web@1.2"


# Relay's own expectations for messages and culprits (relay-event-schema security_report tests).
@pytest.mark.parametrize("directive, blocked, message", [
    ("img-src", "http://google.com/foo", "Blocked 'image' from 'google.com'"),
    ("style-src", "", "Blocked inline 'style'"),
    ("script-src", "", "Blocked unsafe (eval() or inline) 'script'"),
    ("script-src", "data:text/plain;base64,SGVsbG8sIFdvcmxkIQ%3D%3D",
     "Blocked 'script' from 'data:'"),
    ("script-src", "data", "Blocked 'script' from 'data:'"),
    ("style-src-elem", "http://fonts.google.com/foo", "Blocked 'style' from 'fonts.google.com'"),
    ("script-src-elem", "http://cdn.ajaxapis.com/foo", "Blocked 'script' from 'cdn.ajaxapis.com'"),
    ("style-src", "http://notlocalhost:8000/lol.css", "Blocked 'style' from 'notlocalhost:8000'"),
    ("script-src", "inline", "Blocked unsafe inline 'script'"),
    ("script-src", "eval", "Blocked unsafe eval() 'script'"),
    ("default-src", "http://evilhackerscripts.com", "Blocked 'default-src' from 'evilhackerscripts.com'"),
    ("form-action", "https://phish.example/post", "Blocked 'form' action to 'phish.example'"),
])
def test_csp_messages_match_relay(directive, blocked, message):
    assert csp_message(directive, blocked) == message


@pytest.mark.parametrize("document, violated, culprit", [
    ("http://example.com/foo", "style-src http://cdn.example.com", "style-src http://cdn.example.com"),
    ("http://example.com/foo", "style-src cdn.example.com", "style-src cdn.example.com"),
    ("http://example.com/foo", "style-src https://cdn.example.com", "style-src https://cdn.example.com"),
    ("http://example.com/foo", "style-src http://example.com", "style-src 'self'"),
    ("http://example.com/foo", "style-src http://example2.com example.com",
     "style-src http://example2.com 'self'"),
    ("example.com", "style-src example2.com", "style-src example2.com"),
    ("https://example.com/foo/bar", "default-src self", "default-src self"),
])
def test_csp_culprits_match_relay(document, violated, culprit):
    assert csp_culprit({"document_uri": document, "violated_directive": violated}) == culprit


def test_uri_normalization_and_stripe_scrubbing():
    assert [normalize_uri(v) for v in ("", "self", "data", "http", "http://notlocalhost/",
                                       "data://notlocalhost/", "xyz://notlocalhost/")] == [
        "'self'", "'self'", "data:", "http://", "notlocalhost", "data://notlocalhost",
        "xyz://notlocalhost"]
    event = security_event({"csp-report": {
        "document-uri": "https://example.com", "effective-directive": "script-src",
        "blocked-uri": "https://api.stripe.com/v1/tokens?card[number]=xxx"}})
    assert event["tags"] == [["effective-directive", "script-src"],
                             ["blocked-uri", "https://api.stripe.com/v1/tokens"],
                             ["blocked-host", "api.stripe.com"]]
    # Firefox sends no effective-directive: the violated one names it.
    firefox = security_event({"csp-report": {"violated-directive": "img-src 'self'",
                                             "blocked-uri": "https://x.example/a.png"}})
    assert firefox["csp"]["effective_directive"] == "img-src"
    with pytest.raises(Invalid):
        security_event({"csp-report": {"effective-directive": "made-up-src"}})
