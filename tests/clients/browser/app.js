// The script of a small shop page that reports to Sentry with the real @sentry/browser SDK,
// loaded as native ES modules (the page's import map points each package at its own ESM
// build; no bundler).
//
// Opened by the end-to-end tests as `/?dsn=<dsn>` on an origin of its own.  With tracing on
// and every other option left at its default, it loads a cart during the pageload, reports
// the card being declined (captured) and a broken receipt (thrown, uncaught), sends user
// feedback about the declined card, waits until the pageload span has ended and everything
// is sent, then shows the ids of what it sent in `window.__sent`.

import * as Sentry from "@sentry/browser";

const dsn = new URLSearchParams(window.location.search).get("dsn");

Sentry.init({
  dsn,
  release: "shop-web@3.1.0",
  environment: "preview",
  tracesSampleRate: 1.0,
  integrations: [Sentry.browserTracingIntegration()],
});

class PaymentDeclined extends Error {
  constructor(message) {
    super(message);
    this.name = "PaymentDeclined";
  }
}

function chargeCard(cart) {
  if (cart.total > cart.limit) {
    throw new PaymentDeclined(`card declined for cart ${cart.id}`);
  }
  return cart.total;
}

function checkout(cart) {
  return chargeCard(cart);
}

function submitOrder(cart) {
  try {
    checkout(cart);
  } catch (error) {
    return Sentry.captureException(error);
  }
  throw new Error("the order went through");
}

function renderReceipt(cart) {
  return cart.receipt.lines.length;
}

function ended(span) {
  return new Promise((resolve) => {
    Sentry.getClient().on("spanEnd", (finished) => {
      if (finished === span) {
        resolve();
      }
    });
  });
}

async function main() {
  const pageload = Sentry.getActiveSpan();
  const pageloadEnded = ended(pageload);
  const cart = await (await fetch("/api/cart.json")).json();
  const error = submitOrder(cart);
  window.setTimeout(() => renderReceipt(cart), 0);
  const feedback = Sentry.captureFeedback({
    message: "The card was declined although it has funds",
    name: "Ada Buyer",
    email: "ada@example.com",
    associatedEventId: error,
  });
  await pageloadEnded;
  const flushed = await Sentry.flush(10000);
  window.__sent = {
    error,
    feedback,
    flushed,
    trace: pageload.spanContext().traceId,
    pageload: pageload.spanContext().spanId,
    userAgent: navigator.userAgent,
  };
}

main().catch((failure) => {
  window.__failed = String((failure && failure.stack) || failure);
});
