"""
DNS rebinding: a server on loopback answers only loopback names, the public URL's host and the
hosts it is told to; one listening beyond loopback answers any host unless told otherwise.
"""

import pytest
import pytest_twisted
from treq.testing import StubTreq
from twisted.internet.task import Clock

from sentry_fake.application import Settings, build_root
from sentry_fake.hosts import HostCheck, is_loopback, listens_beyond_loopback
from sentry_fake.store.service import StoreService

from conftest import Client


@pytest.mark.parametrize("host, loopback", [
    ("localhost", True), ("LOCALHOST:4773", True), ("app.localhost", True),
    ("127.0.0.1:4773", True), ("127.1.2.3", True), ("[::1]:4773", True), ("::1", True),
    ("evil.example", False), ("localhost.evil.example", False), ("10.0.0.1", False),
    ("[2001:db8::1]:80", False),
])
def test_loopback_names(host, loopback):
    assert is_loopback(host) is loopback


@pytest.mark.parametrize("listen, beyond", [
    (["tcp:4773:interface=127.0.0.1"], False), (["tcp6:4773:interface=\\:\\:1"], False),
    (["tcp:4773"], True), (["tcp:4773:interface=0.0.0.0"], True),
    (["tcp:4773:interface=127.0.0.1", "tcp:8000:interface=192.168.1.5"], True),
    (["unix:/run/sentry-fake.sock"], False), (["systemd:domain=INET:name=http"], False),
])
def test_what_listens_beyond_loopback(listen, beyond):
    assert listens_beyond_loopback(listen) is beyond


def root_client(**settings):
    store = StoreService(Clock())
    return Client(StubTreq(build_root(store, Settings(**settings))), "http://localhost")


async def ask(api, host, path="/api/0/organizations/parlel/"):
    return await api.request("GET", path, headers={"Host": host})


@pytest_twisted.ensureDeferred
async def test_a_loopback_server_answers_other_hosts_421():
    api = root_client()
    for path in ("/api/0/organizations/parlel/", "/__parlel/events", "/health"):
        refused = await ask(api, "evil.example:4773", path)
        assert refused.code == 421 and "--allowed-host evil.example" in refused.json()["detail"]
    refused = await api.request("POST", "/api/1/store/", body=b'{"message": "x"}', token=None,
                                headers={"Host": "rebound.example",
                                         "X-Sentry-Auth": "Sentry sentry_key=parlel"})
    assert refused.code == 421
    for host in ("localhost:4773", "127.0.0.1:4773", "[::1]:4773", "web.localhost"):
        assert (await ask(api, host)).code == 200


@pytest_twisted.ensureDeferred
async def test_the_hosts_a_server_is_told_to_answer():
    api = root_client(allowed_hosts=("sentry", "ci.example"),
                      public_url="https://sentry.example:8443")
    for host in ("sentry:4773", "ci.example", "sentry.example:8443", "localhost"):
        assert (await ask(api, host)).code == 200
    assert (await ask(api, "other.example")).code == 421
    anyone = root_client(allowed_hosts=("*",))
    assert (await ask(anyone, "other.example")).code == 200
    exposed = root_client(listen=("tcp:4773:interface=0.0.0.0",))
    assert (await ask(exposed, "sentry-fake:4773")).code == 200


@pytest_twisted.ensureDeferred
async def test_the_public_url_is_what_the_server_hands_out():
    api = root_client(public_url="https://sentry.example:8443")
    keys = (await api.request("GET", "/api/0/projects/parlel/parlel/keys/",
                              headers={"Host": "localhost:4773"})).json()
    assert keys[0]["dsn"]["public"] == "https://parlel@sentry.example:8443/1"
    meta = (await api.request("GET", "/", headers={"Host": "localhost:4773"})).json()
    assert meta["api_url"] == "https://sentry.example:8443/api/0/"


def test_the_options():
    from twisted.python.usage import UsageError

    from sentry_fake import tap

    options = tap.Options()
    options.parseOptions(["--public-url", "https://sentry.example:8443/", "--allowed-host",
                          "sentry"])
    settings = options.settings()
    assert (settings.public_url, settings.allowed_hosts) == (
        "https://sentry.example:8443", ("sentry",))
    for bad in ("sentry.example", "ftp://x", "https://x/path"):
        with pytest.raises(UsageError, match="--public-url"):
            tap.Options().parseOptions(["--public-url", bad])
    assert HostCheck.for_server(settings.listen, settings.public_url,
                                settings.allowed_hosts).allows(b"sentry.example:8443")
