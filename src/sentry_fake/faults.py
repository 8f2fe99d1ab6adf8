"""
Fault injection for ingest: make the next requests (or a share of them) answer as an unhealthy
Sentry would — 429 with Sentry's rate-limit headers, a 5xx, or a delay — so a test can check
how its application copes.  Faulted requests store nothing, as Sentry keeps nothing it refused.
"""

from __future__ import annotations

import random
from typing import Any

import attrs

from .errors import Invalid

_QUOTA = ("Sentry dropped data due to a quota or internal rate limit being reached. This will "
          "not affect your application. See https://docs.sentry.io/product/accounts/quotas/ "
          "for more information.")
_ERRORS = {500: "internal server error", 502: "bad gateway", 503: "the service is overloaded",
           504: "gateway timeout"}


@attrs.define
class Fault:
    """
    One fault plan: what to answer, to how many requests, with which delay.
    """

    status: int | None = None
    remaining: int | None = None
    ratio: float = 1.0
    delay: float = 0.0
    retry_after: int = 60
    rate_limits: str | None = None
    applied: int = 0

    def describe(self) -> dict[str, Any]:
        return {"status": self.status, "remaining": self.remaining, "ratio": self.ratio,
                "delay": self.delay, "retry_after": self.retry_after,
                "rate_limits": self.headers().get(b"x-sentry-rate-limits", b"").decode() or None,
                "applied": self.applied}

    def headers(self) -> dict[bytes, bytes]:
        if self.status != 429:
            return {}
        limits = self.rate_limits or f"{self.retry_after}::organization"
        return {b"retry-after": str(self.retry_after).encode(),
                b"x-sentry-rate-limits": limits.encode()}

    def body(self) -> dict[str, Any]:
        if self.status == 429:
            return {"detail": _QUOTA}
        return {"detail": _ERRORS.get(self.status or 0, "injected fault")}


def _number(spec: dict[str, Any], name: str, kind: type, low: float, high: float | None) -> Any:
    value = spec.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or \
            (kind is int and not float(value).is_integer()):
        raise Invalid(fields={name: [f"Must be a {'whole ' if kind is int else ''}number."]})
    if value < low or (high is not None and value > high):
        raise Invalid(fields={name: [f"Must be between {low} and {high}." if high is not None
                                     else f"Must be at least {low}."]})
    return kind(value)


def parse_fault(spec: Any) -> Fault:
    """
    Read a fault plan: C{{"status": 429|5xx, "count": N, "ratio": 0..1, "delay": seconds,
    "retry_after": seconds, "rate_limits": "60:error;transaction:key"}}.

    @raise Invalid: a field is out of range, or the plan does nothing.
    """
    if not isinstance(spec, dict):
        raise Invalid(fields={"non_field_errors": ["Invalid data. Expected a dictionary."]})
    status = _number(spec, "status", int, 400, 599)
    if status is not None and status != 429 and status < 500:
        raise Invalid(fields={"status": ["Must be 429 or a 5xx status."]})
    count = _number(spec, "count", int, 1, None)
    ratio = _number(spec, "ratio", float, 0.0, 1.0)
    delay = _number(spec, "delay", float, 0.0, 60.0) or 0.0
    retry_after = _number(spec, "retry_after", int, 0, None)
    limits = spec.get("rate_limits")
    if limits is not None and not isinstance(limits, str):
        raise Invalid(fields={"rate_limits": ["Not a valid string."]})
    if status is None and not delay:
        raise Invalid(fields={"non_field_errors": ["Give a status, a delay, or both."]})
    return Fault(status=status, remaining=count, ratio=1.0 if ratio is None else ratio,
                 delay=delay, retry_after=60 if retry_after is None else retry_after,
                 rate_limits=limits)


class Faults:
    """
    The fault plan in force, drawn from once per ingest request.
    """

    def __init__(self, rng: random.Random | None = None) -> None:
        self.plan: Fault | None = None
        self._rng = rng or random.Random()

    def set(self, plan: Fault) -> None:
        self.plan = plan

    def clear(self) -> None:
        self.plan = None

    def draw(self, path: bytes) -> Fault | None:
        """
        The fault for this request, if any (spending one of the plan's count).
        """
        plan = self.plan
        if plan is None:
            return None
        if plan.status == 429 and b"/cron/" in path:
            # Relay never rate-limits the cron endpoint.
            return None
        if plan.ratio < 1.0 and self._rng.random() >= plan.ratio:
            return None
        plan.applied += 1
        if plan.remaining is not None:
            plan.remaining -= 1
            if plan.remaining <= 0:
                self.plan = None
        return plan
