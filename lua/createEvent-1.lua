-- Creates an event with all its seats available.
-- KEYS[1] event hash
-- ARGV[1] name
-- ARGV[2] total seats
-- ARGV[3] max seats per hold for this event, '' for the service's limit
-- Returns {1, created_at_ms} or {-10} when the id is taken (never expected: ids are random).
--@include serverTime

if redis.call('EXISTS', KEYS[1]) == 1 then
  return {-10}
end
local now = serverTimeMs()
redis.call('HSET', KEYS[1],
  'name', ARGV[1], 'total', ARGV[2], 'available', ARGV[2], 'held', 0, 'booked', 0,
  'max_per_hold', ARGV[3], 'created_at', now)
return {1, now}
