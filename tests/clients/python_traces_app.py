"""
An application that traces with the real Python SDK, as a user's would: argv[1] is the DSN,
argv[2] how it sends traces (C{stream}: spans as they end, with C{trace_lifecycle="stream"};
C{static}: one transaction event).  It logs inside its spans (C{enable_logs}) and counts with a
metric.  Prints the trace id and what it sent as JSON.
"""

import json
import sys

import sentry_sdk


def main():
    stream = sys.argv[2] == "stream"
    sentry_sdk.init(dsn=sys.argv[1], release="shop@3.1", environment="staging",
                    traces_sample_rate=1.0, enable_logs=True,
                    trace_lifecycle="stream" if stream else "static")
    if stream:
        with sentry_sdk.traces.start_span(name="checkout", attributes={"cart.size": 3}) as root:
            with sentry_sdk.traces.start_span(name="SELECT * FROM carts",
                                              attributes={"sentry.op": "db.query"}):
                sentry_sdk.logger.info("cart {cart} loaded", cart="c-42")
            with sentry_sdk.traces.start_span(name="POST /charge",
                                              attributes={"sentry.op": "http.client"}):
                sentry_sdk.logger.error("charge declined for {cart}", cart="c-42")
        trace_id = root.trace_id
    else:
        with sentry_sdk.start_transaction(name="checkout", op="task") as root:
            with sentry_sdk.start_span(op="db.query", name="SELECT * FROM carts"):
                sentry_sdk.logger.info("cart {cart} loaded", cart="c-42")
            with sentry_sdk.start_span(op="http.client", name="POST /charge"):
                sentry_sdk.logger.error("charge declined for {cart}", cart="c-42")
        trace_id = root.trace_id
    sentry_sdk.metrics.count("checkouts", 1, attributes={"shop": "eu"})
    sentry_sdk.flush(timeout=10)
    print(json.dumps({"trace": trace_id}))


if __name__ == "__main__":
    main()
