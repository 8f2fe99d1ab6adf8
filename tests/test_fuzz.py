"""
Whatever a client sends, generated: every write route answers below 500 with a JSON body (a
C{detail}, field errors, or the upload routes' C{error}), every read route still answers 200
afterwards, and the data directory replays to the very state the server holds.
"""

from __future__ import annotations

import json
import os
import shutil

from hypothesis import HealthCheck, given, settings, strategies as st
from twisted.internet.defer import ensureDeferred
from twisted.internet.task import Clock

from scenario import AUTH, Harness, state_of

TOKEN = {"Content-Type": "application/json"}

scalars = (st.none() | st.booleans() | st.integers(min_value=-2**70, max_value=2**70)
           | st.floats(allow_nan=False, allow_infinity=False)
           | st.text(max_size=40) | st.sampled_from(["", "error", "1.0", "parlel", "a" * 32]))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.text(max_size=12), inner, max_size=4), max_leaves=20)
#: Objects with the field names the routes read, holding anything.
FIELDS = ["message", "level", "exception", "values", "stacktrace", "frames", "release",
          "environment", "user", "tags", "extra", "contexts", "timestamp", "event_id",
          "fingerprint", "type", "transaction", "spans", "status", "name", "slug", "version",
          "projects", "commits", "refs", "ref", "url", "dateReleased", "environment",
          "assignedTo", "statusDetails", "ignoreDuration", "isBookmarked", "hasSeen",
          "isActive", "rateLimit", "platform", "checksum", "chunks", "monitor_slug",
          "monitor_config", "schedule", "duration", "check_in_id", "sid", "attrs"]
objects = st.dictionaries(st.sampled_from(FIELDS), values, max_size=8)
bodies = objects | values

ROUTES = [
    ("POST", "/api/1/store/", "ingest"),
    ("POST", "/api/1/envelope/", "envelope"),
    ("POST", "/api/0/organizations/parlel/releases/", "api"),
    ("PUT", "/api/0/organizations/parlel/releases/shop@1.0/", "api"),
    ("POST", "/api/0/organizations/parlel/releases/shop@1.0/deploys/", "api"),
    ("POST", "/api/0/organizations/parlel/repos/", "api"),
    ("POST", "/api/0/organizations/parlel/teams/", "api"),
    ("PUT", "/api/0/teams/parlel/parlel/", "api"),
    ("POST", "/api/0/organizations/parlel/projects/", "api"),
    ("PUT", "/api/0/projects/parlel/parlel/", "api"),
    ("POST", "/api/0/projects/parlel/parlel/keys/", "api"),
    ("PUT", "/api/0/projects/parlel/parlel/keys/parlel/", "api"),
    ("PUT", "/api/0/issues/1/", "api"),
    ("PUT", "/api/0/organizations/parlel/issues/?query=", "api"),
    ("PUT", "/api/0/organizations/parlel/monitors/job/", "api"),
    ("POST", "/api/0/organizations/parlel/artifactbundle/assemble/", "api"),
    ("POST", "/api/0/projects/parlel/parlel/files/difs/assemble/", "api"),
]
READS = ["/__parlel/events", "/__parlel/items", "/api/0/projects/parlel/parlel/events/?full=true",
         "/api/0/projects/parlel/parlel/issues/?query=", "/api/0/organizations/parlel/releases/",
         "/api/0/organizations/parlel/monitors/", "/api/0/organizations/parlel/", "/"]
ITEM_TYPES = ["event", "transaction", "session", "sessions", "check_in", "attachment",
              "client_report", "span", "log", "feedback", "user_report", "made_up"]


def sync(coroutine):
    """
    The answer of an in-memory request (it completes at once; anything else is a failure).
    """
    result = []
    ensureDeferred(coroutine).addBoth(result.append)
    assert result, "the request did not complete"
    if isinstance(result[0], Exception) or hasattr(result[0], "raiseException"):
        result[0].raiseException()
    return result[0]


def check(answer, what) -> None:
    assert answer.code < 500, (what, answer)
    body = answer.json() if answer.content else None
    if answer.code >= 400:
        assert isinstance(body, dict) and (body.get("detail") or body.get("error")
                                           or all(isinstance(v, (list, dict))
                                                  for v in body.values())), (what, answer)


def envelope_body(header, items) -> bytes:
    lines = [json.dumps(header).encode()]
    for item_type, payload in items:
        data = json.dumps(payload).encode()
        lines += [json.dumps({"type": item_type, "length": len(data)}).encode(), data]
    return b"\n".join(lines)


class Fuzzed:
    """
    One server with a data directory for a whole fuzzing run.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.harness = Harness(path, self._clock())
        setup = self.harness.api
        sync(setup.request("POST", "/api/1/store/", body=b'{"message": "seed"}', headers=AUTH,
                           token=None))
        sync(setup.request("POST", "/api/0/organizations/parlel/releases/",
                           json_body={"version": "shop@1.0", "projects": ["parlel"]}))
        sync(setup.request("POST", "/api/1/cron/job/parlel/?status=ok", token=None))

    @staticmethod
    def _clock() -> Clock:
        clock = Clock()
        clock.advance(1_795_000_000)
        return clock

    def send(self, method: str, path: str, kind: str, body: bytes) -> None:
        headers = AUTH if kind in ("ingest", "envelope") else TOKEN
        token = None if kind in ("ingest", "envelope") else "t"
        answer = sync(self.harness.api.request(method, path, body=body, headers=headers,
                                               token=token))
        check(answer, (method, path, body[:300]))
        self.harness.clock.advance(1)


@settings(max_examples=int(os.environ.get("SENTRY_FAKE_FUZZ_EXAMPLES", "200")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_generated_requests_never_fail_and_always_replay(tmp_path_factory, data):
    # One server per example keeps a failure reproducible.
    path = str(tmp_path_factory.mktemp("fuzz") / "data")
    fuzzed = Fuzzed(path)
    for _ in range(data.draw(st.integers(min_value=1, max_value=6))):
        method, route, kind = data.draw(st.sampled_from(ROUTES))
        if kind == "envelope":
            header = data.draw(st.dictionaries(st.sampled_from(["event_id", "dsn", "sent_at",
                                                                "trace"]), values, max_size=3))
            items = data.draw(st.lists(st.tuples(st.sampled_from(ITEM_TYPES), bodies),
                                       max_size=3))
            body = envelope_body(header, items)
        else:
            body = json.dumps(data.draw(bodies)).encode()
        fuzzed.send(method, route, kind, body)
    api = fuzzed.harness.api
    for path_ in READS:
        answer = sync(api.request("GET", path_))
        assert answer.code == 200, (path_, answer)
    expected = state_of(fuzzed.harness.store)
    shutil.copytree(path, path + "-crashed")
    again = Harness(path + "-crashed", Fuzzed._clock())
    assert state_of(again.store) == expected
    again.journal.stopService()
    fuzzed.harness.stop()
