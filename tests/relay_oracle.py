"""
The oracle of the differential suite: Sentry's own Relay (C{sentry-relay}, the Rust normalizer
behind a Python binding) configured as Sentry's event manager configures it, followed by the
steps Sentry's event manager takes after it, written here from Sentry's source:

- C{sentry/constants.py}: C{DEFAULT_STORE_NORMALIZER_ARGS} (60 s ahead, 30 days behind,
  trimming on; no GeoIP database here);
- C{sentry/event_manager.py}: C{EventManager._normalize_impl} (the other arguments,
  C{normalize_user_agent=True}), C{_pull_out_data} (level, logger, environment and transaction
  tags), C{_get_or_create_release_many} (C{sentry:release}, C{sentry:dist}),
  C{_get_event_user_many} (C{sentry:user}), C{_derive_plugin_tags_many} (the C{url} tag of
  C{sentry/plugins/sentry_urls}), C{_derive_interface_tags_many} (interfaces by score: the
  exception's mechanism, then contexts), C{set_tag}/C{pop_tag};
- C{sentry/utils/eventuser.py}: the user tag (id, username, email, then a valid IP);
- C{sentry/interfaces/contexts.py}: C{context_to_tag_mapping}.
"""

from __future__ import annotations

import ipaddress
import string
from datetime import datetime, timezone
from typing import Any, Iterator

from sentry_relay.processing import StoreNormalizer

MAX_TAG_VALUE_LENGTH = 200
DEFAULT_STORE_NORMALIZER_ARGS = dict(max_secs_in_future=60, max_secs_in_past=2592000,
                                     enable_trimming=True)
GROUPING_CONFIG = {"id": "newstyle:2023-01-11", "enhancements": ""}
CONTEXT_TAGS = {
    "app": {"device": "{device_app_hash}"},
    "device": {"": "{model}", "family": "{family}"},
    "runtime": {"": "{runtime}", "name": "{name}"},
    "browser": {"": "{browser}", "name": "{name}"},
    "os": {"": "{os}", "name": "{name}", "rooted": "{rooted}"},
    "gpu": {"name": "{name}", "vendor": "{vendor_name}"},
    "monitor": {"id": "{id}", "slug": "{slug}"},
}


def relay(payload: dict[str, Any], received: float, project_id: int = 1) -> dict[str, Any]:
    """
    The payload as Relay's store normalizer returns it, received at C{received}.
    """
    normalizer = StoreNormalizer(
        project_id=project_id, client_ip=None, client=None, key_id=None,
        grouping_config=GROUPING_CONFIG, protocol_version="7", is_renormalize=False,
        remove_other=None, normalize_user_agent=True, sent_at=None,
        received_at=datetime.fromtimestamp(received, timezone.utc).isoformat(),
        **DEFAULT_STORE_NORMALIZER_ARGS)
    return normalizer.normalize_event(payload)


def _trim(value: Any) -> Any:
    if isinstance(value, str) and len(value) > MAX_TAG_VALUE_LENGTH:
        return value[:MAX_TAG_VALUE_LENGTH - 3] + "..."
    return value


def pop_tag(data: dict[str, Any], key: str) -> None:
    data["tags"] = [kv for kv in data["tags"] if kv is None or kv[0] != key]


def set_tag(data: dict[str, Any], key: str, value: Any) -> None:
    pop_tag(data, key)
    if value is not None:
        data["tags"].append([key, _trim(value)])


def get_tag(data: dict[str, Any], key: str) -> Any:
    for pair in data.get("tags") or ():
        if pair is not None and pair[0] == key:
            return pair[1]
    return None


def _user_tag(user: dict[str, Any]) -> str | None:
    ip = user.get("ip_address")
    if ip:
        try:
            ipaddress.ip_address(str(ip))
        except ValueError:
            ip = None
    for key, value in (("id", user.get("id")), ("username", user.get("username")),
                       ("email", user.get("email")), ("ip", ip)):
        if value:
            return f"{key}:{value}"
    return None


class _Formatter(string.Formatter):
    def format_field(self, value: Any, format_spec: str) -> str:
        if not format_spec and isinstance(value, bool):
            return value and "yes" or "no"
        return string.Formatter.format_field(self, value, format_spec)


def _context_tags(contexts: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for alias, data in contexts.items():
        if data is None:
            continue
        mapping = CONTEXT_TAGS.get(data.get("type", alias), {})
        ctx = {}
        for key, value in data.items():
            if value is not None:
                ctx[key] = value
            if isinstance(value, (int, float)) and not isinstance(value, bool) \
                    and len(str(value)) > 15:
                ctx[key] = str(value)
        for field, template in mapping.items():
            try:
                value = str(_Formatter().vformat(template, (), ctx).strip())
            except KeyError:
                continue
            if value:
                yield (alias if not field else f"{alias}.{field}"), value


def event_manager(data: dict[str, Any]) -> dict[str, Any]:
    """
    Sentry's tag steps after Relay, on Relay's output (changed in place and returned).
    """
    data.setdefault("tags", [])
    set_tag(data, "level", data.get("level"))
    for key in ("logger", "environment", "transaction"):
        if data.get(key):
            set_tag(data, key, data[key])
    if data.get("release"):
        pop_tag(data, "release")
        set_tag(data, "sentry:release", data["release"])
        if data.get("dist"):
            pop_tag(data, "dist")
            set_tag(data, "sentry:dist", data["dist"])
    if data.get("user"):
        pop_tag(data, "user")
        set_tag(data, "sentry:user", _user_tag(data["user"]))
    url = (data.get("request") or {}).get("url")
    if url and len(url) <= MAX_TAG_VALUE_LENGTH and get_tag(data, "url") is None:
        set_tag(data, "url", url)
    values = (data.get("exception") or {}).get("values") or []
    mechanism = values[-1].get("mechanism") if values and values[-1] else None
    if mechanism:
        set_tag(data, "mechanism", mechanism.get("type"))
        if mechanism.get("handled") is not None:
            set_tag(data, "handled", mechanism["handled"] and "yes" or "no")
    for key, value in _context_tags(data.get("contexts") or {}):
        set_tag(data, key, value)
    return data


def as_stored(data: dict[str, Any]) -> dict[str, Any]:
    """
    Sentry's tags named as its API shows them (C{sentry:release} is C{release}), as the fake's
    stored document names them.
    """
    data["tags"] = [[pair[0].split("sentry:", 1)[-1], pair[1]]
                    if pair is not None and pair[0] in ("sentry:release", "sentry:dist",
                                                        "sentry:user") else pair
                    for pair in data["tags"]]
    return data


def expected_document(payload: dict[str, Any], event_id: str, received: float,
                      project_id: int = 1) -> dict[str, Any]:
    return as_stored(event_manager(relay(dict(payload, event_id=event_id), received,
                                         project_id)))


def differences(actual: Any, expected: Any, path: str = "") -> Iterator[tuple[str, Any, Any]]:
    """
    Every leaf where C{actual} and C{expected} differ, with its path.
    """
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in sorted(set(expected) | set(actual), key=str):
            yield from differences(actual.get(key, _MISSING), expected.get(key, _MISSING),
                                   f"{path}.{key}" if path else str(key))
    elif isinstance(expected, list) and isinstance(actual, list) and len(actual) == len(expected):
        for index, (one, other) in enumerate(zip(actual, expected)):
            yield from differences(one, other, f"{path}.{index}")
    elif not _same(actual, expected):
        yield path, actual, expected


def leaves(value: Any) -> int:
    """
    How many leaf fields a value has (the fields one comparison covers).
    """
    if isinstance(value, dict):
        return sum(leaves(item) for item in value.values()) or 1
    if isinstance(value, list):
        return sum(leaves(item) for item in value) or 1
    return 1


def _same(one: Any, other: Any) -> bool:
    if isinstance(one, float) or isinstance(other, float):
        return isinstance(one, (int, float)) and isinstance(other, (int, float)) \
            and not isinstance(one, bool) and abs(one - other) < 1e-6
    return one == other and type(one) is type(other)


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISSING = _Missing()
