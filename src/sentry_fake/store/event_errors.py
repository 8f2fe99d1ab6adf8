"""
What normalization says about an event it changed: the C{errors} list and the C{_meta} tree, as
Relay writes them.

An error names the path of the value (C{"tags.1.1"}), its kind (C{invalid_data},
C{invalid_attribute}, C{future_timestamp}, ...), the value that was dropped, when it was not
empty, and a reason when Relay gives one.  C{_meta} holds the same facts by path, plus the
remarks of values that were cut (C{["!limit", "s", kept, limit]} and the original length).
"""

from __future__ import annotations

from typing import Any

Path = tuple[Any, ...]


def _empty(value: Any) -> bool:
    return value is None


class Report:
    """
    The errors and C{_meta} of one event, in the order normalization met them.
    """

    __slots__ = ("errors", "meta")

    def __init__(self) -> None:
        self.errors: list[dict[str, Any]] = []
        self.meta: dict[str, Any] = {}

    def _node(self, path: Path) -> dict[str, Any]:
        node = self.meta
        for part in path:
            node = node.setdefault(str(part), {})
        return node.setdefault("", {})

    def error(self, path: Path, kind: str, value: Any = None, reason: str | None = None,
              **data: Any) -> None:
        """
        Record that the value at C{path} was refused (or, for timestamps, replaced).  Relay
        lists some errors twice; C{repeat=True} lists one again without a second C{_meta}
        entry.
        """
        repeat = data.pop("repeat", False)
        error: dict[str, Any] = {"type": kind, "name": ".".join(map(str, path))}
        if not _empty(value):
            error["value"] = value
        if reason is not None:
            error["reason"] = reason
        error.update(data)
        self.errors.append(error)
        if repeat:
            return
        node = self._node(path)
        details = dict(data)
        if reason is not None:
            details["reason"] = reason
        node.setdefault("err", []).append([kind, details] if details else kind)
        if not _empty(value):
            node["val"] = value

    def forget(self, path: Path) -> None:
        """
        Drop what was recorded of the value at C{path} and inside it (a value Relay removes
        altogether takes its errors with it).
        """
        name = ".".join(map(str, path))
        self.errors = [error for error in self.errors if error["name"] != name
                       and not error["name"].startswith(name + ".")]
        chain = [self.meta]
        for part in path[:-1]:
            node = chain[-1].get(str(part))
            if node is None:
                return
            chain.append(node)
        chain[-1].pop(str(path[-1]), None)
        for parent, part in zip(reversed(chain[:-1]), reversed(path[:-1])):
            if chain[-1]:
                break
            parent.pop(str(part), None)
            chain.pop()

    def invalid(self, path: Path, value: Any = None, reason: str | None = None) -> None:
        self.error(path, "invalid_data", value, reason)

    def original(self, path: Path, value: Any) -> None:
        """
        Record the value that was replaced at C{path}, without an error.
        """
        self._node(path)["val"] = value

    def fingerprint(self, refused: list[Any], length: int) -> None:
        self.errors.append({"type": "invalid_data", "name": "fingerprint", "value": refused})
        node = self._node(("fingerprint",))
        node["err"] = [["invalid_data", {"value": refused}]]
        node["len"] = length

    def trimmed(self, path: Path, kept: int, limit: int, length: int) -> None:
        """
        Record that the string at C{path} was cut to C{kept} characters (plus an ellipsis).
        """
        node = self._node(path)
        node["rem"] = [["!limit", "s", kept, limit]]
        node["len"] = length


class NoReport(Report):
    """
    A report that forgets everything: for the ingest path, which needs the values only.
    """

    __slots__ = ()

    def error(self, path: Path, kind: str, value: Any = None, reason: str | None = None,
              **data: Any) -> None:
        pass

    def trimmed(self, path: Path, kept: int, limit: int, length: int) -> None:
        pass

    def original(self, path: Path, value: Any) -> None:
        pass

    def fingerprint(self, refused: list[Any], length: int) -> None:
        pass


SILENT = NoReport()


def trim(text: str, limit: int, path: Path, report: Report) -> str:
    """
    C{text} cut to C{limit} characters, the last three an ellipsis, as Relay trims strings.
    """
    if len(text) <= limit:
        return text
    report.trimmed(path, limit - 3, limit, len(text))
    return text[:limit - 3] + "..."
