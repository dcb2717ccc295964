-- Counts a new hold against its client's cap of active holds, atomically across instances.
-- KEYS[1] the client's sorted set of holds (hold id -> expires_at ms)
-- ARGV[1] hold id
-- ARGV[2] the hold's ttl, ms
-- ARGV[3] the cap: most active holds per client
-- Returns {1}                   counted (also when this hold id is counted already: a retry)
--         {-11, retry_after_ms} the client is at its cap; one of its holds ends by then
--@include serverTime
--@include args

local ttlMs = positiveInt(ARGV[2], 'ttl')
local cap = positiveInt(ARGV[3], 'cap')
local now = serverTimeMs()
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  return {1}
end
if redis.call('ZCARD', KEYS[1]) >= cap then
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {-11, math.max(1, tonumber(first[2]) - now)}
end
local expiresAt = now + ttlMs
redis.call('ZADD', KEYS[1], expiresAt, ARGV[1])
-- The set lives as long as its longest hold.
if redis.call('PTTL', KEYS[1]) < ttlMs then
  redis.call('PEXPIRE', KEYS[1], ttlMs)
end
return {1}
