-- Reads a hold record with the server's clock and whether it is still counted as active,
-- so readers judge expiry as the scripts that change state do.
-- KEYS[1] event hash
-- ARGV[1] hold id (the event-local part)
-- Returns {now_ms, counted_active (1/0), hold fields...} (no fields when there is no such hold)
--@include serverTime
--@include keys

local k = eventKeysOf(KEYS[1])
local counted = redis.call('HEXISTS', k.active, ARGV[1])
return {serverTimeMs(), counted, unpack(redis.call('HGETALL', k.hold(ARGV[1])))}
