"""
The npm clients the end-to-end tests drive (C{tests/clients/*}): each pins its packages in a
C{package-lock.json}, and is installed with C{npm ci} the first time it is missing or not the
pinned version, so a fresh machine needs nothing by hand but Node.js and npm.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

CLIENTS = Path(__file__).parent / "clients"
NPM_TIMEOUT = 600
_PROXY_VARIABLES = {"http_proxy", "https_proxy", "all_proxy", "no_proxy", "npm_config_proxy",
                    "npm_config_https_proxy"}


def _installed(client: Path, package: str) -> str | None:
    manifest = client / "node_modules" / package / "package.json"
    if not manifest.exists():
        return None
    return json.loads(manifest.read_text()).get("version")


def installed(name: str, package: str) -> tuple[str, Path]:
    """
    The C{node} binary and the directory of client C{name}, whose C{package} (and the rest of
    its dependencies) is installed at the pinned version.
    """
    client = CLIENTS / name
    node_path, npm_path = shutil.which("node"), shutil.which("npm")
    if node_path is None or npm_path is None:
        pytest.fail(f"Node.js and npm are needed for the {name} client: install Node.js 20.19 "
                    "or newer (with npm) and put node and npm on PATH", pytrace=False)
    pinned = json.loads((client / "package.json").read_text())["dependencies"][package]
    if _installed(client, package) != pinned:
        try:
            done = subprocess.run([npm_path, "ci", "--no-audit", "--no-fund"], cwd=client,
                                  capture_output=True, text=True, timeout=NPM_TIMEOUT)
        except subprocess.TimeoutExpired:
            pytest.fail(f"npm ci in {client} took longer than {NPM_TIMEOUT} s", pytrace=False)
        if done.returncode != 0:
            pytest.fail(f"npm ci in {client} failed:\n{done.stdout}\n{done.stderr}",
                        pytrace=False)
    return node_path, client


def child_environment(**extra: str) -> dict[str, str]:
    """
    The environment of a client process: no proxy for the local server, no SENTRY_* settings
    leaking in from the machine.
    """
    environment = {key: value for key, value in os.environ.items()
                   if key.lower() not in _PROXY_VARIABLES and not key.startswith("SENTRY_")}
    environment.update(extra)
    return environment
