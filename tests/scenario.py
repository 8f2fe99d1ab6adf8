"""
A scenario that writes every kind of change record through the HTTP routes real clients use,
and the comparable state of a store (what the persistence tests compare before and after a
restart).
"""

from __future__ import annotations

import gzip
import json
from typing import Any

import attrs
from treq.testing import StubTreq

from sentry_fake.application import Settings, build_root
from sentry_fake.persistence.service import JournalService
from sentry_fake.store import checkpoint
from sentry_fake.store.normalize import document
from sentry_fake.store.service import StoreService

from conftest import Client
from test_uploads_api import (BREAKPAD, CHUNKS, DIF_ASSEMBLE, make_bundle, multipart, sha1)

#: A ProGuard mapping, and the debug id sentry-cli names its upload by.
PROGUARD = b"com.acme.Shop -> a.a:\n    void checkout() -> a\n"
PROGUARD_ID = "3f2b0c4e-8d1a-5b6c-9e7f-0a1b2c3d4e5f"

AUTH = {"X-Sentry-Auth": "Sentry sentry_key=parlel, sentry_version=7"}
ORG = "/api/0/organizations/parlel"
PROJECT = "/api/0/projects/parlel/parlel"


def envelope(*items: tuple[dict[str, Any], bytes], header: dict[str, Any] | None = None) -> bytes:
    lines = [json.dumps(header or {}).encode()]
    for item_header, payload in items:
        lines += [json.dumps(dict(item_header, length=len(payload))).encode(), payload]
    return b"\n".join(lines) + b"\n"


def event_item(payload: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
    return {"type": "event"}, json.dumps(payload).encode()


async def ok(answer, *codes: int):
    result = await answer
    assert result.code in (codes or (200,)), result
    return result


async def every_record(api: Client, clock: Any, tag: str = "a", reset: bool = True) -> None:
    """
    Write at least one record of every type, through the routes (C{tag} names what it
    creates, so the scenario can run again on the same store with C{reset=False}).
    """
    def tick() -> None:
        clock.advance(1.5)

    if reset:
        await ok(api.request("POST", "/__parlel/reset"))
        tick()
    # Ingest: an envelope of an event, a session, a check-in and an attachment.
    body = envelope(
        event_item({"message": f"boom {tag}", "release": "shop@1.0", "environment": "prod",
                    "user": {"id": "u1"}, "exception": {"values": [
                        {"type": "ValueError", "value": "bad", "stacktrace": {"frames": [
                            {"function": "handler", "filename": "app.py", "lineno": 3,
                             "in_app": True}]}}]}}),
        ({"type": "session"}, json.dumps({"sid": "s1", "did": "u1", "status": "exited",
                                          "attrs": {"release": "shop@1.0"}}).encode()),
        ({"type": "check_in"}, json.dumps({"monitor_slug": f"nightly-{tag}",
                                           "status": "in_progress"}).encode()),
        ({"type": "attachment", "filename": "log.txt"}, b"some bytes\x00\xff"),
    )
    await ok(api.request("POST", "/api/1/envelope/", body=body, headers=AUTH, token=None))
    tick()
    # Outcomes of data not stored: an envelope refused for its event, one answered 429, and
    # a client report of what an SDK dropped.
    await ok(api.request("POST", "/api/1/envelope/", body=envelope(({"type": "event"}, b"{bad")),
                         headers=AUTH, token=None), 400)
    await ok(api.request("POST", "/__parlel/faults", json_body={"status": 429, "count": 1}), 201)
    await ok(api.request("POST", "/api/1/envelope/", body=envelope(event_item({"message": "x"})),
                         headers=AUTH, token=None), 429)
    report = {"discarded_events": [{"reason": "queue_overflow", "category": "error",
                                    "quantity": 2}]}
    await ok(api.request("POST", "/api/1/envelope/", headers=AUTH, token=None, body=envelope(
        ({"type": "client_report"}, json.dumps(report).encode()))))
    tick()
    # Traces: a streamed span tree, logs, a metric, a replay segment and a profile.
    trace = {"trace_id": "ab" * 16, "span_id": "cd" * 8, "name": f"checkout {tag}",
             "start_timestamp": 1_795_000_000.0, "end_timestamp": 1_795_000_001.0,
             "is_segment": True}
    await ok(api.request("POST", "/api/1/envelope/", headers=AUTH, token=None, body=envelope(
        ({"type": "span"}, json.dumps({"version": 2, "items": [trace]}).encode()),
        ({"type": "log"}, json.dumps({"version": 2, "items": [
            {"timestamp": 1_795_000_000.5, "level": "info", "body": f"log {tag}",
             "trace_id": "ab" * 16}]}).encode()),
        ({"type": "trace_metric"}, json.dumps({"version": 2, "items": [
            {"timestamp": 1_795_000_000.5, "name": "orders", "type": "counter",
             "value": 1}]}).encode()),
        ({"type": "replay_event"}, json.dumps({"replay_id": "ef" * 16, "segment_id": 0,
                                               "timestamp": 1_795_000_000.0}).encode()),
        ({"type": "replay_recording"}, b'{"segment_id": 0}\n[]'),
        ({"type": "profile"}, json.dumps({"event_id": "12" * 16, "profile": {
            "samples": [], "stacks": [], "frames": []}}).encode()),
        header={"event_id": "ef" * 16})))
    tick()
    for text in ("second", "third", "third"):
        await ok(api.request("POST", "/api/1/envelope/", body=envelope(event_item(
            {"message": f"{text} {tag}", "level": "warning"})), headers=AUTH, token=None))
        tick()
    # Lenient ingest: a project and a key nobody made yet.
    await ok(api.request("POST", "/api/7/store/", body=json.dumps({"message": "new"}).encode(),
                         headers={"X-Sentry-Auth": "Sentry sentry_key=brandnew"}, token=None))
    await ok(api.request("POST", "/api/1/store/", body=json.dumps({"message": "k"}).encode(),
                         headers={"X-Sentry-Auth": "Sentry sentry_key=another"}, token=None))
    tick()
    # The directory.
    await ok(api.request("POST", f"{ORG}/projects/", json_body={"name": f"Web {tag}"}), 201)
    await ok(api.request("PUT", f"/api/0/projects/parlel/web-{tag}/",
                         json_body={"name": "Web!", "platform": "python"}))
    await ok(api.request("POST", f"{ORG}/teams/", json_body={"slug": f"ops-{tag}"}), 201)
    await ok(api.request("PUT", f"/api/0/teams/parlel/ops-{tag}/", json_body={"name": "Ops"}))
    await ok(api.request("POST", f"{ORG}/teams/", json_body={"slug": f"gone-{tag}"}), 201)
    await ok(api.request("DELETE", f"/api/0/teams/parlel/gone-{tag}/"), 204)
    key = (await ok(api.request("POST", f"{PROJECT}/keys/", json_body={"name": "ci"}),
                    201)).json()
    await ok(api.request("PUT", f"{PROJECT}/keys/{key['id']}/", json_body={"isActive": False}))
    spare = (await ok(api.request("POST", f"{PROJECT}/keys/", json_body={}), 201)).json()
    await ok(api.request("DELETE", f"{PROJECT}/keys/{spare['id']}/"), 204)
    tick()
    # Issues.
    issues = (await ok(api.request("GET", f"{PROJECT}/issues/?query=&sort=new"))).json()
    await ok(api.request("PUT", f"/api/0/issues/{issues[0]['id']}/",
                         json_body={"status": "ignored", "ignoreDuration": 30}))
    await ok(api.request("PUT", f"{PROJECT}/issues/?id={issues[1]['id']}",
                         json_body={"assignedTo": "parlel@example.com", "hasSeen": True}))
    await ok(api.request("DELETE", f"/api/0/issues/{issues[-1]['id']}/"), 202)
    note = (await ok(api.request("POST", f"/api/0/issues/{issues[0]['id']}/notes/",
                                 json_body={"text": f"looking {tag}"}), 201)).json()
    await ok(api.request("PUT", f"/api/0/issues/{issues[0]['id']}/notes/{note['id']}/",
                         json_body={"text": f"fixed {tag}"}))
    spare_note = (await ok(api.request("POST", f"/api/0/issues/{issues[0]['id']}/notes/",
                                       json_body={"text": "oops"}), 201)).json()
    await ok(api.request("DELETE", f"/api/0/issues/{issues[0]['id']}/notes/{spare_note['id']}/"),
             204)
    tick()
    # Releases.
    await ok(api.request("POST", f"{ORG}/releases/", json_body={
        "version": f"shop@2.0-{tag}", "projects": ["parlel"],
        "commits": [{"id": "a" * 40, "repository": "acme/shop", "message": "fix"}]}), 201)
    await ok(api.request("PUT", f"{ORG}/releases/shop@2.0-{tag}/",
                         json_body={"dateReleased": "2026-11-30T10:00:00Z"}))
    await ok(api.request("POST", f"{ORG}/releases/shop@2.0-{tag}/deploys/",
                         json_body={"environment": "staging"}), 201)
    await ok(api.request("POST", f"{ORG}/repos/", json_body={"name": f"acme/other-{tag}"}), 201)
    for source in ("src/main", f"modules/{tag}/src"):
        await ok(api.request("POST", f"{ORG}/code-mappings/bulk/", json_body={
            "project": "parlel", "repository": f"acme/mapped-{tag}", "defaultBranch": "main",
            "mappings": [{"stackRoot": "com/acme", "sourceRoot": f"{source}/com/acme"}]}))
    await ok(api.request("POST", f"{ORG}/releases/", json_body={
        "version": f"doomed-{tag}", "projects": ["parlel"]}), 201)
    await ok(api.request("DELETE", f"{ORG}/releases/doomed-{tag}/"), 204)
    tick()
    # Monitors.
    await ok(api.request("POST", f"/api/1/cron/other-{tag}/parlel/?status=ok&environment=dev",
                         token=None), 202)
    await ok(api.request("PUT", f"{ORG}/monitors/nightly-{tag}/",
                         json_body={"name": "Nightly", "isMuted": True}))
    await ok(api.request("DELETE", f"{ORG}/monitors/other-{tag}/?environment=dev"), 202)
    tick()
    # Uploads.
    bundle = make_bundle(release=f"shop@2.0-{tag}")
    parts, content_type = multipart([("file_gzip", sha1(data), gzip.compress(data))
                                     for data in (bundle, PROGUARD, BREAKPAD)])
    await ok(api.request("POST", CHUNKS, body=parts, headers={"Content-Type": content_type}))
    await ok(api.request("POST", f"{ORG}/artifactbundle/assemble/", json_body={
        "checksum": sha1(bundle), "chunks": [sha1(bundle)], "projects": ["parlel"],
        "version": f"shop@2.0-{tag}"}))
    await ok(api.request("POST", DIF_ASSEMBLE, json_body={
        sha1(PROGUARD): {"name": f"/proguard/{PROGUARD_ID}.txt", "chunks": [sha1(PROGUARD)]},
        sha1(BREAKPAD): {"name": "crash.sym", "chunks": [sha1(BREAKPAD)]}}))
    difs = (await ok(api.request("GET", f"{PROJECT}/files/dsyms/"))).json()
    await ok(api.request("DELETE", f"{PROJECT}/files/dsyms/?id={difs[0]['id']}"), 204)
    tick()
    await ok(api.request("DELETE", f"/api/0/projects/parlel/web-{tag}/"), 204)


def state_of(store: StoreService) -> dict[str, Any]:
    """
    Everything a store holds, as comparable JSON values: its books (as a checkpoint writes
    them), its issues, its events and items with their ids and times, its spans, logs and
    metric points.
    """
    taken = checkpoint.take(store, everything=True)
    return {
        "seq": store.seq,
        "parts": taken.parts,
        "issues": sorted(taken.issues),
        "blobs": sorted(taken.blobs),
        "events": [(document(event), event.seq) for event in store.events()],
        # An item's payload as bytes, whether it is held or left in the data directory.
        "items": [{**attrs.asdict(item), "_payload": item.payload} for item in store.items()],
        "evicted": (store.evicted, store.item_evictions),
        "traces": {kind: [attrs.asdict(entry) for entry in store.traces.all(kind)]
                   for kind in ("spans", "logs", "metrics")},
        "replays": [attrs.asdict(replay) for replay in store.traces.replays()],
        "profiles": [attrs.asdict(profile) for profile in (
            store.traces.profile("12" * 16), store.traces.profile("34" * 16)) if profile],
        "evicted_traces": store.traces.counters(),
    }


class Harness:
    """
    A store with a data directory on a test clock, and an in-memory client over its routes.
    """

    def __init__(self, path: str, clock: Any, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        self.clock = clock
        self.store = StoreService(clock, seed=self.settings.seed,
                                  max_events=self.settings.max_events)
        self.journal = JournalService(self.store, path, clock)
        self.store.startService()
        self.journal.startService()
        root = build_root(self.store, self.settings, clock)
        self.api = Client(StubTreq(root), "http://localhost")

    def stop(self) -> None:
        self.journal.stopService()
