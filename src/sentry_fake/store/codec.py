"""
The one converter between the store's attrs classes and plain JSON values, for the journal's
records and its checkpoints.

Fields that hold their default are left out (so a C{...Changed} record lists only what it
changes, and a checkpoint stays small); sets become sorted lists (so the same state is always
written the same way), integer keys strings, and back again, as the classes' annotations say.
Byte strings are never converted here: whoever holds them stores them beside the JSON (see
L{sentry_fake.persistence}).
"""

from __future__ import annotations

from typing import Any

from cattrs.cols import is_set
from cattrs.preconf.orjson import make_converter

converter = make_converter(omit_if_default=True)


def _sorted(values: Any) -> list[Any]:
    try:
        return sorted(values)
    except TypeError:
        return sorted(values, key=repr)


converter.register_unstructure_hook_func(is_set, _sorted)
