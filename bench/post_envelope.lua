-- wrk script for bench/ingest.py: POST a real sentry-sdk envelope with a fresh event_id each time.
--
--   wrk -s bench/post_envelope.lua URL -- BODY_FILE TEMPLATE_EVENT_ID NONCE [TEMPLATE_TRACE_ID
--                                          [TEMPLATE_SPAN_ID...]]
--
-- BODY_FILE holds the envelope exactly as the SDK serialized it; every occurrence of
-- TEMPLATE_EVENT_ID (32 hex: in the envelope header and in the event payload) is replaced by the
-- same new id on every request.  The new id is NONCE (16 random hex chars, fresh for each wrk
-- invocation) .. the wrk thread number (4 hex) .. a per-thread request counter (12 hex), so it is
-- a valid 32-hex event id that the server has never seen, with no chance of a collision.
--
-- A transaction's envelope also names its trace and spans: every occurrence of TEMPLATE_TRACE_ID
-- (32 hex) becomes the reversed NONCE .. the thread (4 hex) .. the counter (12 hex), a new trace
-- per request, and every occurrence of the k-th TEMPLATE_SPAN_ID (16 hex, the segment's and
-- each child's, as span and as parent) becomes k (4 hex) .. the counter (12 hex), unique within
-- the trace.
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

local pieces = nil   -- the body's literal pieces, around the ids
local slots = nil    -- which id goes between piece i and piece i + 1
local prefixes = nil -- per id: the hex that goes before the counter
local counter = 0
statuses = {}

-- The body as literal pieces and, between them, the index of the template found there.
local function tokenize(text, templates)
   local found_pieces, found_slots = {}, {}
   local start = 1
   while true do
      local first, last, which = nil, nil, nil
      for index, template in ipairs(templates) do
         local f, l = string.find(text, template, start, true)
         if f and (not first or f < first) then
            first, last, which = f, l, index
         end
      end
      if not first then
         table.insert(found_pieces, string.sub(text, start))
         return found_pieces, found_slots
      end
      table.insert(found_pieces, string.sub(text, start, first - 1))
      table.insert(found_slots, which)
      start = last + 1
   end
end

function init(args)
   local path, template, nonce = args[1], args[2], args[3]
   assert(path and template and nonce,
          "usage: -- BODY_FILE TEMPLATE_EVENT_ID NONCE [TEMPLATE_TRACE_ID [TEMPLATE_SPAN_ID...]]")
   assert(string.match(template, "^%x+$") and #template == 32, "TEMPLATE_EVENT_ID: 32 hex")
   assert(string.match(nonce, "^%x+$") and #nonce == 16, "NONCE: 16 hex")
   local file = assert(io.open(path, "rb"))
   local body = file:read("*a")
   file:close()
   nonce = string.lower(nonce)
   local thread = string.format("%04x", (thread_number or 0) % 65536)
   local templates = {template}
   prefixes = {nonce .. thread}
   if args[4] then
      assert(string.match(args[4], "^%x+$") and #args[4] == 32, "TEMPLATE_TRACE_ID: 32 hex")
      table.insert(templates, args[4])
      table.insert(prefixes, string.reverse(nonce) .. thread)
   end
   for index = 5, #args do
      assert(string.match(args[index], "^%x+$") and #args[index] == 16, "TEMPLATE_SPAN_ID: 16 hex")
      table.insert(templates, args[index])
      table.insert(prefixes, string.format("%04x", index - 5))
   end
   pieces, slots = tokenize(body, templates)
   local seen = {}
   for _, which in ipairs(slots) do
      seen[which] = (seen[which] or 0) + 1
   end
   assert((seen[1] or 0) >= 2, "the body must contain the event id at least twice")
   for index = 2, #templates do
      assert(seen[index], "the body must contain every trace and span id it is given")
   end
   wrk.method = "POST"
   wrk.headers["Content-Type"] = "application/x-sentry-envelope"
   wrk.headers["X-Sentry-Auth"] =
      "Sentry sentry_key=parlel, sentry_version=7, sentry_client=sentry.python/2.75.0"
end

function request()
   counter = counter + 1
   local suffix = string.format("%012x", counter)
   local out = {pieces[1]}
   for index, which in ipairs(slots) do
      out[#out + 1] = prefixes[which] .. suffix
      out[#out + 1] = pieces[index + 1]
   end
   return wrk.format(nil, nil, nil, table.concat(out))
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
