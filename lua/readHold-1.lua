-- Reads a hold record together with the server's clock, so readers judge expiry by the
-- same time as the scripts that change state.
-- KEYS[1] hold hash
-- Returns {now_ms, hold fields...} (no fields when there is no such hold)
--@include serverTime

return {serverTimeMs(), unpack(redis.call('HGETALL', KEYS[1]))}
