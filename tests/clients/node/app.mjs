// A small application that reports to Sentry with the real @sentry/node SDK, as a user's would.
//
// Run as a child process by the end-to-end tests: `node app.mjs <dsn>`.  It reports an error
// twice from one call site and once from another, a message, a tree of spans and a cron
// check-in, waits until everything is sent and prints the ids of what it sent as JSON.

import * as Sentry from "@sentry/node";

class PaymentDeclined extends Error {
  constructor(message) {
    super(message);
    this.name = "PaymentDeclined";
  }
}

function chargeCard(amount) {
  if (amount > 0) {
    throw new PaymentDeclined("card declined by issuer");
  }
  return amount;
}

function checkout(amount) {
  return chargeCard(amount);
}

function refund(amount) {
  return chargeCard(amount);
}

function captureFrom(operation, amount) {
  try {
    operation(amount);
  } catch (error) {
    return Sentry.captureException(error);
  }
  throw new Error("the operation did not throw");
}

async function runSpanTree() {
  return Sentry.startSpan({ name: "process-order", op: "task" }, async (root) => {
    await Sentry.startSpan({ name: "load cart", op: "db.query" }, async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
    });
    Sentry.startSpan({ name: "charge card", op: "http.client" }, () => {
      Sentry.startSpan({ name: "fraud check", op: "function" }, () => {});
    });
    return root.spanContext().traceId;
  });
}

async function main() {
  const dsn = process.argv[2];
  if (!dsn) {
    throw new Error("usage: node app.mjs <dsn>");
  }
  Sentry.init({
    dsn,
    release: "node-app@2.0.0",
    environment: "staging",
    tracesSampleRate: 1.0,
    sendDefaultPii: true,
  });
  Sentry.setUser({ id: "n1", email: "n1@example.com" });
  Sentry.setTag("tenant", "acme");

  const sent = {};
  // The same error from the same call site, twice: one issue.
  sent.exception = [captureFrom(checkout, 10), captureFrom(checkout, 10)];
  // The same error from another call site: another issue.
  sent.other_call_site = captureFrom(refund, 5);
  sent.message = Sentry.captureMessage("inventory sync finished late", "warning");
  sent.trace = await runSpanTree();
  sent.check_in = Sentry.captureCheckIn({ monitorSlug: "nightly-sync", status: "in_progress" });
  sent.check_in_closed = Sentry.captureCheckIn({
    checkInId: sent.check_in,
    monitorSlug: "nightly-sync",
    status: "ok",
    duration: 1.5,
  });
  sent.flushed = await Sentry.flush(10000);
  process.stdout.write(JSON.stringify(sent) + "\n");
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
