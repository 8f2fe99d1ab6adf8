"""
The payloads of bench/lists.py, as sentry-sdk sends them, turned into templates.

    python bench/list_payloads.py TEMPLATES.json

A child process initializes the real sentry-sdk with a transport that keeps envelopes and
captures, inside a transaction, an exception raised in a small piece of "warehouse" code, a
message event, and the transaction itself.  Each payload becomes a template: the event id,
timestamps, the innermost function, the exception value and the message are placeholders that
bench/filled_server.py fills per stored event.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HOST = "127.0.0.1"
# What bench/filled_server.py replaces in the payload templates, per event.
EVENT_ID, TIMESTAMP, START_TIMESTAMP = "__EVENT_ID__", "__TIMESTAMP__", "__START_TIMESTAMP__"
SITE, VALUE, MESSAGE = "__SITE__", "__VALUE__", "__MESSAGE__"


class _Warehouse:
    """A small piece of application code for a realistic stack trace with local variables."""

    def __init__(self, code: str, stock: dict[str, int]) -> None:
        self.code = code
        self.stock = stock
        self.reserved: list[tuple[str, int]] = []

    def reserve(self, order: dict) -> list[tuple[str, int]]:
        for line in order["lines"]:
            self.reserved.append(self._reserve_line(order["id"], line))
        return self.reserved

    def _reserve_line(self, order_id: str, line: dict) -> tuple[str, int]:
        quantity = _parse_quantity(line["quantity"], sku=line["sku"])
        available = self.stock.get(line["sku"], 0)
        if quantity > available:
            raise LookupError(f"{line['sku']}: {available} left, {quantity} wanted for {order_id}")
        self.stock[line["sku"]] = available - quantity
        return line["sku"], quantity


def _parse_quantity(raw: str, sku: str) -> int:
    cleaned = raw.strip()
    return int(cleaned)


def _order_failure(sdk) -> None:
    warehouse = _Warehouse("AMS-1", {"A-100": 12, "B-200": 3, "C-300": 40})
    try:
        warehouse.reserve({"id": "ord_5521", "customer": "cus_8812",
                           "lines": [{"sku": "A-100", "quantity": "2"},
                                     {"sku": "B-200", "quantity": "two"}]})
    except ValueError as error:
        sdk.capture_exception(error)


def _template(payload: dict, this_file: str) -> dict:
    """Turn a captured payload into a template with the placeholders filled_server.py fills."""
    payload["event_id"] = EVENT_ID
    payload["timestamp"] = TIMESTAMP
    if payload.get("type") == "transaction":
        payload["start_timestamp"] = START_TIMESTAMP
    if isinstance(payload.get("extra"), dict) and "sys.argv" in payload["extra"]:
        payload["extra"]["sys.argv"] = ["shop/server.py"]
    for value in (payload.get("exception") or {}).get("values", []):
        frames = value["stacktrace"]["frames"]
        for frame in frames:
            if frame.get("abs_path") == this_file or frame.get("module") == "__main__":
                frame.update(module="shop.fulfilment", filename="shop/fulfilment.py",
                             abs_path="/srv/shop/shop/fulfilment.py", in_app=True)
        frames[-1]["function"] = SITE
        value["value"] = VALUE
    if "message" in payload:
        payload["message"] = MESSAGE
    return payload


def write_payloads(path: str) -> None:
    """
    Capture an exception event, a message event and a transaction with the real sentry-sdk and
    write them to C{path} as templates (JSON: kind -> payload text with placeholders).
    """
    import sentry_sdk
    from sentry_sdk.transport import Transport

    captured = []

    class CapturingTransport(Transport):
        def capture_envelope(self, envelope):  # what HttpTransport would compress and POST
            captured.append(envelope)

        def flush(self, timeout, callback=None):
            pass

    sentry_sdk.init(
        dsn=f"http://parlel@{HOST}:9/1", transport=CapturingTransport, traces_sample_rate=1.0,
        release="shop@2.4.1", environment="benchmark", server_name="bench-host",
    )
    sentry_sdk.set_user({"id": "42", "email": "jane@example.com", "username": "jane"})
    sentry_sdk.set_tag("order.channel", "web")
    sentry_sdk.set_tag("warehouse", "AMS-1")
    sentry_sdk.add_breadcrumb(category="http", type="http", level="info",
                              data={"method": "GET", "url": "https://shop.example/cart",
                                    "status_code": 200})
    sentry_sdk.add_breadcrumb(category="query", level="info",
                              message="SELECT sku, quantity FROM cart_lines WHERE cart_id = %s")
    sentry_sdk.add_breadcrumb(category="cart", level="info", message="customer opened checkout")
    with sentry_sdk.start_transaction(op="http.server", name="/orders/") as transaction:
        with transaction.start_child(op="db", name="SELECT * FROM stock WHERE sku IN %s"):
            pass
        with transaction.start_child(op="http.client", name="POST https://pay.example/"):
            pass
        _order_failure(sentry_sdk)
        sentry_sdk.capture_message("Inventory sync fell behind", level="warning")
    sentry_sdk.flush()
    found: dict[str, dict] = {}
    for envelope in captured:
        for item in envelope.items:
            if item.type not in ("event", "transaction"):
                continue
            payload = json.loads(item.get_bytes())
            kind = ("transaction" if item.type == "transaction"
                    else "error" if "exception" in payload else "message")
            found.setdefault(kind, payload)
    if set(found) != {"error", "message", "transaction"}:
        raise SystemExit(f"sentry-sdk produced {sorted(found)}, not an error, a message and a "
                         f"transaction")
    this_file = str(Path(__file__).resolve())
    templates = {kind: json.dumps(_template(payload, this_file), separators=(",", ":"))
                 for kind, payload in found.items()}
    for kind, needles in (("error", (SITE, VALUE)), ("message", (MESSAGE,)),
                          ("transaction", (f'"{START_TIMESTAMP}"',))):
        for needle in (EVENT_ID, f'"{TIMESTAMP}"') + needles:
            if templates[kind].count(needle) != 1:
                raise SystemExit(f"the {kind} template has {needle} "
                                 f"{templates[kind].count(needle)} times, not once")
    Path(path).write_text(json.dumps(templates))


def make_templates(workdir: Path) -> tuple[Path, dict[str, int]]:
    """
    Capture the payloads in a child process (the SDK's integrations patch http.client,
    threading, logging...: they stay out of the caller); return the templates' path and sizes.
    """
    path = workdir / "templates.json"
    subprocess.run([sys.executable, str(Path(__file__).resolve()), str(path)],
                   check=True, timeout=120)
    templates = json.loads(path.read_text())
    return path, {kind: len(text.encode()) for kind, text in templates.items()}


if __name__ == "__main__":
    write_payloads(sys.argv[1])
