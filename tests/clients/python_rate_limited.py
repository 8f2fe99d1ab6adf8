"""
An application whose Sentry is rate limiting it: argv[1] is the DSN.  It captures errors while
the server answers 429, then flushes, so the SDK reports what it dropped.
"""

import json
import sys

import sentry_sdk


def main():
    sentry_sdk.init(dsn=sys.argv[1], release="limited@1.0")
    sent = [sentry_sdk.capture_message(f"attempt {n}", level="error") for n in range(3)]
    sentry_sdk.flush(timeout=10)
    sentry_sdk.get_client().close(timeout=10)
    print(json.dumps(sent))


if __name__ == "__main__":
    main()
