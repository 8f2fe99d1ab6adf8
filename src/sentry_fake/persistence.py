"""
C{--data-dir}: state that survives a restart, and a crash.

Every request that changes state (ingest of any kind, management writes) is appended to a
journal before it is handled, and so before it is answered; at start the journal is replayed
through the same HTTP stack with the clock pinned to each request's time and the identifier
generator seeded per request, which rebuilds the same state, ids included.  A clean stop
writes a snapshot of the store and empties the journal, so a restart loads the snapshot and
replays only what came after it.  A reset empties both.  Reads, inspection and fault plans are
not journaled.  The directory is the server's own: its snapshot is a pickle, read back as is.
"""

from __future__ import annotations

import os
import pickle
from io import BytesIO
from typing import Any

from twisted.application.service import Service
from twisted.internet.address import IPv4Address
from twisted.logger import Logger

from . import ids
from .journal import Journal, Record

_READS = {b"GET", b"HEAD", b"OPTIONS"}
#: The method of the journal records that say how a request was answered.
OUTCOME = b"="
SNAPSHOT_FORMAT = "sentry-fake snapshot 1"


class _PinnedClock:
    """
    A clock that says what time a journaled request arrived.
    """

    def __init__(self, now: float) -> None:
        self.now = now

    def seconds(self) -> float:
        return self.now


class _ReplayTransport:
    def __init__(self, client: IPv4Address, host: IPv4Address) -> None:
        self._client, self._host = client, host

    def getPeer(self) -> IPv4Address:
        return self._client

    def getHost(self) -> IPv4Address:
        return self._host

    def write(self, data: bytes) -> None:
        pass

    def writeSequence(self, data: Any) -> None:
        pass

    def loseConnection(self) -> None:
        pass


class _ReplayChannel:
    """
    Enough of an HTTP channel for a journaled request to be handled again; the answer is
    dropped, its status kept.
    """

    factory = None

    def __init__(self, site: Any, client: str | None) -> None:
        self.site = site
        self.transport = _ReplayTransport(IPv4Address("TCP", client or "127.0.0.1", 0),
                                          IPv4Address("TCP", "127.0.0.1", 0))
        self.status: int | None = None

    def getPeer(self) -> IPv4Address:
        return self.transport.getPeer()

    def getHost(self) -> IPv4Address:
        return self.transport.getHost()

    def isSecure(self) -> bool:
        return False

    def writeHeaders(self, version: bytes, code: bytes, reason: bytes, headers: Any) -> None:
        self.status = int(code)

    def write(self, data: bytes) -> None:
        pass

    def writeSequence(self, data: Any) -> None:
        pass

    def requestDone(self, request: Any) -> None:
        pass

    def registerProducer(self, producer: Any, streaming: bool) -> None:
        pass

    def unregisterProducer(self) -> None:
        pass

    def _respondToBadRequestAndDisconnect(self) -> None:
        self.status = 400


def changes_state(method: bytes, path: bytes) -> bool:
    """
    Whether a request may change state (and so belongs in the journal).
    """
    if path.startswith(b"/api/0/") or path == b"/api/0":
        return method not in _READS
    if path.startswith(b"/api/") or path.startswith(b"/v1/"):
        # Ingest, including the cron endpoint's GET check-ins.
        return method not in (b"OPTIONS", b"HEAD")
    return False


class Persistence:
    """
    The journal of one server, and the hook its root resource calls before each request.
    """

    log = Logger()

    def __init__(self, data_dir: str, store: Any, clock: Any) -> None:
        os.makedirs(data_dir, exist_ok=True)
        self.journal = Journal(os.path.join(data_dir, "journal.sfj"))
        self.snapshot_path = os.path.join(data_dir, "snapshot.pickle")
        self._snapshot_seq = 0
        self._store = store
        self._clock = clock
        self._seq = 0
        self.replaying = False
        #: Replayed requests answered differently than when they were journaled.
        self.diverged = 0

    def before(self, request: Any, path: bytes, body: bytes) -> bool:
        """
        Journal a request that changes state, before it is handled, and pin the store's clock
        to its arrival time while it is (so a replay sees the very same times).

        @return: whether it was journaled (then L{after} must follow its handling).
        """
        if self.replaying:
            return False
        method = request.method
        if method == b"POST" and path == b"/__parlel/reset":
            self.journal.clear()
            if os.path.exists(self.snapshot_path):
                os.remove(self.snapshot_path)
            return False
        if not changes_state(method, path):
            return False
        self._seq += 1
        now = self._clock.seconds()
        address = request.getClientAddress()
        self.journal.append(Record(
            seq=self._seq, time=now, method=method, uri=request.uri,
            headers=[(name, value) for name, values in request.requestHeaders.getAllRawHeaders()
                     for value in values],
            client=getattr(address, "host", None), body=body))
        ids.reseed(self._seq)
        self._saved_clock = self._store.clock
        self._store.clock = _PinnedClock(now)
        return True

    def after(self, request: Any) -> None:
        """
        Restore the clock, and journal how the request was answered, so a replay can tell
        when it answers differently (settings changed between runs, say).
        """
        self._store.clock = self._saved_clock
        code = getattr(request, "code", None)
        if isinstance(code, int):
            self.journal.append(Record(seq=self._seq, time=0.0, method=OUTCOME,
                                       uri=str(code).encode("ascii"), headers=[], client=None,
                                       body=b""))

    def _check(self, outcome: Record, status: int | None) -> None:
        original = int(outcome.uri)
        if status is None or (original < 400) != (status < 400):
            self.diverged += 1
            self.log.error(
                "journaled request {seq} was answered {original} but {status} on replay: were "
                "the options (--auth-token, --strict-ingest, --seed) changed since? What it "
                "stored then is not stored now", seq=outcome.seq, original=original,
                status=status)

    def replay(self, site: Any) -> int:
        """
        Handle every journaled request again, in order, at its own time.

        @return: how many requests were replayed.
        """
        from .http import SentryRequest

        count = failed = 0
        replayed: dict[int, int | None] = {}
        saved = self._store.clock
        self.replaying = True
        try:
            for record in self.journal.records():
                if record.seq <= self._snapshot_seq:
                    continue  # already in the snapshot (stopped between the two writes)
                if record.method == OUTCOME:
                    self._check(record, replayed.pop(record.seq, None))
                    continue
                self._store.clock = _PinnedClock(record.time)
                ids.reseed(record.seq)
                channel = _ReplayChannel(site, record.client)
                request = SentryRequest(channel)
                for name, value in record.headers:
                    request.requestHeaders.addRawHeader(name, value)
                request.content = BytesIO(record.body)
                request.content.seek(0, 2)
                request.requestReceived(record.method, record.uri, b"HTTP/1.1")
                self._seq = record.seq
                replayed[record.seq] = channel.status
                count += 1
                if channel.status is None or channel.status >= 400:
                    failed += 1
        finally:
            self._store.clock = saved
            self.replaying = False
        self.journal.trim(self.journal.valid_size)
        self.log.info("replayed {count} journaled requests from {path} ({failed} were refused "
                      "then too)", count=count, path=self.journal.path, failed=failed)
        return count


    def load_snapshot(self) -> bool:
        """
        Restore the store from the snapshot of the last clean stop, if there is one.
        """
        if not os.path.exists(self.snapshot_path):
            return False
        with open(self.snapshot_path, "rb") as handle:
            saved = pickle.load(handle)
        if not isinstance(saved, dict) or saved.get("format") != SNAPSHOT_FORMAT:
            raise ValueError(f"{self.snapshot_path} is not a snapshot this version can read")
        self._store.restore(saved["state"])
        self._seq = self._snapshot_seq = saved["seq"]
        self.log.info("restored the snapshot {path} (up to journaled request {seq})",
                      path=self.snapshot_path, seq=self._seq)
        return True

    def save_snapshot(self) -> bool:
        """
        Write the store to the snapshot file (atomically) and empty the journal.

        Not after a replay that answered some journaled request differently: the journal is
        kept whole, so starting again with the options it was written under recovers it.
        """
        if self.diverged:
            self.log.warn("not writing a snapshot: {count} journaled requests were answered "
                          "differently on replay; the journal is kept", count=self.diverged)
            return False
        saved = {"format": SNAPSHOT_FORMAT, "seq": self._seq, "state": self._store.snapshot()}
        temporary = self.snapshot_path + ".tmp"
        try:
            with open(temporary, "wb") as handle:
                pickle.dump(saved, handle, protocol=pickle.HIGHEST_PROTOCOL)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self.snapshot_path)
        except Exception:
            # The journal still holds everything: keep it.
            self.log.failure("could not write the snapshot {path}; keeping the journal",
                             path=self.snapshot_path)
            return False
        self.journal.clear()
        self._snapshot_seq = self._seq
        return True


class PersistenceService(Service):
    """
    Replays the journal when the server starts, before any request is served.
    """

    name = "persistence"

    def __init__(self, persistence: Persistence, site: Any) -> None:
        self.persistence = persistence
        self.site = site

    def startService(self) -> None:
        super().startService()
        self.persistence.load_snapshot()
        self.persistence.replay(self.site)

    def stopService(self) -> Any:
        self.persistence.save_snapshot()
        self.persistence.journal.close()
        return super().stopService()
