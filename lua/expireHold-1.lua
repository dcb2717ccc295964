-- Expires one hold when it is still active and past due; run by its expiry job. Safe to
-- run any number of times, at any moment; an extended hold is not due before its new time.
-- KEYS[1] event hash
-- ARGV[1] event id
-- ARGV[2] hold id (the event-local part)
-- ARGV[3] how long records outlive their end, ms (for offers made on the way)
-- Returns {1, effects}                 expired now, seats given back by this call
--         {0, effects}                 expired now, a reclaim had given the seats back
--         {-8, effects, remaining_ms}  not due yet (the job fired early, or was extended)
--         {-9, effects}                nothing to do: booked, released, expired or no such hold
--@include args
--@include waitlist

local eventId = nonEmpty(ARGV[1], 'event id')
local localId = nonEmpty(ARGV[2], 'hold id')
local retentionMs = nonNegativeInt(ARGV[3], 'retention')

local ctx = newContext(KEYS[1], eventId)
local key = ctx.keys.hold(localId)
local hold = readRecord(key)
if not hold or hold.status ~= 'active' then
  return reply(ctx, -9)
end
local inActive = redis.call('HEXISTS', ctx.keys.active, localId) == 1
if inActive and ctx.now < tonumber(hold.expires_at) then
  return reply(ctx, -8, tonumber(hold.expires_at) - ctx.now)
end
loadEvent(ctx)
local gaveBack = expireHold(ctx, localId)
serveFreed(ctx, retentionMs)
if gaveBack then
  return reply(ctx, 1)
end
return reply(ctx, 0)
