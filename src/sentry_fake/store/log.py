"""
An insertion-ordered, bounded log of records with secondary indexes ("facets").

Events and captured items live in one: lookups by id are a dict access, a project's or an issue's
records are a list slice, and when the log is full the oldest record is evicted from everything
in O(1).  Nothing scans the whole log to answer a query.
"""

from __future__ import annotations

from typing import Callable, Generic, Hashable, Iterator, TypeVar

T = TypeVar("T")


class Facet(Generic[T]):
    """
    The records that share one facet value, oldest first.  Behaves as a read-only sequence.
    """

    __slots__ = ("_records", "_head", "appended")

    def __init__(self) -> None:
        self._records: list[T] = []
        self._head = 0
        #: How many records were ever appended (evictions do not lower it).
        self.appended = 0

    def __len__(self) -> int:
        return len(self._records) - self._head

    def __iter__(self) -> Iterator[T]:
        records, head = self._records, self._head
        return (records[i] for i in range(head, len(records)))

    def __reversed__(self) -> Iterator[T]:
        records, head = self._records, self._head
        return (records[i] for i in range(len(records) - 1, head - 1, -1))

    def __getitem__(self, index: int) -> T:
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self._records[self._head + index]

    def newest(self, offset: int, count: int) -> list[T]:
        """
        Up to C{count} records, newest first, skipping the C{offset} newest.
        """
        end = len(self._records) - offset
        start = max(self._head, end - count)
        if end <= start:
            return []
        return self._records[start:end][::-1]

    def _append(self, record: T) -> None:
        self._records.append(record)
        self.appended += 1

    def _drop_oldest(self, record: T) -> None:
        if self._head < len(self._records) and self._records[self._head] is record:
            self._records[self._head] = None  # type: ignore[call-overload]
            self._head += 1
            if self._head > 1024 and self._head * 2 > len(self._records):
                del self._records[: self._head]
                self._head = 0

    def _rebuild(self, keep: Callable[[T], bool]) -> None:
        self._records = [record for record in self if keep(record)]
        self._head = 0


class Log(Generic[T]):
    """
    A bounded log keyed by C{key(record)}, with a facet per (name, value) pair.
    """

    def __init__(self, key: Callable[[T], Hashable], capacity: int,
                 facets: dict[str, Callable[[T], Hashable]]) -> None:
        self._key = key
        self._capacity = capacity
        self._facet_keys = facets
        self._records: dict[Hashable, T] = {}
        self._all: Facet[T] = Facet()
        self._facets: dict[tuple[str, Hashable], Facet[T]] = {}
        self.evicted = 0

    def __len__(self) -> int:
        return len(self._records)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._records

    def get(self, key: Hashable) -> T | None:
        return self._records.get(key)

    def all(self) -> Facet[T]:
        return self._all

    def facet(self, name: str, value: Hashable) -> Facet[T]:
        """
        The records whose facet C{name} is C{value} (an empty facet if there are none).
        """
        return self._facets.get((name, value)) or Facet()

    def add(self, record: T) -> T | None:
        """
        Append a record; evict and return the oldest one if the log is over capacity.
        """
        self._records[self._key(record)] = record
        self._all._append(record)
        facets = self._facets
        for name, facet_key in self._facet_keys.items():
            value = facet_key(record)
            if value is None:
                continue
            facet = facets.get((name, value))
            if facet is None:
                facet = facets[(name, value)] = Facet()
            # Facet._append, inlined: this is the ingest path, once per facet of a record.
            facet._records.append(record)
            facet.appended += 1
        if len(self._records) <= self._capacity:
            return None
        oldest = self._all[0]
        del self._records[self._key(oldest)]
        self._all._drop_oldest(oldest)
        for name, facet_key in self._facet_keys.items():
            value = facet_key(oldest)
            if value is not None:
                facet = self._facets[(name, value)]
                facet._drop_oldest(oldest)
                if not len(facet):
                    # An issue or type whose records are all evicted leaves no trace.
                    del self._facets[(name, value)]
        self.evicted += 1
        return oldest

    def remove_where(self, name: str, value: Hashable) -> list[T]:
        """
        Remove every record of one facet value (used when an issue or project is deleted).
        """
        doomed = list(self.facet(name, value))
        if not doomed:
            return doomed
        gone = {id(record) for record in doomed}
        for record in doomed:
            del self._records[self._key(record)]
        self._all._rebuild(lambda record: id(record) not in gone)
        for facet in self._facets.values():
            facet._rebuild(lambda record: id(record) not in gone)
        return doomed
