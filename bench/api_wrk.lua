-- wrk script for bench/api.py (one file, three loads chosen by the arguments after "--"):
--
--   wrk ... -s bench/api_wrk.lua URL -- track   PREFIX USERS_FILE
--   wrk ... -s bench/api_wrk.lua URL -- batch   PREFIX USERS_FILE BATCH_SIZE
--   wrk ... -s bench/api_wrk.lua URL -- profile IDS_FILE
--
-- track/batch: every message gets its own messageId, PREFIX-THREAD-N (wrk threads each run
-- their own Lua state, hence the thread number), for a user id drawn from USERS_FILE.
-- profile: GET /v1/profiles/TYPE:VALUE with a random line of IDS_FILE (already URL-encoded).
-- done() prints one "BENCH {json}" line that bench/api.py parses; "sent" counts requests
-- written and "ok" the 200 responses, so requests still in flight when wrk stopped are
-- sent - ok (the server may have stored those: wrk never saw their answer).

local threads = {}
local next_id = 1

function setup(thread)
   thread:set("tid", next_id)
   next_id = next_id + 1
   table.insert(threads, thread)
end

local mode, prefix, values, nvalues, batch_size
sent, ok, bad = 0, 0, 0
first_error = nil

local function read_lines(path)
   local out = {}
   for line in io.lines(path) do
      if #line > 0 then out[#out + 1] = line end
   end
   return out
end

function init(args)
   mode = args[1]
   if mode == "profile" then
      values = read_lines(args[2])
   else
      prefix = args[2]
      values = read_lines(args[3])
      batch_size = tonumber(args[4] or "1")
   end
   nvalues = #values
   math.randomseed(os.time() * 1000 + tid)
end

-- A typical server-side Segment track call (~600 bytes), as analytics-python sends it.
local TEMPLATE = '{%s"userId":"%s","event":"Product Viewed","messageId":"%s-%d-%d",'
   .. '"timestamp":"%s","properties":{"product_id":"SKU-%05d","category":"Outdoor",'
   .. '"name":"Trail Running Shoe","price":%d.99,"currency":"USD","quantity":1},'
   .. '"context":{"library":{"name":"analytics-python","version":"2.3.3"},'
   .. '"ip":"203.0.113.%d","userAgent":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 '
   .. '(KHTML, like Gecko) Chrome/124.0 Safari/537.36","page":{"path":"/products/%05d",'
   .. '"url":"https://shop.example.com/products/%05d"}}}'

local function message(n, now, typed)
   local product = n % 5000
   return string.format(TEMPLATE, typed and '"type":"track",' or "",
      values[math.random(nvalues)], prefix, tid, n, now, product, 9 + n % 90, n % 250,
      product, product)
end

function request()
   sent = sent + 1
   if mode == "profile" then
      return wrk.format("GET", "/v1/profiles/" .. values[math.random(nvalues)])
   end
   local now = os.date("!%Y-%m-%dT%H:%M:%S.000Z")
   if mode == "track" then
      return wrk.format("POST", "/v1/track", nil, message(sent, now, false))
   end
   local parts = {}
   local base = (sent - 1) * batch_size
   for i = 1, batch_size do
      parts[i] = message(base + i, now, true)
   end
   return wrk.format("POST", "/v1/batch", nil, '{"batch":[' .. table.concat(parts, ",") .. "]}")
end

function response(status, headers, body)
   if status == 200 then
      ok = ok + 1
   else
      bad = bad + 1
      if first_error == nil then first_error = status .. " " .. string.sub(body, 1, 300) end
   end
end

function done(summary, latency, requests)
   local total_sent, total_ok, total_bad, err = 0, 0, 0, nil
   for _, t in ipairs(threads) do
      total_sent = total_sent + t:get("sent")
      total_ok = total_ok + t:get("ok")
      total_bad = total_bad + t:get("bad")
      err = err or t:get("first_error")
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH {"duration_us":%d,"requests":%d,"sent":%d,"ok":%d,"bad":%d,'
      .. '"errors_connect":%d,"errors_read":%d,"errors_write":%d,"errors_status":%d,'
      .. '"errors_timeout":%d,"mean_us":%.1f,"max_us":%d,"p50_us":%d,"p90_us":%d,'
      .. '"p95_us":%d,"p99_us":%d}\n',
      summary.duration, summary.requests, total_sent, total_ok, total_bad,
      e.connect, e.read, e.write, e.status, e.timeout, latency.mean, latency.max,
      latency:percentile(50), latency:percentile(90), latency:percentile(95),
      latency:percentile(99)))
   if err then io.write("BENCH_ERROR " .. string.gsub(err, "\n", " ") .. "\n") end
end
