"""
The ways an SDK names its client key.
"""

import base64

import pytest

from sentry_fake.errors import Invalid, Unauthorized
from sentry_fake.ingest.auth import auth_from_dsn, dsn_project_id, request_auth


def test_python_sdk_header():
    auth = request_auth(
        "Sentry sentry_key=abc, sentry_version=7, sentry_client=sentry.python/2.75.0", None, {})
    assert (auth.public_key, auth.version, auth.client) == ("abc", 7, "sentry.python/2.75.0")


def test_sentry_cli_header_with_timestamp_and_secret():
    auth = request_auth("Sentry sentry_key=abc, sentry_version=7, sentry_timestamp=1795335618.79, "
                        "sentry_client=sentry-cli/x86_64, sentry_secret=s3", None, {})
    assert (auth.public_key, auth.secret_key) == ("abc", "s3")


def test_prefix_is_case_insensitive_and_optional():
    assert request_auth("sentry sentry_key=a", None, {}).public_key == "a"
    assert request_auth("sentry_key=a, sentry_version=7", None, {}).public_key == "a"


def test_query_string_like_the_javascript_sdks():
    query = {"sentry_version": ["7"], "sentry_key": ["k"],
             "sentry_client": ["sentry.javascript.node/11.12.0"]}
    assert request_auth(None, None, query).public_key == "k"


def test_authorization_header_forms():
    assert request_auth(None, "Sentry sentry_key=k, sentry_version=7", {}).public_key == "k"
    basic = "Basic " + base64.b64encode(b"k:").decode()
    assert request_auth(None, basic, {}).public_key == "k"
    assert request_auth(None, "DSN http://k@host/1", {}).public_key == "k"


def test_no_auth_at_all():
    assert request_auth(None, None, {}) is None


def test_multiple_sources_are_refused():
    with pytest.raises(Unauthorized) as raised:
        request_auth("Sentry sentry_key=a", None, {"sentry_key": ["b"]})
    assert "multiple authorization payloads detected" in raised.value.causes


@pytest.mark.parametrize("header", ["Sentry sentry_version=7", "Sentry garbage", ""])
def test_header_without_key_is_unauthorized(header):
    if header:
        with pytest.raises(Unauthorized):
            request_auth(header, None, {})


def test_newer_protocol_version_is_refused():
    with pytest.raises(Invalid):
        request_auth("Sentry sentry_key=a, sentry_version=8", None, {})


def test_dsn():
    auth = auth_from_dsn("https://pub:sec@o1.ingest.sentry.io/sentry/42")
    assert (auth.public_key, auth.secret_key) == ("pub", "sec")
    assert dsn_project_id("https://pub@host/sentry/42") == 42
    with pytest.raises(Unauthorized):
        auth_from_dsn("http://host/1")
