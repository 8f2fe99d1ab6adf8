"""
A small application that reports to Sentry with the real Python SDK, as a user's would.

Run as a child process by the end-to-end tests: argv[1] is the DSN, argv[2] "no-brotli" hides the
brotli module so the SDK falls back to gzip.  Prints the ids of what it sent as JSON.
"""

import json
import sys

if len(sys.argv) > 2 and sys.argv[2] == "no-brotli":
    sys.modules["brotli"] = None  # "import brotli" now raises ImportError

import sentry_sdk  # noqa: E402
from sentry_sdk.crons import capture_checkin  # noqa: E402
from sentry_sdk.crons.consts import MonitorStatus  # noqa: E402


def divide(a, b):
    return a / b


def main():
    sentry_sdk.init(dsn=sys.argv[1], release="myapp@1.0.0", environment="production",
                    traces_sample_rate=1.0, send_default_pii=True)
    sent = {"compression": sentry_sdk.get_client().transport._compression_algo}
    sentry_sdk.set_user({"id": "u1", "email": "u1@example.com"})
    try:
        divide(1, 0)
    except ZeroDivisionError as error:
        sent["exception"] = sentry_sdk.capture_exception(error)
    sent["message"] = sentry_sdk.capture_message("hello world", level="warning")
    with sentry_sdk.start_transaction(name="my-transaction", op="task") as transaction:
        with sentry_sdk.start_span(op="db", description="SELECT 1"):
            pass
        with sentry_sdk.start_span(op="http", description="GET /"):
            pass
    sent["transaction"] = transaction.trace_id
    with sentry_sdk.new_scope() as scope:
        scope.add_attachment(bytes=b"hello attachment", filename="note.txt")
        sent["attachment"] = sentry_sdk.capture_message("with attachment")
    sent["check_in"] = capture_checkin(monitor_slug="nightly-job", status=MonitorStatus.IN_PROGRESS)
    scope = sentry_sdk.get_isolation_scope()
    scope.start_session(session_mode="application")
    scope.end_session()
    sentry_sdk.flush(timeout=10)
    print(json.dumps(sent))


if __name__ == "__main__":
    main()
