"""
The ways to run sentry-fake inside a test suite: in the test's own reactor, and through the
C{sentry_fake} pytest fixture of a suite that uses no Twisted at all.
"""

import os
import sys
import textwrap

import pytest_twisted
import sentry_sdk
from twisted.internet.threads import deferToThread
from twisted.internet.utils import getProcessOutputAndValue


@pytest_twisted.ensureDeferred
async def test_embedded_server_with_the_sdk_in_this_process(server):
    sentry_sdk.init(dsn=server.dsn, release="embedded@1", default_integrations=False)
    try:
        sentry_sdk.capture_message("from this process", level="info")
        # Flushing blocks until the events are sent to this reactor: never on its thread.
        await deferToThread(sentry_sdk.flush, 5)
        (event,) = await server.wait_for_events(1, timeout=5)
    finally:
        sentry_sdk.get_client().close()
        sentry_sdk.init()  # leave this process with no client, as it started
    assert (event["message"], event["release"], event["level"]) == \
        ("from this process", "embedded@1", "info")
    assert server.url.startswith("http://127.0.0.1:") and str(server.port) in server.dsn
    assert server.events(type="default")[0]["event_id"] == event["event_id"]
    server.reset()
    assert server.events() == []


@pytest_twisted.ensureDeferred
async def test_wait_for_events_gives_up(server):
    from twisted.internet import reactor

    started = reactor.seconds()
    assert await server.wait_for_events(1, timeout=0.2) == []
    assert reactor.seconds() - started >= 0.2


@pytest_twisted.ensureDeferred
async def test_the_pytest_fixture_in_a_plain_suite(tmp_path):
    (tmp_path / "test_app.py").write_text(textwrap.dedent('''
        import requests
        import sentry_sdk


        def test_reports_a_message(sentry_fake):
            sentry_sdk.init(dsn=sentry_fake.dsn, release="plain@1")
            sentry_sdk.capture_message("hello from a plain suite")
            sentry_sdk.flush()
            (event,) = sentry_fake.wait_for_events(1, timeout=10)
            assert event["message"] == "hello from a plain suite"
            assert [i["title"] for i in sentry_fake.issues()] == ["hello from a plain suite"]
            answer = requests.get(sentry_fake.url + "/health", timeout=5)
            assert answer.json() == {"status": "ok"}


        def test_starts_clean_and_sees_faults(sentry_fake):
            assert sentry_fake.events() == []
            sentry_fake.inject_fault(status=429, count=1)
            answer = requests.post(sentry_fake.url + "/api/1/envelope/", data=b"{}",
                                   headers={"X-Sentry-Auth": "Sentry sentry_key=parlel"})
            assert answer.status_code == 429 and answer.headers["Retry-After"] == "60"
    '''))
    out, err, code = await getProcessOutputAndValue(
        sys.executable, ["-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:twisted",
                         str(tmp_path)], env=dict(os.environ), path=str(tmp_path))
    assert code == 0, (out + err).decode()
    assert b"2 passed" in out
