-- wrk script for bench/memory-fill.sh and bench/memory-per-entry.sh: unique keys ("fill-" and a zero-padded
-- sequence number, FILL_KEY_LENGTH characters, 256 by default) with 256-character values.
--   FILL_MODE  put | get       FILL_FROM  first sequence number (0)
-- put: writes keys FILL_FROM, FILL_FROM+1, ... in order, each once.
-- get: reads keys in order from FILL_FROM, cycling below FILL_TO; every answer but 200 counts as an error.
local mode = os.getenv("FILL_MODE") or "put"
local from = tonumber(os.getenv("FILL_FROM") or "0")
local to = tonumber(os.getenv("FILL_TO") or "0")
local key_length = tonumber(os.getenv("FILL_KEY_LENGTH") or "256")
local next_seq = from
local value = string.rep("v0123456789abcdefghijklmnopqrstuvwxyz<>&'\\\"ABCDEFGHIJKLMNOPQRSTUVWXYZ", 8):sub(1, 256)
local json_value = value:gsub('[\\"]', function(c) return "\\" .. c end)
local headers = { ["Content-Type"] = "application/json" }

local function key(seq) -- Lua's format has no widths over 99
  local digits = tostring(seq)
  return "fill-" .. string.rep("0", key_length - 5 - #digits) .. digits
end

function request()
  local seq = next_seq
  next_seq = next_seq + 1
  if mode == "get" then
    if next_seq >= to then next_seq = from end
    return wrk.format("GET", "/get?key=" .. key(seq))
  end
  return wrk.format("POST", "/put", headers, '{"key":"' .. key(seq) .. '","value":"' .. json_value .. '"}')
end

function done(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.timeout + summary.errors.status
  io.write(string.format("RESULT %.0f %d %d %d %d\n", summary.requests / (summary.duration / 1e6),
      latency:percentile(50), latency:percentile(99), errors, summary.requests))
end
