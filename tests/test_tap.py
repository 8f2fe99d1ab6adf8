"""
The twistd plugin and its options, without starting anything.
"""

import json

import pytest
from twisted.application.internet import StreamServerEndpointService
from twisted.application.service import IServiceMaker
from twisted.plugin import IPlugin, getPlugins
from twisted.python.usage import UsageError

from sentry_fake import tap
from sentry_fake.application import Gate, Server
from sentry_fake.persistence.service import JournalService
from sentry_fake.heap import HeapFreezer
from sentry_fake.sdnotify import SdNotifyService
from sentry_fake.interfaces import IStore
from sentry_fake.store.service import StoreService


def test_plugin_is_discovered():
    plugins = [p for p in getPlugins(IServiceMaker) if p.tapname == "sentry-fake"]
    assert len(plugins) == 1
    (plugin,) = plugins
    assert IPlugin.providedBy(plugin) and IServiceMaker.providedBy(plugin)
    assert plugin.options is tap.Options and plugin.makeService is tap.makeService


def parse(*argv):
    options = tap.Options()
    options.parseOptions(list(argv))
    return options


def test_defaults():
    settings = parse().settings()
    assert settings.listen == ("tcp:4773:interface=127.0.0.1",)
    assert settings.auth_tokens == ()
    assert (settings.seed.organization, settings.seed.team, settings.seed.project,
            settings.seed.public_key) == ("parlel", "parlel", "parlel", "parlel")
    assert settings.max_events == 100_000 and settings.strict_ingest is False


def test_options_from_the_command_line():
    settings = parse("--listen", "tcp:0", "--port", "tcp:1234", "--auth-token", "a",
                     "--auth-token", "b", "--org", "acme", "--max-events", "5",
                     "--strict-ingest", "--public-key", "abc").settings()
    assert settings.listen == ("tcp:0", "tcp:1234")
    assert settings.auth_tokens == ("a", "b")
    assert (settings.seed.organization, settings.seed.public_key) == ("acme", "abc")
    assert settings.max_events == 5 and settings.strict_ingest is True


def test_options_from_the_environment(monkeypatch):
    monkeypatch.setenv("SENTRY_FAKE_LISTEN", "tcp:1 tcp:2")
    monkeypatch.setenv("SENTRY_FAKE_AUTH_TOKEN", "x, y")
    monkeypatch.setenv("SENTRY_FAKE_PROJECT", "web")
    monkeypatch.setenv("SENTRY_FAKE_MAX_EVENTS", "9")
    monkeypatch.setenv("SENTRY_FAKE_STRICT_INGEST", "yes")
    settings = parse().settings()
    assert settings.listen == ("tcp:1", "tcp:2") and settings.auth_tokens == ("x", "y")
    assert settings.seed.project == "web" and settings.max_events == 9
    assert settings.strict_ingest is True
    assert parse("--project", "cli").settings().seed.project == "cli"


@pytest.mark.parametrize("argv, words", [
    (["--max-events", "many"], "whole number"),
    (["--max-events", "0"], "at least 1"),
    (["--listen", "nonsense:1"], "Unknown endpoint type"),
    (["--org", "Not A Slug"], "must be a slug"),
    (["--auth-token", " "], "must not be empty"),
    (["--seed", "/nonexistent/seed.json"], "cannot read seed file"),
    (["--data-dir", "/proc/no-such-dir"], "--data-dir"),
])
def test_bad_values_are_usage_errors(argv, words):
    with pytest.raises(UsageError) as raised:
        parse(*argv)
    assert words in str(raised.value)


def test_seed_file_is_checked(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"projects": [{"slug": "x", "organization": "missing"}]}))
    with pytest.raises(UsageError):
        parse("--seed", str(bad))
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"projects": [{"slug": "api"}]}))
    assert parse("--seed", str(good)).settings().seed.extra == {"projects": [{"slug": "api"}]}


def test_make_service_builds_the_tree():
    service = tap.makeService(parse("--listen", "tcp:0:interface=127.0.0.1", "--listen", "tcp:0"))
    children = list(service)
    store = service.getServiceNamed("store")
    assert isinstance(service, Server)
    assert children[0] is store and isinstance(store, StoreService) and IStore.providedBy(store)
    assert [type(child) for child in children[1:]] == \
        [HeapFreezer, Gate] + [StreamServerEndpointService] * 2 + [SdNotifyService]


def test_make_service_with_a_data_dir_journals_after_the_store(tmp_path):
    service = tap.makeService(parse("--listen", "tcp:0", "--data-dir", str(tmp_path), "--fsync"))
    children = list(service)
    journal = service.getServiceNamed("journal")
    assert children[:2] == [service.getServiceNamed("store"), journal]
    assert isinstance(journal, JournalService) and journal.durable


@pytest.mark.parametrize("description", ["tcp:99999", "tcp:port=70000:interface=127.0.0.1",
                                         "tcp6:-1"])
def test_a_port_out_of_range_is_a_usage_error(description):
    with pytest.raises(UsageError, match="the port must be 0 to 65535"):
        parse("--listen", description)
