-- Releases an active hold at its holder's request: seats back now (to waiting lists first;
-- a hold from a block gives its seats back to the block while the block is active).
-- KEYS[1] event hash
-- ARGV[1] event id
-- ARGV[2] hold id (the event-local part)
-- ARGV[3] payment token digest
-- ARGV[4] how long records outlive their end, ms (for offers made on the way)
-- Returns {1, effects, hold fields...}   released now
--         {2, effects, hold fields...}   released before: a replay
--         {-4, effects}                  hold not found
--         {-5, effects}                  token does not match
--         {-6, effects, 'expired'}       the hold expired first
--         {-7, effects}                  the hold is booked
--@include args
--@include waitlist

local eventId = nonEmpty(ARGV[1], 'event id')
local localId = nonEmpty(ARGV[2], 'hold id')
local tokenDigest = nonEmpty(ARGV[3], 'token digest')
local retentionMs = nonNegativeInt(ARGV[4], 'retention')

local ctx = newContext(KEYS[1], eventId)
local key = ctx.keys.hold(localId)
local hold, refused = holdOfHolder(ctx, localId, tokenDigest)
if not hold then
  return reply(ctx, refused)
end
if hold.status == 'booked' then
  return reply(ctx, -7)
end
if hold.status == 'released' then
  return reply(ctx, 2, unpack(flatten(hold)))
end
loadEvent(ctx)
if not holdIsActive(ctx, localId, hold) then
  -- past due (or already given back by a reclaim): it expires now, never released
  expireHold(ctx, localId)
  serveFreed(ctx, retentionMs)
  return reply(ctx, -6, 'expired')
end
endActiveHold(ctx, localId, 'available', 'hold.released', nil, hold.block)
redis.call('HSET', key, 'status', 'released', 'released_at', ctx.now)
if hold.entry then
  -- releasing an offered hold ends its waiting-list entry as left
  redis.call('HSET', ctx.keys.entry(hold.entry), 'status', 'left')
end
serveFreed(ctx, retentionMs)
return reply(ctx, 1, unpack(flatten(readRecord(key))))
