-- Books an active hold, exactly once: SET NX on the hold's marker decides the one booking;
-- every later call with the right token gets that booking again.
-- KEYS[1] event hash
-- KEYS[2] expiries sorted set
-- KEYS[3] active holds hash
-- KEYS[4] hold hash
-- KEYS[5] booked marker of the hold (string: booking id)
-- KEYS[6] hash of the booking to create
-- ARGV[1] hold id (the event-local part)
-- ARGV[2] payment token digest
-- ARGV[3] new booking id (public form)
-- ARGV[4] hold id (public form)
-- ARGV[5] event id
-- Returns {1, booking_id, qty, created_at_ms}   booked now
--         {2, booking_id, qty, created_at_ms}   booked before: a replay
--         {-4}                                  hold not found
--         {-5}                                  token does not match
--         {-6, 'expired' | 'released', reclaimed}  hold is gone
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
local existing = redis.call('GET', KEYS[5])
if existing then
  return {2, existing, tonumber(hold.qty), tonumber(hold.booked_at)}
end
if hold.status == 'released' or hold.status == 'expired' then
  return {-6, hold.status, 0}
end

local now = serverTimeMs()
local reclaimed = expireIfDue(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[1], hold, now)
if reclaimed then
  return {-6, 'expired', reclaimed}
end

if not redis.call('SET', KEYS[5], ARGV[3], 'NX') then
  return {2, redis.call('GET', KEYS[5]), tonumber(hold.qty), tonumber(hold.booked_at)}
end
local qty = tonumber(hold.qty)
releaseActiveSeats(KEYS[1], KEYS[2], KEYS[3], ARGV[1], qty, 'booked')
redis.call('HSET', KEYS[4], 'status', 'booked', 'booking_id', ARGV[3], 'booked_at', now)
redis.call('PERSIST', KEYS[4])
redis.call('HSET', KEYS[6], 'hold_id', ARGV[4], 'event_id', ARGV[5], 'qty', qty, 'created_at', now)
return {1, ARGV[3], qty, now}
