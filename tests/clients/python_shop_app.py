"""
A small shop that reports to Sentry with the real Python SDK, as a user's application would: a
failed checkout (with its breadcrumbs, tags, user, release and a log file attached), a declined
payment (a message with the stack of where it was captured), the checkout's transaction, and the
nightly job's cron check-ins.

Run as a child process by the end-to-end tests: argv[1] is the DSN, argv[2] (optional) the CA
file an https DSN's certificate is checked against.  Prints the ids of what it sent as JSON.
"""

import json
import sys

import sentry_sdk
from sentry_sdk.crons import capture_checkin
from sentry_sdk.crons.consts import MonitorStatus

NIGHTLY = {"schedule": {"type": "crontab", "value": "0 3 * * *"}, "checkin_margin": 5,
           "max_runtime": 30, "timezone": "UTC"}


def parse_quantity(raw):
    return int(raw)


def checkout(sent):
    with sentry_sdk.start_transaction(name="checkout", op="task") as transaction:
        sentry_sdk.add_breadcrumb(category="cart", message="cart loaded with 3 items",
                                  level="info")
        sentry_sdk.logger.warning("quantity {raw} is not a number", raw="two")
        with sentry_sdk.start_span(op="db.query", description="SELECT * FROM carts"):
            pass
        try:
            parse_quantity("two")
        except ValueError as error:
            with sentry_sdk.new_scope() as scope:
                scope.add_attachment(bytes=b"quantity=two\n", filename="checkout.log",
                                     content_type="text/plain")
                sent["exception"] = sentry_sdk.capture_exception(error)
    sent["trace"] = transaction.trace_id


def main():
    sentry_sdk.init(dsn=sys.argv[1], release="shop@2.4.1", environment="production",
                    traces_sample_rate=1.0, attach_stacktrace=True, enable_logs=True,
                    ca_certs=sys.argv[2] if len(sys.argv) > 2 else None)
    sent = {}
    sentry_sdk.set_user({"id": "42", "email": "jane@example.com"})
    sentry_sdk.set_tag("tenant", "acme")
    checkout(sent)
    sent["message"] = sentry_sdk.capture_message("payment declined by issuer", level="warning")
    started = capture_checkin(monitor_slug="nightly-export", status=MonitorStatus.IN_PROGRESS,
                              monitor_config=NIGHTLY)
    capture_checkin(monitor_slug="nightly-export", check_in_id=started,
                    status=MonitorStatus.OK, duration=2.5)
    sent["check_in"] = started
    sentry_sdk.flush(timeout=10)
    print(json.dumps(sent))


if __name__ == "__main__":
    main()
