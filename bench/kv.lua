-- wrk script for kv-cache and its reference peers: the standard workload of 10,000 UUID keys and 256-character
-- values drawn from printable ASCII (quotes, backslashes, tabs, newlines, < > & included).
--   BENCH_MODE  get | put | mixed | preload   (preload: puts the keys in order from BENCH_OFFSET, cycling)
--   BENCH_KEYS  number of keys (10000)        BENCH_PUT_RATIO  share of puts in mixed (0.5)
--   BENCH_TOKEN when set, every request carries "Authorization: Bearer <BENCH_TOKEN>" (kvcache.auth.token);
--               unset or empty, the requests are byte for byte what they were without it
-- All requests are built once in init(), so wrk spends its time on the wire, not in Lua.
local mode = os.getenv("BENCH_MODE") or "mixed"
local key_count = tonumber(os.getenv("BENCH_KEYS") or "10000")
local put_ratio = tonumber(os.getenv("BENCH_PUT_RATIO") or "0.5")
local token = os.getenv("BENCH_TOKEN")
if token == "" then token = nil end

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

-- One machine-readable line for bench.sh: requests/s, p50 and p99 in microseconds, errors (socket errors,
-- timeouts and non-2xx answers; after the preload a 404 is a miss and counts).
function done(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.timeout + summary.errors.status
  io.write(string.format("RESULT %.0f %d %d %d %d\n", summary.requests / (summary.duration / 1e6),
      latency:percentile(50), latency:percentile(99), errors, summary.requests))
end
