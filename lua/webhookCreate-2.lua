-- Creates a webhook, or finds the one an earlier attempt with the same id created (an
-- Idempotency-Key retry after an unknown outcome): the record is written only if absent.
-- KEYS[1] the webhook's record (hash)
-- KEYS[2] the webhook's cursors (hash: event id -> last log id acknowledged or passed)
-- ARGV[1] webhook id
-- ARGV[2] url
-- ARGV[3] event id ('' = every event)
-- ARGV[4] types, comma-separated ('' = every type)
-- ARGV[5] description ('' = none)
-- ARGV[6] secret
-- ARGV[7] the event's starting cursor ('' when every event: then entries from now on)
-- Returns {1, record fields...}   created
--         {2, record fields...}   it existed (a retry)
--@include args
--@include serverTime
--@include webhook

local webhookId = nonEmpty(ARGV[1], 'webhook id')
local url = nonEmpty(ARGV[2], 'url')
local eventId = ARGV[3]
local secret = nonEmpty(ARGV[6], 'secret')
local startCursor = ARGV[7]
if eventId ~= '' and startCursor == '' then
  error('bad argument: a webhook of one event needs its starting cursor')
end

if redis.call('EXISTS', KEYS[1]) == 1 then
  return {2, unpack(recordReply(KEYS[1]))}
end
local now = serverTimeMs()
-- Every event: its entries written from now on, i.e. with ids from this millisecond on
-- (a log id is the Redis time of its write, then a sequence number).
local start = (now - 1) .. '-18446744073709551615'
redis.call('HSET', KEYS[1],
  'id', webhookId, 'url', url, 'event_id', eventId, 'types', ARGV[4], 'description', ARGV[5],
  'secret', secret, 'status', 'enabled', 'created_at', now, 'start', start)
if eventId ~= '' then
  redis.call('HSET', KEYS[2], eventId, startCursor)
end
return {1, unpack(recordReply(KEYS[1]))}
