-- A 2xx acknowledged the batch: the cursor moves to the last log id it covers, the batch
-- is done, and the lease is given back.
-- KEYS[1] the webhook's record (hash)
-- KEYS[2] the webhook's cursors (hash)
-- KEYS[3] the webhook's batches (hash)
-- KEYS[4] the lease of this (webhook, event) (string: the owner)
-- ARGV[1] event id
-- ARGV[2] batch id
-- ARGV[3] owner
-- Returns 1   acknowledged
--         0   that batch was no longer in flight (acknowledged before, or the webhook deleted)
--@include args
--@include serverTime
--@include webhook

local eventId = nonEmpty(ARGV[1], 'event id')
if redis.call('GET', KEYS[4]) == ARGV[3] then
  redis.call('DEL', KEYS[4])
end
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
local batch = readBatch(KEYS[3], eventId)
if not batch or batch.id ~= ARGV[2] then
  return 0
end
redis.call('HSET', KEYS[2], eventId, batch.upto)
redis.call('HDEL', KEYS[3], eventId, eventId .. ':body')
redis.call('HSET', KEYS[1], 'last_success_at', serverTimeMs())
return 1
