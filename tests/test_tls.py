"""
Over TLS: the server behind Twisted's C{ssl:} endpoint, reached by real clients that check its
certificate (issued by a test CA made with trustme): the Python SDK, a Twisted HTTP client,
C{twistd} as a process, and Sentry's MCP server, which wants an C{https} C{regionUrl}.  And
behind a TLS proxy, the C{--public-url} in every URL the server hands out.
"""

from __future__ import annotations

import json
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import pytest_twisted
from treq.testing import StubTreq
from twisted.internet.task import Clock
from twisted.internet.utils import getProcessOutputAndValue

from conftest import TOKEN, Client
from mcp_session import spawn
from npm_clients import child_environment, installed
from sentry_fake.application import Settings, build_root
from sentry_fake.hosts import listens_beyond_loopback
from sentry_fake.store.service import StoreService
from sentry_fake.testing import start_server
from sentry_fake.tls import scheme_of
from tls_certificates import Certificates, make_certificates

TWISTD = str(Path(sys.executable).with_name("twistd"))
MCP_SERVER = Path("node_modules") / "@sentry" / "mcp-server" / "dist" / "index.js"
ENVELOPE = b'{}\n{"type":"event"}\n{"message": "checkout failed", "level": "error"}'
SENTRY_AUTH = {"X-Sentry-Auth": "Sentry sentry_key=parlel, sentry_version=7"}
SDK_APP = """
import sys
import sentry_sdk

sentry_sdk.init(dsn=sys.argv[1], ca_certs=sys.argv[2])
print(sentry_sdk.capture_message("reported over https"))
sentry_sdk.flush(10)
"""


@pytest.fixture(scope="module")
def certificates(tmp_path_factory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("tls"))


@pytest_twisted.async_yield_fixture
async def tls_server(certificates):
    from twisted.internet import reactor

    running = await start_server(reactor, tls=certificates.server_options())
    yield running
    await running.stop()


async def handed_out_urls(api: Client) -> dict[str, str]:
    """
    The URLs the server hands out, one of each kind, once an event has made an issue.
    """
    stored = await api.request("POST", "/api/1/envelope/", body=ENVELOPE, token=None,
                               headers=SENTRY_AUTH)
    assert stored.code == 200, stored
    (org,) = (await api.request("GET", "/api/0/organizations/")).json()
    (region,) = (await api.request("GET", "/api/0/users/me/regions/")).json()["regions"]
    (key,) = (await api.request("GET", "/api/0/projects/parlel/parlel/keys/")).json()
    issues = await api.request("GET", "/api/0/projects/parlel/parlel/issues/")
    (issue,) = issues.json()
    uploads = (await api.request("GET", "/api/0/organizations/parlel/chunk-upload/")).json()
    meta = (await api.request("GET", "/", token=None)).json()
    links = [part.split(">")[0].lstrip(" <") for part in issues.header("link").split(",")]
    return {"regionUrl": org["links"]["regionUrl"],
            "organizationUrl": org["links"]["organizationUrl"], "region": region["url"],
            "dsn": key["dsn"]["public"], "secret dsn": key["dsn"]["secret"],
            "permalink": issue["permalink"], "chunk upload": uploads["url"],
            "metadata dsn": meta["dsn"], "api_url": meta["api_url"],
            **{f"link {number}": link for number, link in enumerate(links)}}


def not_at(base: str, urls: dict[str, str]) -> dict[str, str]:
    """
    The URLs whose scheme, host and port are not C{base}'s (a DSN's key aside).
    """
    wanted = urlsplit(base)
    return {name: url for name, url in urls.items()
            if (urlsplit(url).scheme, urlsplit(url).netloc.rpartition("@")[2]) !=
            (wanted.scheme, wanted.netloc)}


@pytest.mark.parametrize("listen, beyond", [
    (["ssl:4773:interface=127.0.0.1:privateKey=key.pem:certKey=cert.pem"], False),
    (["ssl:4773:privateKey=key.pem:certKey=cert.pem"], True),
    (["ssl:port=4773:privateKey=/etc/tls/key.pem:interface=0.0.0.0"], True),
])
def test_which_tls_listeners_check_the_host(listen, beyond):
    assert listens_beyond_loopback(listen) is beyond


def test_the_scheme_of_an_endpoint():
    assert [scheme_of(description) for description in (
        "ssl:4773:privateKey=key.pem", "SSL:4773", "tcp:4773", "unix:/run/sentry.sock",
        "systemd:domain=INET:name=http")] == ["https", "https", "http", "http", "http"]


@pytest_twisted.ensureDeferred
async def test_the_python_sdk_reports_over_https(tls_server, certificates):
    assert tls_server.dsn.startswith("https://parlel@127.0.0.1:")
    out, err, code = await getProcessOutputAndValue(
        sys.executable, ["-c", SDK_APP, tls_server.dsn, str(certificates.ca_file)],
        env=child_environment())
    assert code == 0, err.decode()
    (event,) = await tls_server.wait_for_events(1, timeout=10)
    assert event["event_id"] == out.decode().strip()
    assert event["message"] == "reported over https"


@pytest_twisted.ensureDeferred
async def test_every_url_handed_out_over_tls_says_https(tls_server, certificates):
    assert tls_server.url.startswith("https://")
    urls = await handed_out_urls(Client(certificates.https_client(), tls_server.url))
    assert len(urls) >= 11 and not_at(tls_server.url, urls) == {}
    assert urls["dsn"] == tls_server.dsn


@pytest_twisted.ensureDeferred
async def test_behind_a_tls_proxy_every_url_is_the_public_one():
    public = "https://sentry.example:8443"
    root = build_root(StoreService(Clock()), Settings(public_url=public))
    urls = await handed_out_urls(Client(StubTreq(root), "http://127.0.0.1:4773"))
    assert len(urls) >= 11 and not_at(public, urls) == {}
    plain = build_root(StoreService(Clock()), Settings())
    urls = await handed_out_urls(Client(StubTreq(plain), "http://127.0.0.1:4773"))
    assert not_at("http://127.0.0.1:4773", urls) == {}


# twistd as a process


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(url: str, context: ssl.SSLContext | None = None, headers=None, data=None):
    request = urllib.request.Request(url, data=data, headers={
        "Authorization": f"Bearer {TOKEN}", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=5, context=context) as answer:
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def wait_answering(url: str, context: ssl.SSLContext, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read().decode()
        try:
            fetch(url + "/health", context)
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("the server never answered /health over https")


def test_twistd_serves_https_and_http_side_by_side(certificates, tmp_path):
    plain_port, tls_port = free_port(), free_port()
    process = subprocess.Popen(
        [TWISTD, "--nodaemon", "--pidfile=", "sentry-fake",
         "--listen", f"tcp:{plain_port}:interface=127.0.0.1",
         "--listen", f"ssl:{tls_port}:interface=127.0.0.1:privateKey={certificates.key_file}"
                     f":certKey={certificates.cert_file}"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=tmp_path)
    https, http = f"https://127.0.0.1:{tls_port}", f"http://127.0.0.1:{plain_port}"
    context = certificates.client_context()
    try:
        wait_answering(https, context, process)
        stored = fetch(https + "/api/1/envelope/", context, SENTRY_AUTH, ENVELOPE)
        assert stored[0] == 200
        code, event = fetch(f"{http}/__parlel/events/{stored[1]['id']}")
        assert (code, event["message"]) == (200, "checkout failed")
        # The same organization, asked over each connection, is where it was asked.
        for base, use in ((https, context), (http, None)):
            code, (org,) = fetch(base + "/api/0/organizations/", use)
            assert org["links"]["regionUrl"] == base
            assert fetch(base + "/", use)[1]["dsn"] == base.replace("://", "://parlel@") + "/1"
        # Over TLS as over plain HTTP, a loopback server answers only the names it should.
        assert fetch(https + "/health", context, {"Host": "rebound.example"})[0] == 421
        assert fetch(https + "/health", context, {"Host": f"localhost:{tls_port}"})[0] == 200
        # It is the test CA's certificate the clients checked: a client without it refuses.
        with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):
            fetch(https + "/health", ssl.create_default_context())
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            out, _ = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            out, _ = process.communicate()
    log = out.decode()
    assert f"answering at {https} (DSN https://parlel@127.0.0.1:{tls_port}/1)" in log
    assert f"answering at {http} (DSN http://parlel@127.0.0.1:{plain_port}/1)" in log


def run_twistd(arguments: list[str], cwd: Path, python_prelude: str = "") -> tuple[int, str]:
    program = (f"{python_prelude}\nimport sys\nfrom twisted.scripts.twistd import run\n"
               f"sys.argv = {[TWISTD, '--nodaemon', '--pidfile=', 'sentry-fake', *arguments]!r}"
               "\nrun()\n")
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                          timeout=30, cwd=cwd)
    return done.returncode, done.stdout + done.stderr


def test_without_pyopenssl_one_line_says_what_to_install(certificates, tmp_path):
    listen = f"ssl:0:interface=127.0.0.1:privateKey={certificates.key_file}"
    # A None in sys.modules makes every import of the module fail, as if it were not installed.
    code, output = run_twistd(["--listen", listen], tmp_path,
                              "import sys\nsys.modules['OpenSSL'] = None")
    assert code == 1
    assert output.strip().splitlines() == [
        f"sentry-fake: --listen {listen!r} serves TLS, which needs pyOpenSSL (OpenSSL cannot be "
        "imported): pip install 'sentry-fake[tls]'"]


@pytest.mark.parametrize("files, says", [
    (lambda c, tmp: f"privateKey={tmp / 'missing.pem'}",
     "cannot read {tmp}/missing.pem: No such file or directory"),
    (lambda c, tmp: f"privateKey={c.cert_file}:certKey={c.cert_file}",
     "privateKey and certKey must be PEM files of a private key and its certificate"),
], ids=["a missing key", "a certificate for a key"])
def test_a_key_or_certificate_it_cannot_use_is_a_usage_error(certificates, tmp_path, files,
                                                             says):
    code, output = run_twistd(
        ["--listen", f"ssl:0:interface=127.0.0.1:{files(certificates, tmp_path)}"], tmp_path)
    assert code == 1
    assert says.format(tmp=tmp_path) in output.splitlines()[-1]
    assert "Traceback" not in output


# Sentry's MCP server


@pytest_twisted.ensureDeferred
async def test_the_mcp_server_reaches_it_over_https_without_insecure_http(tls_server,
                                                                         certificates):
    node, client = installed("mcp", "@sentry/mcp-server")
    host = f"localhost:{tls_server.port}"
    mcp = spawn(node, str(MCP_SERVER), [f"--host={host}", f"--access-token={TOKEN}"],
                child_environment(NODE_EXTRA_CA_CERTS=str(certificates.ca_file)), str(client))
    try:
        await mcp.initialize()
        failed, text = await mcp.tool("find_organizations")
        assert not failed, text
        (organization,) = json.loads(text)["organizations"]
        assert organization["regionUrl"] == f"https://{host}"
        failed, text = await mcp.tool("find_dsns", organizationSlug="parlel",
                                      projectSlug="parlel")
        assert not failed, text
        assert f"https://parlel@{host}/1" in [dsn["dsn"] for dsn in json.loads(text)["dsns"]]
    finally:
        await mcp.close()
