-- wrk script for bench/ingest.py: POST a real sentry-sdk envelope with a fresh event_id each time.
--
--   wrk -s bench/post_envelope.lua URL -- BODY_FILE TEMPLATE_EVENT_ID NONCE
--
-- BODY_FILE holds the envelope exactly as the SDK serialized it; every occurrence of
-- TEMPLATE_EVENT_ID (32 hex: in the envelope header and in the event payload) is replaced by the
-- same new id on every request.  The new id is NONCE (16 random hex chars, fresh for each wrk
-- invocation) .. the wrk thread number (4 hex) .. a per-thread request counter (12 hex), so it is
-- a valid 32-hex event id that the server has never seen, with no chance of a collision.
--
-- Every response's status is counted (response hook); done() prints one line
--   WRK_RESULT {json}
-- with the totals, socket errors, latency percentiles in microseconds and the status histogram.

local threads = {}
local thread_count = 0

function setup(thread)
   thread:set("thread_number", thread_count)
   thread_count = thread_count + 1
   table.insert(threads, thread)
end

local parts = nil
local prefix = nil
local counter = 0
statuses = {}

local function split(text, separator)
   local pieces = {}
   local start = 1
   while true do
      local first, last = string.find(text, separator, start, true)
      if not first then
         table.insert(pieces, string.sub(text, start))
         return pieces
      end
      table.insert(pieces, string.sub(text, start, first - 1))
      start = last + 1
   end
end

function init(args)
   local path, template, nonce = args[1], args[2], args[3]
   assert(path and template and nonce, "usage: -- BODY_FILE TEMPLATE_EVENT_ID NONCE")
   assert(string.match(template, "^%x+$") and #template == 32, "TEMPLATE_EVENT_ID: 32 hex")
   assert(string.match(nonce, "^%x+$") and #nonce == 16, "NONCE: 16 hex")
   local file = assert(io.open(path, "rb"))
   local body = file:read("*a")
   file:close()
   parts = split(body, template)
   assert(#parts >= 3, "the body must contain the event id at least twice")
   prefix = string.lower(nonce) .. string.format("%04x", (thread_number or 0) % 65536)
   wrk.method = "POST"
   wrk.headers["Content-Type"] = "application/x-sentry-envelope"
   wrk.headers["X-Sentry-Auth"] =
      "Sentry sentry_key=parlel, sentry_version=7, sentry_client=sentry.python/2.75.0"
end

function request()
   counter = counter + 1
   local id = prefix .. string.format("%012x", counter)
   return wrk.format(nil, nil, nil, table.concat(parts, id))
end

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
   local histogram = {}
   for _, thread in ipairs(threads) do
      local counts = thread:get("statuses") or {}
      for status, count in pairs(counts) do
         histogram[status] = (histogram[status] or 0) + count
      end
   end
   local status_parts = {}
   for status, count in pairs(histogram) do
      table.insert(status_parts, string.format('"%d":%d', status, count))
   end
   local errors = summary.errors
   io.write(string.format(
      'WRK_RESULT {"duration_us":%d,"requests":%d,"bytes":%d,' ..
      '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
      '"latency_us":{"min":%d,"mean":%.1f,"max":%d,"p50":%d,"p90":%d,"p99":%d},' ..
      '"statuses":{%s}}\n',
      summary.duration, summary.requests, summary.bytes,
      errors.connect, errors.read, errors.write, errors.status, errors.timeout,
      latency.min, latency.mean, latency.max,
      latency:percentile(50), latency:percentile(90), latency:percentile(99),
      table.concat(status_parts, ",")))
end
