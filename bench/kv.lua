-- wrk script for kv-cache and its reference peers: the standard workload of 10,000 UUID keys and 256-character
-- values drawn from printable ASCII (quotes, backslashes, tabs, newlines, < > & included).
--   BENCH_MODE  get | put | mixed | preload   (preload: puts the keys in order from BENCH_OFFSET, cycling)
--   BENCH_KEYS  number of keys (10000)        BENCH_PUT_RATIO  share of puts in mixed (0.5)
--   BENCH_TOKEN when set, every request carries "Authorization: Bearer <BENCH_TOKEN>" (kvcache.auth.token);
--               unset or empty, the requests are byte for byte what they were without it
--   BENCH_RATE  when set, paces the load at this many requests/s in all (an open model: each request has a
--               send time on a fixed schedule, and a connection waits for the next free one; BENCH_THREADS
--               must then be wrk's -t, 1 by default), and counts answers by status: done() adds a line
--               "STATUS <connect> <read> <write> <timeout> <non-2xx> <404> <p99.9 us> <max us>". Unset, no
--               pacing and no counting: wrk runs exactly as before.
-- All requests are built once in init(), so wrk spends its time on the wire, not in Lua.
local mode = os.getenv("BENCH_MODE") or "mixed"
local key_count = tonumber(os.getenv("BENCH_KEYS") or "10000")
local put_ratio = tonumber(os.getenv("BENCH_PUT_RATIO") or "0.5")
local token = os.getenv("BENCH_TOKEN")
if token == "" then token = nil end
local rate = tonumber(os.getenv("BENCH_RATE") or "")
if rate ~= nil and rate <= 0 then rate = nil end

local alphabet = {}
for c = 32, 126 do alphabet[#alphabet + 1] = string.char(c) end
alphabet[#alphabet + 1] = "\t"
alphabet[#alphabet + 1] = "\n"

local function json_string(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    if c == '"' then return '\\"' elseif c == '\\' then return '\\\\' end
    return string.format("\\u%04x", c:byte())
  end) .. '"'
end

local function uuid()
  return (string.gsub("xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx", "[xy]", function(c)
    local v = (c == "x") and math.random(0, 15) or math.random(8, 11)
    return string.format("%x", v)
  end))
end

local gets, puts = {}, {}
local next_preload = tonumber(os.getenv("BENCH_OFFSET") or "0")

function init(args)
  math.randomseed(42) -- the same keys in every run and every process
  local values = {}
  for v = 1, 100 do
    local chars = {}
    for i = 1, 256 do chars[i] = alphabet[math.random(#alphabet)] end
    values[v] = table.concat(chars)
  end
  local json = { ["Content-Type"] = "application/json" }
  local get_headers = nil -- wrk's defaults, as before
  if token then
    json["Authorization"] = "Bearer " .. token
    get_headers = { ["Authorization"] = "Bearer " .. token }
  end
  for k = 1, key_count do
    local key = uuid()
    gets[k] = wrk.format("GET", "/get?key=" .. key, get_headers)
    local body = '{"key":' .. json_string(key) .. ',"value":' .. json_string(values[(k % #values) + 1]) .. '}'
    puts[k] = wrk.format("POST", "/put", json, body)
  end
  math.randomseed(os.time())
end

function request()
  if mode == "preload" then
    next_preload = next_preload % key_count + 1
    return puts[next_preload]
  end
  local k = math.random(key_count)
  if mode == "get" or (mode == "mixed" and math.random() >= put_ratio) then
    return gets[k]
  end
  return puts[k]
end

if rate then
  -- Milliseconds on the monotonic clock, through LuaJIT's FFI (wrk embeds LuaJIT; Lua's os.clock is CPU time).
  local ffi = require("ffi")
  ffi.cdef[[
    typedef struct { long tv_sec; long tv_nsec; } kv_timespec;
    int clock_gettime(int clock_id, kv_timespec *tp);
  ]]
  local ts = ffi.new("kv_timespec")
  local function now_ms()
    ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
    return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
  end
  local interval = 1000 * tonumber(os.getenv("BENCH_THREADS") or "1") / rate -- this thread's share
  local next_due = nil

  -- Called before every request but each connection's first: wait until this thread's next send time.
  -- A schedule more than a second behind (the server stalled) restarts from now rather than bursting.
  function delay()
    local now = now_ms()
    if next_due == nil or now - next_due > 1000 then next_due = now end
    local due = next_due
    next_due = next_due + interval
    local wait = due - now
    return wait > 0 and math.floor(wait + 0.5) or 0
  end

  non2xx, misses = 0, 0
  function response(status, headers, body)
    if status < 200 or status > 299 then
      non2xx = non2xx + 1
      if status == 404 then misses = misses + 1 end
    end
  end

  local threads = {}
  function setup(thread)
    threads[#threads + 1] = thread
  end

  statuses = function(summary, latency)
    local n, m = 0, 0
    for _, thread in ipairs(threads) do
      n = n + (thread:get("non2xx") or 0)
      m = m + (thread:get("misses") or 0)
    end
    io.write(string.format("STATUS %d %d %d %d %d %d %d %d\n", summary.errors.connect, summary.errors.read,
        summary.errors.write, summary.errors.timeout, n, m, latency:percentile(99.9), latency.max))
  end
end

-- One machine-readable line for bench.sh: requests/s, p50 and p99 in microseconds, errors (socket errors,
-- timeouts and non-2xx answers; after the preload a 404 is a miss and counts).
function done(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.timeout + summary.errors.status
  io.write(string.format("RESULT %.0f %d %d %d %d\n", summary.requests / (summary.duration / 1e6),
      latency:percentile(50), latency:percentile(99), errors, summary.requests))
  if statuses then statuses(summary, latency) end
end
