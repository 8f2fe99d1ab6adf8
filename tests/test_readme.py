"""
The README's examples, run as a reader would copy and paste them (with this test server's port
in place of 4773).
"""

import os
import json
import re
import shutil
import sys
from pathlib import Path

import pytest
import pytest_twisted
from twisted.internet.utils import getProcessOutputAndValue

README = Path(__file__).parent.parent / "README.md"


def example(name: str) -> str:
    """
    The code block that follows C{<!-- example: NAME -->} in the README.
    """
    text = README.read_text()
    match = re.search(rf"<!-- example: {re.escape(name)} -->\s*```\w*\n(.*?)```", text, re.S)
    assert match, f"README has no example named {name!r}"
    return match.group(1)


def on_port(code: str, server) -> str:
    return code.replace("127.0.0.1:4773", f"127.0.0.1:{server.port}")


async def run(executable, args, cwd):
    out, err, code = await getProcessOutputAndValue(executable, args, env=dict(os.environ),
                                                    path=str(cwd))
    return code, (out + err).decode()


@pytest_twisted.ensureDeferred
async def test_the_sdk_and_curl_examples(server, tmp_path):
    script = tmp_path / "app.py"
    script.write_text(on_port(example("sdk"), server))
    code, output = await run(sys.executable, [str(script)], tmp_path)
    assert code == 0, output
    (event,) = server.events()
    assert event["exception"]["values"][0]["type"] == "ZeroDivisionError"
    assert event["release"] == "shop@1.0"
    if shutil.which("curl") is None:
        pytest.fail("curl is needed for the README's curl examples")
    code, output = await run("/bin/sh", ["-c", on_port(example("curl"), server)], tmp_path)
    assert code == 0, output
    assert event["event_id"] in output
    assert "ZeroDivisionError: division by zero" in output
    assert output.rstrip().endswith('{"status":"ok"}')
    assert server.events() == []


@pytest_twisted.ensureDeferred
async def test_the_pytest_fixture_example(tmp_path):
    (tmp_path / "test_example.py").write_text(example("pytest-fixture"))
    code, output = await run(sys.executable, ["-m", "pytest", "-q", "-p", "no:cacheprovider",
                                              "-p", "no:twisted", str(tmp_path)], tmp_path)
    assert code == 0, output
    assert "1 passed" in output


@pytest_twisted.ensureDeferred
async def test_the_twisted_test_example(tmp_path):
    (tmp_path / "test_example.py").write_text(example("twisted-test"))
    code, output = await run(sys.executable, ["-m", "pytest", "-q", "-p", "no:cacheprovider",
                                              str(tmp_path)], tmp_path)
    assert code == 0, output
    assert "1 passed" in output


@pytest_twisted.ensureDeferred
async def test_the_faults_example(server, tmp_path):
    import treq

    code, output = await run("/bin/sh", ["-c", on_port(example("faults"), server)], tmp_path)
    assert code == 0, output
    answer = await treq.post(server.url + "/api/1/envelope/", b'{}\n{"type":"event"}\n{}',
                             headers={"X-Sentry-Auth": "Sentry sentry_key=parlel"},
                             persistent=False)
    assert answer.code == 429
    assert answer.headers.getRawHeaders("x-sentry-rate-limits") == ["60:error:key"]


@pytest_twisted.ensureDeferred
async def test_the_events_query_example(server, live_api, tmp_path):
    from test_explore_api import checkout

    await checkout(live_api)
    if shutil.which("curl") is None:
        pytest.fail("curl is needed for the README's curl examples")
    code, output = await run("/bin/sh", ["-c", on_port(example("events"), server)], tmp_path)
    assert code == 0, output
    rows = {row["span.op"]: row for row in json.loads(output)["data"]}
    assert rows["db.query"]["count()"] == 2.0
    assert rows["http.client"]["p95(span.duration)"] > 0
