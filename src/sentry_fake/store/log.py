"""
An insertion-ordered, bounded log of records with secondary indexes ("facets").

Events and captured items live in one: lookups by id are a dict access, a project's or an issue's
records are a list slice, and when the log is full the oldest record is evicted from everything
in O(1).  Nothing scans the whole log to answer a query.
"""

from __future__ import annotations

from typing import Any, Callable, Generic, Hashable, Iterator, TypeVar

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

    Most facet values of some names are one record's own (an event's trace, an item's event):
    such a value holds the record itself, and becomes a L{Facet} when a second record shares
    it, so that a record costs no more than a dictionary entry for each of them.
    """

    def __init__(self, key: Callable[[T], Hashable], capacity: int,
                 facets: dict[str, Callable[[T], Hashable]],
                 on_leave: Callable[[T], object] | None = None) -> None:
        self._key = key
        self._capacity = capacity
        #: Called with each record that leaves (evicted, or removed with L{remove_where}).
        self._on_leave = on_leave
        self._records: dict[Hashable, T] = {}
        self._all: Facet[T] = Facet()
        #: Per facet name, each value's facet (or its only record).
        self._facets: dict[str, dict[Hashable, Any]] = {name: {} for name in facets}
        self._facet_keys = tuple((facet_key, self._facets[name])
                                 for name, facet_key in facets.items())
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
        found = self._facets[name].get(value)
        if type(found) is Facet:
            return found
        facet: Facet[T] = Facet()
        if found is not None:
            facet._append(found)
        return facet

    def add(self, record: T) -> T | None:
        """
        Append a record; evict and return the oldest one if the log is over capacity.
        """
        self._records[self._key(record)] = record
        self._all._append(record)
        for facet_key, by_value in self._facet_keys:
            value = facet_key(record)
            if value is None:
                continue
            found = by_value.get(value)
            if found is None:
                by_value[value] = record
            elif type(found) is Facet:
                # Facet._append, inlined: this is the ingest path, once per facet of a record.
                found._records.append(record)
                found.appended += 1
            else:
                facet = by_value[value] = Facet()
                facet._records.extend((found, record))
                facet.appended = 2
        if len(self._records) <= self._capacity:
            return None
        oldest = self.pop_oldest()
        self.evicted += 1
        if self._on_leave is not None:
            self._on_leave(oldest)
        return oldest

    def pop_oldest(self) -> T:
        """
        Take the oldest record out of the log and its facets (not counted as evicted, and
        C{on_leave} is not called: the caller knows).
        """
        oldest = self._all[0]
        del self._records[self._key(oldest)]
        self._all._drop_oldest(oldest)
        for facet_key, by_value in self._facet_keys:
            value = facet_key(oldest)
            if value is None:
                continue
            found = by_value[value]
            if type(found) is Facet:
                found._drop_oldest(oldest)
                if len(found):
                    continue
            # An issue or type whose records are all evicted leaves no trace.
            del by_value[value]
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
        for by_value in self._facets.values():
            for facet_value, found in list(by_value.items()):
                if type(found) is Facet:
                    found._rebuild(lambda record: id(record) not in gone)
                    if len(found):
                        continue
                elif id(found) not in gone:
                    continue
                del by_value[facet_value]
        if self._on_leave is not None:
            for record in doomed:
                self._on_leave(record)
        return doomed
