-- Releases an active hold at its holder's request: seats back to available now.
-- KEYS[1] event hash
-- KEYS[2] expiries sorted set
-- KEYS[3] active holds hash
-- KEYS[4] hold hash
-- ARGV[1] hold id (the event-local part)
-- ARGV[2] payment token digest
-- Returns {1, hold fields...}            released now
--         {2, hold fields...}            released before: a replay
--         {-4}                           hold not found
--         {-5}                           token does not match
--         {-6, 'expired', reclaimed}     hold expired first
--         {-7}                           hold is booked
-- (hold fields: the hold hash as HGETALL returns it)
--@include serverTime
--@include readHold
--@include releaseActiveSeats
--@include expireIfDue

local hold = readHold(KEYS[4])
if not hold then
  return {-4}
end
if hold.token ~= ARGV[2] then
  return {-5}
end
if hold.status == 'booked' then
  return {-7}
end
if hold.status == 'released' then
  return {2, unpack(redis.call('HGETALL', KEYS[4]))}
end
if hold.status == 'expired' then
  return {-6, 'expired', 0}
end

local now = serverTimeMs()
local reclaimed = expireIfDue(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[1], hold, now)
if reclaimed then
  return {-6, 'expired', reclaimed}
end
releaseActiveSeats(KEYS[1], KEYS[2], KEYS[3], ARGV[1], tonumber(hold.qty), 'available')
redis.call('HSET', KEYS[4], 'status', 'released', 'released_at', now)
return {1, unpack(redis.call('HGETALL', KEYS[4]))}
