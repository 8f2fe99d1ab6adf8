"""
End to end: the real sentry-cli binary manages releases, commits and deploys on a listening server,
and every effect is checked through the management API.
"""

import os
import shutil
import sys
from pathlib import Path

import pytest
import pytest_twisted
from twisted.internet.utils import getProcessOutputAndValue

from conftest import TOKEN

RELEASES = "/api/0/organizations/parlel/releases/"
SHA_A, SHA_B = "a" * 40, "b" * 40


def find_cli() -> str:
    beside = Path(sys.executable).parent / "sentry-cli"
    found = str(beside) if beside.exists() else shutil.which("sentry-cli")
    if not found:
        pytest.fail("sentry-cli is a test dependency (pip install -e '.[tests]')")
    return found


class Cli:
    """
    Runs sentry-cli against one server in a scratch directory, without blocking the reactor.
    """

    def __init__(self, url: str, home: Path) -> None:
        self.executable = find_cli()
        self.home = home
        self.env = {
            "HOME": str(home), "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "SENTRY_URL": f"{url}/", "SENTRY_AUTH_TOKEN": TOKEN, "SENTRY_ORG": "parlel",
            "SENTRY_PROJECT": "parlel", "SENTRY_DISABLE_UPDATE_CHECK": "1",
        }

    async def run(self, *args: str, cwd: Path | None = None) -> tuple[str, str, int]:
        out, err, code = await getProcessOutputAndValue(
            self.executable, list(args), env=self.env, path=str(cwd or self.home))
        return out.decode(), err.decode(), code

    async def ok(self, *args: str, cwd: Path | None = None) -> str:
        out, err, code = await self.run(*args, cwd=cwd)
        assert code == 0, f"sentry-cli {' '.join(args)} exited {code}: {err}"
        return out


@pytest.fixture
def cli(server, tmp_path):
    return Cli(server.url, tmp_path)


@pytest_twisted.ensureDeferred
async def test_release_lifecycle(cli, live_api):
    assert "Created release 1.0.0" in await cli.ok("releases", "new", "1.0.0")
    created = (await live_api.request("GET", RELEASES + "1.0.0/")).json()
    assert [p["slug"] for p in created["projects"]] == ["parlel"]
    assert created["dateStarted"] is not None and created["userAgent"].startswith("sentry-cli/")
    await cli.ok("releases", "new", "1.0.0")

    listed = await cli.ok("releases", "list")
    assert "1.0.0" in listed and "(unreleased)" in listed
    assert "1.0.0" in await cli.ok("releases", "info", "1.0.0")

    assert "Finalized release 1.0.0" in await cli.ok("releases", "finalize", "1.0.0")
    finalized = (await live_api.request("GET", RELEASES + "1.0.0/")).json()
    assert finalized["dateReleased"] is not None
    assert "(unreleased)" not in await cli.ok("releases", "list")

    await cli.ok("releases", "archive", "1.0.0")
    assert (await live_api.request("GET", RELEASES + "1.0.0/")).json()["status"] == "archived"
    assert "1.0.0" not in await cli.ok("releases", "list")
    await cli.ok("releases", "restore", "1.0.0")
    assert (await live_api.request("GET", RELEASES + "1.0.0/")).json()["status"] == "open"

    assert "Deleted release 1.0.0" in await cli.ok("releases", "delete", "1.0.0")
    assert (await live_api.request("GET", RELEASES + "1.0.0/")).code == 404
    again = await cli.ok("releases", "delete", "1.0.0")
    assert "does not exist" in again


@pytest_twisted.ensureDeferred
async def test_info_of_a_missing_release_fails(cli):
    # sentry-cli 3.x exits 1 without a word when the release is not found.
    out, _, code = await cli.run("releases", "info", "missing")
    assert (code, out) == (1, "")


@pytest_twisted.ensureDeferred
async def test_set_commits_from_named_repository(cli, live_api):
    registered = await live_api.request("POST", "/api/0/organizations/parlel/repos/",
                                        json_body={"name": "acme/app"})
    assert registered.code == 201
    assert "acme/app" in await cli.ok("repos", "list")

    await cli.ok("releases", "new", "1.0")
    out = await cli.ok("releases", "set-commits", "1.0", "--commit", f"acme/app@{SHA_A}")
    assert SHA_A[:12] in out
    commits = (await live_api.request("GET", RELEASES + "1.0/commits/")).json()
    assert [(c["id"], c["repository"]["name"]) for c in commits] == [(SHA_A, "acme/app")]
    assert SHA_A in await cli.ok("releases", "info", "1.0", "--show-commits")

    await cli.ok("releases", "new", "2.0")
    out = await cli.ok("releases", "set-commits", "2.0", "--commit",
                       f"acme/app@{SHA_A}..{SHA_B}")
    assert f"{SHA_A[:12]} -> {SHA_B[:12]}" in out
    release = (await live_api.request("GET", RELEASES + "2.0/")).json()
    assert release["commitCount"] == 1 and release["lastCommit"]["id"] == SHA_B
    # As in Sentry, a release that has commits is its own "previous release with commits".
    previous = (await live_api.request("GET", RELEASES + "2.0/previous-with-commits/")).json()
    assert previous["version"] == "2.0"

    _, err, code = await cli.run("releases", "set-commits", "2.0", "--commit", "acme/other@abc")
    assert code != 0 and "Unknown repo 'acme/other'" in err


async def git(cwd: Path, *args: str) -> None:
    out, err, code = await getProcessOutputAndValue(
        shutil.which("git"), list(args), path=str(cwd),
        env={"HOME": str(cwd), "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
             "GIT_AUTHOR_NAME": "Ada", "GIT_AUTHOR_EMAIL": "ada@example.com",
             "GIT_COMMITTER_NAME": "Ada", "GIT_COMMITTER_EMAIL": "ada@example.com"})
    assert code == 0, err.decode()


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git for a local repository")
@pytest_twisted.ensureDeferred
async def test_set_commits_from_local_git(cli, live_api, tmp_path):
    work = tmp_path / "checkout"
    work.mkdir()
    await git(work, "init", "-q")
    for number in (1, 2):
        (work / "f.txt").write_text(f"{number}\n")
        await git(work, "add", "f.txt")
        await git(work, "commit", "-q", "-m", f"change {number}")
    await cli.ok("releases", "new", "1.0")
    out = await cli.ok("releases", "set-commits", "1.0", "--local", cwd=work)
    assert "Success! Set commits for release 1.0" in out
    commits = (await live_api.request("GET", RELEASES + "1.0/commits/")).json()
    assert [c["message"].strip() for c in commits] == ["change 2", "change 1"]
    assert commits[0]["author"] == {"name": "Ada", "email": "ada@example.com"}
    release = (await live_api.request("GET", RELEASES + "1.0/")).json()
    assert release["authors"] == [{"name": "Ada", "email": "ada@example.com"}]

    # The next release starts after the previous release's last commit.
    (work / "f.txt").write_text("3\n")
    await git(work, "commit", "-q", "-am", "change 3")
    await cli.ok("releases", "new", "2.0")
    await cli.ok("releases", "set-commits", "2.0", "--local", cwd=work)
    commits = (await live_api.request("GET", RELEASES + "2.0/commits/")).json()
    assert [c["message"].strip() for c in commits] == ["change 3"]


@pytest_twisted.ensureDeferred
async def test_deploys(cli, live_api):
    await cli.ok("releases", "new", "1.0")
    out = await cli.ok("deploys", "new", "-r", "1.0", "-e", "production", "-n", "d1", "-t", "30")
    assert "d1" in out and "production" in out
    (deploy,) = (await live_api.request("GET", RELEASES + "1.0/deploys/")).json()
    assert (deploy["environment"], deploy["name"]) == ("production", "d1")
    assert deploy["dateStarted"] < deploy["dateFinished"]
    release = (await live_api.request("GET", RELEASES + "1.0/")).json()
    assert release["deployCount"] == 1 and release["lastDeploy"]["name"] == "d1"
    listed = await cli.ok("deploys", "list", "-r", "1.0")
    assert "production" in listed and "d1" in listed
