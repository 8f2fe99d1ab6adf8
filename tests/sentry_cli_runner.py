"""
Where the tests find the real C{sentry-cli} (PyPI's C{sentry-cli}, in the tests extra), and how
they run it against a listening server.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest
from twisted.internet.utils import getProcessOutputAndValue

TOKEN = "sntryu_" + "0" * 64


def sentry_cli_path() -> str:
    beside = Path(sys.executable).with_name("sentry-cli")
    found = str(beside) if beside.exists() else shutil.which("sentry-cli")
    if not found:
        pytest.fail("sentry-cli is not installed: it comes with the tests extra (PyPI sentry-cli)")
    return found


def runner(server, home: Path):
    """
    Run sentry-cli against the server, configured as its users configure it; each run answers
    (exit code, stdout, stderr).
    """
    env = dict(os.environ, SENTRY_URL=server.url + "/", SENTRY_AUTH_TOKEN=TOKEN,
               SENTRY_ORG="parlel", SENTRY_PROJECT="parlel", SENTRY_DISABLE_UPDATE_CHECK="1",
               SENTRY_DSN=server.dsn, HOME=str(home))
    path = sentry_cli_path()

    async def run(*args):
        out, err, code = await getProcessOutputAndValue(path, list(args), env=env)
        return code, out.decode(), err.decode()

    return run
