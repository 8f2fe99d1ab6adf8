"""
What a live stream keeps for a client that stopped reading: an ordered backlog (every message,
in order, each once: Spotlight's) or a latest-only one (the newest message of each row, count
or region: a page's feed), each bounded in bytes.
"""

from __future__ import annotations

import re
from collections import OrderedDict, deque
from typing import Callable


class Later:
    """
    A message made only when the connection takes it, and what it is reckoned to weigh.
    """

    __slots__ = ("size", "make")

    def __init__(self, size: int, make: Callable[[], bytes]) -> None:
        self.size, self.make = size, make


Message = bytes | Later

#: The most an ordered stream (Spotlight's) may be behind its client, in bytes of messages
#: not yet handed to the connection: still over it at the next delivery, the stream is closed.
ORDERED_MAX_BACKLOG = 4 * 1024 * 1024
#: The most a latest-only stream (a page's feed) holds for a client that stopped reading, in
#: bytes; past it its oldest messages are dropped.
LATEST_MAX_BACKLOG = 1024 * 1024


def _size(message: Message) -> int:
    return message.size if isinstance(message, Later) else len(message)


class OrderedBacklog:
    """
    Every message, in order; L{full} past C{limit} bytes.
    """

    def __init__(self, limit: int | None = None) -> None:
        self.limit = ORDERED_MAX_BACKLOG if limit is None else limit
        self.size = 0
        self._messages: deque[Message] = deque()

    def __len__(self) -> int:
        return len(self._messages)

    @property
    def full(self) -> bool:
        return self.size > self.limit

    def add(self, message: Message) -> None:
        self._messages.append(message)
        self.size += _size(message)

    def pop(self) -> Message | None:
        if not self._messages:
            return None
        message = self._messages.popleft()
        self.size -= _size(message)
        return message

    def clear(self) -> None:
        self._messages.clear()
        self.size = 0


_KEYED = re.compile(rb'(?:id: [^\n]*\n)?event: ([^\n]*)\ndata: (?:\{"(?:id|name)":'
                    rb'("(?:[^"\\]|\\.)*"))?')


def message_key(message: bytes) -> bytes:
    """
    What a page's message updates: its event and the row or region it names (C{issue} and
    its id, C{region} and its name), or its event alone (C{counts}, C{fields}, C{notice}).
    """
    found = _KEYED.match(message)
    if found is None:
        return message
    return found.group(1) + b" " + (found.group(2) or b"")


class LatestBacklog:
    """
    The newest message of each key (a newer one replaces it and goes last), up to C{limit}
    bytes: past it the oldest are dropped, so it is never L{full}.
    """

    full = False

    def __init__(self, limit: int | None = None,
                 key: Callable[[bytes], bytes] = message_key) -> None:
        self.limit = LATEST_MAX_BACKLOG if limit is None else limit
        self.size = 0
        #: How many messages were replaced or dropped.
        self.dropped = 0
        self._key = key
        self._messages: OrderedDict[bytes, bytes] = OrderedDict()

    def __len__(self) -> int:
        return len(self._messages)

    def add(self, message: Message) -> None:
        if isinstance(message, Later):
            message = message.make()
        key = self._key(message)
        replaced = self._messages.pop(key, None)
        if replaced is not None:
            self.size -= len(replaced)
            self.dropped += 1
        self._messages[key] = message
        self.size += len(message)
        while self.size > self.limit and len(self._messages) > 1:
            _, oldest = self._messages.popitem(last=False)
            self.size -= len(oldest)
            self.dropped += 1

    def pop(self) -> bytes | None:
        if not self._messages:
            return None
        _, message = self._messages.popitem(last=False)
        self.size -= len(message)
        return message

    def clear(self) -> None:
        self._messages.clear()
        self.size = 0
