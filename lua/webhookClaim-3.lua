-- Takes the lease that lets one instance send the batch in flight of a (webhook, event):
-- one attempt at a time across all instances. The caller renews it while it sends.
-- KEYS[1] the webhook's record (hash)
-- KEYS[2] the webhook's batches (hash)
-- KEYS[3] the lease of this (webhook, event) (string: the owner)
-- ARGV[1] event id
-- ARGV[2] batch id
-- ARGV[3] owner (the instance)
-- ARGV[4] lease length, ms
-- Returns {1, url, secret}    the lease is the caller's: send
--         {0}                 that batch is no longer in flight
--         {-4}                no such webhook
--         {-9}                the webhook is disabled
--         {-8, ms}            a retry not due yet: wait ms
--         {-11, ms}           another instance holds the lease for ms more
--@include args
--@include serverTime
--@include webhook

local eventId = nonEmpty(ARGV[1], 'event id')
local owner = nonEmpty(ARGV[3], 'owner')
local leaseMs = nonNegativeInt(ARGV[4], 'lease ms')
local record = redis.call('HMGET', KEYS[1], 'status', 'url', 'secret')
if not record[1] then
  return {-4}
end
if record[1] ~= 'enabled' then
  return {-9}
end
local batch = readBatch(KEYS[2], eventId)
if not batch or batch.id ~= ARGV[2] then
  return {0}
end
local now = serverTimeMs()
if batch.next_at and batch.next_at > now then
  return {-8, batch.next_at - now}
end
local holder = redis.call('GET', KEYS[3])
if holder and holder ~= owner then
  return {-11, math.max(1, redis.call('PTTL', KEYS[3]))}
end
redis.call('SET', KEYS[3], owner, 'PX', leaseMs)
return {1, record[2], record[3]}
