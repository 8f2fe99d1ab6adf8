"""
Schemathesis over every operation the contract test covers (the operations Sentry's OpenAPI
schema documents that the fake serves): requests generated from the schema, valid and
invalid, with made-up ids and with the ids of what the server holds, sent to a real server (the
C{sentry_fake} fixture's: C{twist sentry-fake} in a child process on a free port, so that the
blocking calls do not hold up any reactor), must never get a 5xx, and it keeps answering.

Bounded for the suite: C{SENTRY_FAKE_SCHEMATHESIS_EXAMPLES} examples an operation (5 by
default; raise it to search harder).
"""

from __future__ import annotations

import json
import os
import re
import urllib.request

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import openapi_schema

if not openapi_schema.location().exists():
    pytest.skip(f"Sentry's OpenAPI schema is not at {openapi_schema.location()} "
                "(set SENTRY_OPENAPI to its openapi-derefed.json)", allow_module_level=True)

import schemathesis  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402

from sentry_fake.pytest_plugin import SentryFake  # noqa: E402

from test_openapi_contract import _served_and_documented  # noqa: E402

EXAMPLES = int(os.environ.get("SENTRY_FAKE_SCHEMATHESIS_EXAMPLES", "5"))
TOKEN = {"Authorization": "Bearer sntrys_parlel"}
EVENT_ID = "f" * 32
AUTH = {"X-Sentry-Auth": "Sentry sentry_key=parlel, sentry_version=7"}
_PARAMETER = re.compile(r"\{([^}]+)\}")


def _operations() -> list[tuple[str, str]]:
    import sentry_fake.management.surface  # noqa: F401  (registers every management route)

    documented = openapi_schema.operations()
    return sorted((method, documented[method, template]["path"])
                  for method, template in _served_and_documented())


OPERATIONS = _operations()


@pytest.fixture(scope="module")
def schema():
    return schemathesis.openapi.from_dict(openapi_schema.schema())


def _post(fake: SentryFake, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    request = urllib.request.Request(fake.url + path, data=body, method="POST",
                                     headers=headers)
    with urllib.request.urlopen(request, timeout=10) as answer:
        return answer.read()


def _seed(fake: SentryFake) -> dict[str, str]:
    """
    Reset the server and give it an issue with an event, a transaction, a monitor and a
    release; answer their ids by the names of Sentry's path parameters.
    """
    fake.reset()
    event = {"event_id": EVENT_ID, "message": "boom", "release": "shop@1.0",
             "tags": {"tenant": "acme"}}
    check_in = {"monitor_slug": "nightly", "status": "ok",
                "monitor_config": {"schedule": {"type": "crontab", "value": "0 3 * * *"}}}
    lines = [b"{}"]
    for item_type, payload in (("event", event), ("check_in", check_in)):
        data = json.dumps(payload).encode()
        lines += [json.dumps({"type": item_type, "length": len(data)}).encode(), data]
    _post(fake, "/api/1/envelope/", b"\n".join(lines) + b"\n", AUTH)
    issue = fake._call("GET", f"/api/0/organizations/parlel/eventids/{EVENT_ID}/")["groupId"]
    return {"organization_id_or_slug": "parlel", "project_id_or_slug": "parlel",
            "team_id_or_slug": "parlel", "issue_id": str(issue), "event_id": EVENT_ID,
            "monitor_id_or_slug": "nightly", "version": "shop%401.0", "key_id": "parlel",
            "key": "tenant"}


@pytest.mark.parametrize("method, path", OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_generated_requests_get_no_server_error(schema, sentry_fake, method, path):
    operation = schema[path][method]
    known = _seed(sentry_fake)
    real = {name: known[name] for name in _PARAMETER.findall(path) if name in known}
    modes = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    cases = st.one_of(*(operation.as_strategy(mode) for mode in modes),
                      *(operation.as_strategy(mode, path_parameters=real)
                        for mode in modes if real))

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=cases)
    def answers_below_500(case):
        response = case.call(base_url=sentry_fake.url, headers=TOKEN, timeout=10)
        assert response.status_code < 500, (
            f"{case.method} {case.formatted_path} {case.query} {case.body!r} -> "
            f"{response.status_code} {response.content[:500]!r}")

    answers_below_500()
    assert sentry_fake._call("GET", "/health") == {"status": "ok"}
