-- Holds seats of one event: reclaims past-due holds first, then takes the seats.
-- KEYS[1] event hash
-- KEYS[2] expiries sorted set (hold id -> expires_at ms)
-- KEYS[3] active holds hash (hold id -> qty)
-- KEYS[4] the new hold's hash
-- ARGV[1] hold id (the event-local part)
-- ARGV[2] qty requested
-- ARGV[3] partial: '1' takes what is left when fewer seats remain, '0' all or nothing
-- ARGV[4] ttl ms
-- ARGV[5] payment token digest
-- ARGV[6] how long the record outlives its expiry, ms
-- ARGV[7] most past-due holds to reclaim first
-- ARGV[8] the service's per-hold seat limit
-- ARGV[9] '1' when the caller has just reclaimed every past-due hold: decide on the seats
--         there are now; '0' to refuse with more_due while past-due holds remain
-- Returns {1, qty, expires_at_ms, reclaimed}
--         {-1}                              event not found
--         {-2, available, reclaimed, more_due}  not enough seats, or (more_due = 1, unless
--                                           ARGV[9] is '1') more past-due holds remain than
--                                           this call's batch took: reclaim them, ask again
--         {-3, limit}                       qty above the event's per-hold limit
--@include serverTime
--@include reclaimExpired

local event = redis.call('HMGET', KEYS[1], 'available', 'max_per_hold')
if not event[1] then
  return {-1}
end
local requested = tonumber(ARGV[2])
local limit = tonumber(ARGV[8])
local eventLimit = tonumber(event[2])
if eventLimit and eventLimit < limit then
  limit = eventLimit
end
if requested > limit then
  return {-3, limit}
end

local now = serverTimeMs()
local batch = tonumber(ARGV[7])
local reclaimed = #reclaimExpired(KEYS[1], KEYS[2], KEYS[3], now, batch)
local available = tonumber(event[1])
if reclaimed > 0 then
  available = tonumber(redis.call('HGET', KEYS[1], 'available'))
end

local qty = requested
if available < requested then
  -- Seats of past-due holds beyond the batch count as free: a partial hold must not settle
  -- for less, nor a hold be refused, while they are still counted as held.
  local moreDue = 0
  if ARGV[9] ~= '1' and reclaimed == batch and redis.call('ZCOUNT', KEYS[2], '-inf', now) > 0 then
    moreDue = 1
  end
  if ARGV[3] ~= '1' or available == 0 or moreDue == 1 then
    return {-2, available, reclaimed, moreDue}
  end
  qty = available
end

local expiresAt = now + tonumber(ARGV[4])
redis.call('HINCRBY', KEYS[1], 'available', -qty)
redis.call('HINCRBY', KEYS[1], 'held', qty)
redis.call('ZADD', KEYS[2], expiresAt, ARGV[1])
redis.call('HSET', KEYS[3], ARGV[1], qty)
redis.call('HSET', KEYS[4],
  'qty', qty, 'requested_qty', requested, 'status', 'active',
  'expires_at', expiresAt, 'created_at', now, 'token', ARGV[5])
redis.call('PEXPIREAT', KEYS[4], expiresAt + tonumber(ARGV[6]))
return {1, qty, expiresAt, reclaimed}
