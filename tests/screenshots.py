"""
Take the screenshots of docs/pages.md again, with the browser tests' setup: a server in a
child process, events from the real Python SDK (tests/clients/python_pages_app.py), a release
with commits and a deploy and some user feedback through the API, then headless Chromium.

    python tests/screenshots.py [OUTPUT_DIR]       # default: docs/images

Not a test: it asserts nothing, and writes one PNG per page.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from browser import browser_context, missing  # noqa: E402

from sentry_fake.pytest_plugin import launch, stop  # noqa: E402

APP = HERE / "clients" / "python_pages_app.py"
TRACES_APP = HERE / "clients" / "python_traces_app.py"
#: Each screenshot: its file name, its path ({trace} in it: the trace the SDK sent), and how tall
#: the window is.
PAGES = [
    ("home", "/", 1000),
    ("issues", "/organizations/parlel/issues/", 760),
    ("issue", "/organizations/parlel/issues/1/", 1500),
    ("issue-events", "/organizations/parlel/issues/3/events/", 700),
    ("traces", "/organizations/parlel/explore/traces/", 560),
    ("trace", "/organizations/parlel/explore/traces/trace/{trace}/", 900),
    ("logs", "/organizations/parlel/explore/logs/", 640),
    ("releases", "/organizations/parlel/releases/", 520),
    ("release", "/organizations/parlel/releases/shop%402.4.1/", 1000),
    ("crons", "/organizations/parlel/crons/", 480),
    ("monitor", "/organizations/parlel/crons/parlel/nightly-export/", 900),
    ("feedback", "/organizations/parlel/feedback/", 620),
]


def call(url: str, method: str, path: str, body: object) -> None:
    request = urllib.request.Request(url + path, data=json.dumps(body).encode(), method=method,
                                     headers={"Content-Type": "application/json",
                                              "Authorization": "Bearer sntrys_parlel"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        answer.read()


def envelope(url: str, body: bytes) -> None:
    request = urllib.request.Request(url + "/api/1/envelope/", data=body, method="POST")
    with urllib.request.urlopen(request, timeout=30) as answer:
        answer.read()


def fill(fake) -> str:
    """
    Send what the pages show; the id of the trace to show.
    """
    for mode in ("shop", "one", "one"):
        subprocess.run([sys.executable, str(APP), mode, fake.dsn], check=True,
                       capture_output=True, timeout=60)
    traced = [subprocess.run([sys.executable, str(TRACES_APP), fake.dsn, mode], check=True,
                             capture_output=True, text=True, timeout=60).stdout
              for mode in ("stream", "static")]
    call(fake.url, "POST", "/api/0/organizations/parlel/releases/", {
        "version": "shop@2.4.1", "projects": ["parlel"], "refs": [], "commits": [
            {"id": "3f2a9c1e" * 5, "repository": "acme/shop", "message": "Price every cart line",
             "author_name": "Jane Doe", "author_email": "jane@example.com"},
            {"id": "b7d04e21" * 5, "repository": "acme/shop",
             "message": "Retry the nightly export", "author_name": "Sam Roe",
             "author_email": "sam@example.com"}]})
    call(fake.url, "POST", "/api/0/organizations/parlel/releases/shop@2.4.1/deploys/",
         {"environment": "production", "name": "deploy 118"})
    for status in ("ok", "ok", "ok", "error", "ok", "missed", "ok", "ok"):
        check_in = {"check_in_id": uuid.uuid4().hex, "monitor_slug": "nightly-export",
                    "status": status, "duration": 2.1}
        envelope(fake.url, b'{}\n{"type":"check_in"}\n' + json.dumps(check_in).encode())
    latest = fake.events(type="error")[-1]["event_id"]
    report = {"event_id": latest, "name": "Jane Doe", "email": "jane@example.com",
              "comments": "Checkout said my cart had no price, with two items in it."}
    feedback = {"event_id": uuid.uuid4().hex, "contexts": {"feedback": {
        "message": "The new cart page is much faster, thanks!", "name": "Sam Roe",
        "contact_email": "sam@example.com", "url": "https://shop.example.com/cart"}}}
    envelope(fake.url, b'{}\n{"type":"user_report"}\n' + json.dumps(report).encode() + b"\n"
             + b'{"type":"feedback"}\n' + json.dumps(feedback).encode() + b"\n")
    return json.loads(traced[-1])["trace"]


def main(argv: list[str]) -> int:
    reason = missing()
    if reason is not None:
        raise SystemExit(reason)
    output = Path(argv[0]) if argv else HERE.parent / "docs" / "images"
    output.mkdir(parents=True, exist_ok=True)
    fake = launch()
    try:
        trace = fill(fake)
        time.sleep(0.5)
        with tempfile.TemporaryDirectory() as profile, browser_context(profile) as context:
            page = context.new_page()
            for name, path, height in PAGES:
                path = path.format(trace=trace)
                page.set_viewport_size({"width": 1360, "height": height})
                page.goto(fake.url + path)
                # The live feed keeps a connection open: wait a moment, not for the network.
                page.wait_for_timeout(600)
                target = output / f"{name}.png"
                page.screenshot(path=str(target))
                print(f"{target} ({path})")
    finally:
        stop(fake)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
