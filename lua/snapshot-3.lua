-- Reads one event's counts as one consistent snapshot, after giving back the seats of
-- past-due holds, so that an expired hold is never counted as held.
-- KEYS[1] event hash
-- KEYS[2] expiries sorted set
-- KEYS[3] active holds hash
-- ARGV[1] most past-due holds to reclaim in this call
-- Returns {1, name, total, available, held, booked, created_at_ms, max_per_hold, reclaimed, more_due}
--         {-1}  event not found
-- more_due is 1 when past-due holds remain (the batch was full): call again.
--@include serverTime
--@include reclaimExpired

if redis.call('EXISTS', KEYS[1]) == 0 then
  return {-1}
end
local now = serverTimeMs()
local batch = tonumber(ARGV[1])
local reclaimed = #reclaimExpired(KEYS[1], KEYS[2], KEYS[3], now, batch)
local moreDue = 0
if reclaimed == batch and redis.call('ZCOUNT', KEYS[2], '-inf', now) > 0 then
  moreDue = 1
end
local e = redis.call('HMGET', KEYS[1], 'name', 'total', 'available', 'held', 'booked', 'created_at', 'max_per_hold')
return {1, e[1], tonumber(e[2]), tonumber(e[3]), tonumber(e[4]), tonumber(e[5]), tonumber(e[6]), e[7], reclaimed, moreDue}
