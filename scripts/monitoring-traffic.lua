-- wrk script of scripts/monitoring-check.sh: traffic that gives every panel and alert of monitoring/ something to
-- show. Gets of a hot set that hits and of keys never written that miss; puts over more keys than a small budget
-- holds (evictions), with values of every length from MON_VALUE_MIN to MON_VALUE_MAX (a wider range than before
-- changes the sizes the segments hold), some
-- with "ttl":1 (expirations); deletes; and requests that err: a malformed body (400), an unknown path (404) and
-- one without the token (401). MON_TOKEN: the bearer token the others carry. A request every MON_DELAY_MS per
-- connection at most, so that the check leaves the machine some room.
local token = os.getenv("MON_TOKEN") or ""
local value_min = tonumber(os.getenv("MON_VALUE_MIN") or "0")
local value_max = tonumber(os.getenv("MON_VALUE_MAX") or "2048")
local delay_ms = tonumber(os.getenv("MON_DELAY_MS") or "1")
local requests = {}

function init(args)
  math.randomseed(7)
  local chars = {}
  for i = 1, value_max do chars[i] = string.char(97 + (i % 26)) end
  local value = table.concat(chars)
  local auth = { ["Authorization"] = "Bearer " .. token }
  local json = { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }
  local function put(key, ttl)
    local body = '{"key":"' .. key .. '","value":"' .. value:sub(1, math.random(value_min, value_max)) .. '"'
    if ttl then body = body .. ',"ttl":' .. ttl end
    return wrk.format("POST", "/put", json, body .. "}")
  end
  for i = 1, 20000 do
    local r = math.random()
    if r < 0.30 then     -- the hot set: 200 keys, written often, read most
      local key = "hot-" .. math.random(1, 200)
      requests[#requests + 1] = (math.random() < 0.2) and put(key) or wrk.format("GET", "/get?key=" .. key, auth)
    elseif r < 0.45 then -- keys never written: misses
      requests[#requests + 1] = wrk.format("GET", "/get?key=never-" .. i, auth)
    elseif r < 0.85 then -- 20,000 keys, more than the budget holds
      requests[#requests + 1] = put("cold-" .. math.random(1, 20000), (math.random() < 0.1) and 1 or nil)
    elseif r < 0.90 then
      requests[#requests + 1] = wrk.format("DELETE", "/delete?key=cold-" .. math.random(1, 20000), auth)
    elseif r < 0.94 then
      requests[#requests + 1] = wrk.format("POST", "/put", json, '{"key":')
    elseif r < 0.97 then
      requests[#requests + 1] = wrk.format("GET", "/no/such/path", auth)
    else
      requests[#requests + 1] = wrk.format("GET", "/get?key=hot-1")
    end
  end
end

local n = 0
function request()
  n = n + 1
  return requests[(n % #requests) + 1]
end

function delay()
  return delay_ms
end
