"""
manifest.json keeps the seed's fields with the seed's types, and says what the server does.
"""

import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

MANIFEST = json.loads((Path(__file__).parent.parent / "manifest.json").read_text())


def test_the_seed_fields():
    assert MANIFEST["name"] == "sentry"
    assert isinstance(MANIFEST["image"], str) and MANIFEST["image"]
    assert MANIFEST["port"] == 4773 and MANIFEST["protocol"] == "http"
    assert MANIFEST["healthcheck"] == "/health"
    assert isinstance(MANIFEST["startup_seconds"], (int, float))
    assert MANIFEST["env"]["SENTRY_AUTH_TOKEN"] == "sntrys_parlel"
    assert MANIFEST["env"]["SENTRY_API_URL"] == "http://127.0.0.1:4773"
    assert MANIFEST["env"]["SENTRY_DSN"] == "http://parlel@127.0.0.1:4773/1"


def test_what_it_says_is_what_the_server_does(tmp_path):
    from test_daemon import free_port, wait_healthy

    port = free_port()
    command = [str(Path(sys.executable).with_name("twistd"))] + MANIFEST["command"][1:]
    command[command.index("tcp:4773:interface=0.0.0.0")] = f"tcp:{port}:interface=127.0.0.1"
    started = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                               cwd=tmp_path)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, process)
        assert time.monotonic() - started < MANIFEST["startup_seconds"] * 5
        env = {name: value.replace(":4773", f":{port}") for name, value in MANIFEST["env"].items()}
        with urllib.request.urlopen(url + MANIFEST["healthcheck"], timeout=5) as answer:
            assert json.load(answer) == MANIFEST["healthcheck_detail"]["expect"]["body"]
        request = urllib.request.Request(env["SENTRY_API_URL"] + "/api/0/organizations/",
                                         headers={"Authorization":
                                                  f"Bearer {env['SENTRY_AUTH_TOKEN']}"})
        with urllib.request.urlopen(request, timeout=5) as answer:
            assert [org["slug"] for org in json.load(answer)] == [env["SENTRY_ORG"]]
    finally:
        process.terminate()
        process.wait(20)
