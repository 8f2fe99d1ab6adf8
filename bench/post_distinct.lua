-- wrk script for bench/soak.py: POST a message event that is a new issue every time.
--
--   wrk -s bench/post_distinct.lua URL -- NONCE
--
-- Every request carries a fresh event id and a message whose last word is made of letters
-- only (grouping folds digits in messages, not letters), different for every request, so
-- each event opens its own issue. NONCE (16 hex chars) keeps runs apart.

local counter = 0
local prefix = nil
local word_prefix = nil
statuses = {}
local threads = {}
local thread_count = 0

function setup(thread)
   thread:set("thread_number", thread_count)
   thread_count = thread_count + 1
   table.insert(threads, thread)
end

local function letters(number)
   local word = ""
   repeat
      word = string.char(97 + number % 26) .. word
      number = math.floor(number / 26)
   until number == 0
   return word
end

function init(args)
   local nonce = args[1]
   assert(nonce and string.match(nonce, "^%x+$") and #nonce == 16, "usage: -- NONCE (16 hex)")
   prefix = string.lower(nonce) .. string.format("%04x", (thread_number or 0) % 65536)
   word_prefix = letters(tonumber(string.sub(nonce, 1, 6), 16)) .. letters(thread_number or 0)
   wrk.method = "POST"
   wrk.headers["Content-Type"] = "application/x-sentry-envelope"
   wrk.headers["X-Sentry-Auth"] = "Sentry sentry_key=parlel, sentry_version=7"
end

function request()
   counter = counter + 1
   local id = prefix .. string.format("%012x", counter)
   local payload = string.format(
      '{"event_id":"%s","level":"error","platform":"python","message":"soak %s %s",'
      .. '"release":"soak@1.0","environment":"soak"}', id, word_prefix, letters(counter))
   local body = string.format('{"event_id":"%s"}\n{"type":"event","length":%d}\n%s\n',
                              id, #payload, payload)
   return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
   local total = 0
   for _, thread in ipairs(threads) do
      local counts = thread:get("statuses") or {}
      for status, count in pairs(counts) do
         if status >= 200 and status < 300 then total = total + count end
      end
   end
   io.write(string.format("SOAK_RESULT {\"ok_2xx\":%d,\"requests\":%d}\n", total,
                          summary.requests))
end
