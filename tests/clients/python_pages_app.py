"""
What the pages are shown with: the real Python SDK reporting, as an application would.

    python python_pages_app.py MODE TARGET

MODE is one of:

- C{shop}: TARGET is a DSN.  A checkout fails with a chained exception (local variables,
  breadcrumbs, an HTTP request, a user, tags and a context), a payment is declined (a warning
  message), a job fails a few times (another issue), and a monitor checks in.
- C{hostile}: TARGET is a DSN.  One error whose message, tags, user, breadcrumbs, request and
  stack frames all carry markup and quotes, as an attacker's input would.
- C{spotlight}: TARGET is a Spotlight sidecar URL (C{http://.../stream}); no DSN at all, so
  the SDK sends only to Spotlight, as with C{spotlight=True} in development.
- C{one}: TARGET is a DSN.  One more error of the checkout issue (for live updates).

Prints the ids of what it sent as JSON.
"""

import json
import sys

import sentry_sdk
from sentry_sdk.crons import capture_checkin
from sentry_sdk.crons.consts import MonitorStatus

HOSTILE = "<script>window.__pwned=1</script>\"quoted\" 'single' <img src=x onerror=window.__pwned=2>"
REQUEST = {"method": "POST", "url": "https://shop.example.com/checkout?step=pay",
           "query_string": "step=pay", "headers": {"User-Agent": "Mozilla/5.0", "Accept": "*/*"},
           "data": {"cart": "c_1881", "coupon": "SPRING"}}


class CheckoutError(Exception):
    pass


class Cart:
    def __init__(self, lines):
        self.lines = lines

    def total(self, prices):
        amount = 0
        for line in self.lines:
            amount += prices[line["sku"]] * line["quantity"]
        return amount


def checkout(cart_id, lines):
    cart = Cart(lines)
    prices = {"A-100": 1200, "B-200": 450}
    try:
        return cart.total(prices)
    except KeyError as missing:
        raise CheckoutError(f"no price for {missing} in cart {cart_id}") from missing


def with_request(event, hint):
    event.setdefault("request", REQUEST)
    return event


def shop(dsn):
    sentry_sdk.init(dsn=dsn, release="shop@2.4.1", environment="production",
                    traces_sample_rate=1.0, send_default_pii=True, before_send=with_request)
    sent = {}
    sentry_sdk.set_user({"id": "42", "email": "jane@example.com", "username": "jane"})
    sentry_sdk.set_tag("tenant", "acme")
    sentry_sdk.set_context("order", {"id": "ord_5521", "items": 3, "currency": "EUR"})
    sentry_sdk.add_breadcrumb(category="navigation", type="navigation",
                              data={"from": "/cart", "to": "/checkout"})
    sentry_sdk.add_breadcrumb(category="http", type="http", message="GET /api/prices",
                              data={"status_code": 200, "method": "GET"})
    sentry_sdk.add_breadcrumb(category="query", type="query",
                              message="SELECT * FROM carts WHERE id = %s", level="info")
    with sentry_sdk.start_transaction(name="POST /checkout", op="http.server"):
        try:
            checkout("c_1881", [{"sku": "A-100", "quantity": 2}, {"sku": "Z-999", "quantity": 1}])
        except CheckoutError as error:
            sent["exception"] = sentry_sdk.capture_exception(error)
    sent["message"] = sentry_sdk.capture_message("payment declined by issuer", level="warning")
    sent["jobs"] = []
    for attempt in range(3):
        try:
            {"attempt": attempt}["retries"] / 0
        except KeyError as error:
            sent["jobs"].append(sentry_sdk.capture_exception(error))
    started = capture_checkin(monitor_slug="nightly-export", status=MonitorStatus.IN_PROGRESS,
                              monitor_config={"schedule": {"type": "crontab", "value": "0 3 * * *"},
                                              "checkin_margin": 5, "max_runtime": 30,
                                              "timezone": "UTC"})
    capture_checkin(monitor_slug="nightly-export", check_in_id=started, status=MonitorStatus.OK,
                    duration=2.5)
    capture_checkin(monitor_slug="nightly-export", status=MonitorStatus.ERROR, duration=4.0)
    sent["check_in"] = started
    return sent


def hostile_event(event, hint):
    event["request"] = dict(REQUEST, url=f"https://shop.example.com/?q={HOSTILE}",
                            headers={"X-Evil": HOSTILE})
    for value in event.get("exception", {}).get("values", []):
        for frame in value.get("stacktrace", {}).get("frames", []):
            if frame.get("function") == "explode":
                frame["function"] = f"explode{HOSTILE}"
                frame["context_line"] = f"    raise ValueError()  # {HOSTILE}"
                frame["vars"] = {"payload": HOSTILE}
    return event


def explode():
    raise ValueError(HOSTILE)


def hostile(dsn):
    sentry_sdk.init(dsn=dsn, release="shop@2.4.1", before_send=hostile_event)
    sentry_sdk.set_user({"id": "7", "email": HOSTILE})
    sentry_sdk.set_tag("evil", HOSTILE)
    sentry_sdk.add_breadcrumb(category="ui.click", message=HOSTILE, data={"html": HOSTILE})
    try:
        explode()
    except ValueError as error:
        return {"exception": sentry_sdk.capture_exception(error)}


def spotlight(url):
    sentry_sdk.init(spotlight=url, release="shop@2.4.1")
    try:
        checkout("c_2000", [{"sku": "Q-1", "quantity": 1}])
    except CheckoutError as error:
        return {"exception": sentry_sdk.capture_exception(error)}


def one(dsn):
    sentry_sdk.init(dsn=dsn, release="shop@2.4.2", environment="production",
                    before_send=with_request)
    try:
        checkout("c_3000", [{"sku": "Z-999", "quantity": 5}])
    except CheckoutError as error:
        return {"exception": sentry_sdk.capture_exception(error)}


def main():
    mode, target = sys.argv[1], sys.argv[2]
    sent = {"shop": shop, "hostile": hostile, "spotlight": spotlight, "one": one}[mode](target)
    sentry_sdk.flush(timeout=10)
    print(json.dumps(sent))


if __name__ == "__main__":
    main()
