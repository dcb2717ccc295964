-- A client's hold-request rate limit (generic cell rate algorithm): up to `limit`
-- requests at once, then one every window/limit. One key per client, no window keys.
-- KEYS[1] the client's theoretical arrival time (ms), a string
-- ARGV[1] limit: requests per window
-- ARGV[2] window, ms
-- Returns {1}                   allowed
--         {-12, retry_after_ms} refused; allowed again after that long
--@include serverTime
--@include args

local now = serverTimeMs()
local limit = positiveInt(ARGV[1], 'limit')
local window = positiveInt(ARGV[2], 'window')
local interval = window / limit
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then
  tat = now
end
local nextTat = tat + interval
local allowedFrom = nextTat - window
if allowedFrom > now then
  return {-12, math.ceil(allowedFrom - now)}
end
redis.call('SET', KEYS[1], nextTat, 'PX', math.ceil(nextTat - now))
return {1}
