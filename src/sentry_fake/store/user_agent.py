"""
The browser, operating system and device a User-Agent header names, as Relay reads them (with
the uap-core rules, through C{ua-parser}).  Parsing is slow and the same few agents come back
event after event, so results are cached by the header's text.  Only the header's first
L{MAX_USER_AGENT} characters are read: the uap-core rules match what an agent starts with, and a
header of megabytes would hold the reactor for seconds and the cache's memory for good.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from ua_parser import parse

Context = dict[str, Any]
#: How much of a User-Agent is read (real ones are a few hundred characters at most).
MAX_USER_AGENT = 1024


def _version(major: str | None, minor: str | None, patch: str | None) -> str | None:
    if major is None:
        return None
    version = major
    if minor is not None:
        version += f".{minor}"
        if patch is not None:
            version += f".{patch}"
    return version


def _known(family: str | None) -> bool:
    return bool(family) and family != "Other"


def contexts_for(user_agent: str) -> tuple[Context | None, Context | None, Context | None]:
    """
    The C{browser}, C{os} and C{device} contexts of a User-Agent (each C{None} when unknown),
    without their computed fields; callers copy them before changing them.
    """
    return _contexts_for(user_agent[:MAX_USER_AGENT])


@lru_cache(maxsize=512)
def _contexts_for(user_agent: str) -> tuple[Context | None, Context | None, Context | None]:
    found = parse(user_agent)
    browser = os = device = None
    agent = found.user_agent
    if agent is not None and _known(agent.family):
        browser = {"name": agent.family}
        version = _version(agent.major, agent.minor, agent.patch)
        if version is not None:
            browser["version"] = version
    system = found.os
    if system is not None and _known(system.family):
        os = {"name": system.family}
        version = _version(system.major, system.minor, system.patch)
        # User agents freeze the version at Windows 10 and macOS 10.15.7: it may be higher.
        if (system.family, version) in (("Windows", "10"), ("Mac OS X", "10.15.7")):
            version = ">=" + version
        if version is not None:
            os["version"] = version
    hardware = found.device
    if hardware is not None and _known(hardware.family):
        device = {"family": hardware.family}
        if hardware.model is not None:
            device["model"] = hardware.model
        if hardware.brand is not None:
            device["brand"] = hardware.brand
    return browser, os, device
