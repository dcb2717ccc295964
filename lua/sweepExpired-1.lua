-- Expires an event's past-due holds, at most a batch of them: the reconciler's safety net
-- for expiry jobs that were lost.
-- KEYS[1] event hash
-- ARGV[1] event id
-- ARGV[2] most holds to expire
-- ARGV[3] how long records outlive their end, ms (for offers made on the way)
-- Returns {count, effects, next_expires_at_ms or ''}
--@include args
--@include waitlist

local eventId = nonEmpty(ARGV[1], 'event id')
local batch = positiveInt(ARGV[2], 'batch')
local retentionMs = nonNegativeInt(ARGV[3], 'retention')

local ctx = newContext(KEYS[1], eventId)
if not loadEvent(ctx) then
  return reply(ctx, 0, '')
end
local count = reclaimDue(ctx, batch)
serveFreed(ctx, retentionMs)
local nextDue = redis.call('ZRANGE', ctx.keys.expiries, 0, 0, 'WITHSCORES')
return reply(ctx, count, nextDue[2] or '')
