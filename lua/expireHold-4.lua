-- Expires one hold when it is still active and past due; run by its expiry job and by
-- the reconciler. Safe to run any number of times, at any moment.
-- KEYS[1] event hash
-- KEYS[2] expiries sorted set
-- KEYS[3] active holds hash
-- KEYS[4] hold hash
-- ARGV[1] hold id (the event-local part)
-- Returns {1}                 expired now, seats given back by this call
--         {0}                 expired now, seats were already given back by a reclaim
--         {-8, remaining_ms}  not due yet (the job fired early)
--         {-9}                nothing to do: booked, released, expired or no such hold
--@include serverTime
--@include readHold
--@include releaseActiveSeats
--@include expireIfDue

local hold = readHold(KEYS[4])
if not hold or hold.status ~= 'active' then
  return {-9}
end
local now = serverTimeMs()
local reclaimed = expireIfDue(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[1], hold, now)
if not reclaimed then
  return {-8, tonumber(hold.expires_at) - now}
end
return {reclaimed}
