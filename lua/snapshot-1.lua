-- Reads one event's counts, per category, as one consistent snapshot, after giving back
-- the seats of past-due holds (to waiting lists first), so that an expired hold is never
-- counted as held and its hold.expired entry is in the log before the answer.
-- KEYS[1] event hash
-- ARGV[1] event id
-- ARGV[2] most past-due holds to reclaim in this call
-- ARGV[3] how long records outlive their end, ms (for offers made on the way)
-- Returns {1, effects, more_due, name, created_at_ms, max_per_hold,
--          cid, name, kind, total, available, held, booked, waiting, (per category)…}
--         {-1, effects}  event not found
-- more_due is 1 when past-due holds remain (the batch was full): call again.
--@include args
--@include waitlist

local eventId = nonEmpty(ARGV[1], 'event id')
local batch = positiveInt(ARGV[2], 'reclaim batch')
local retentionMs = nonNegativeInt(ARGV[3], 'retention')

local ctx = newContext(KEYS[1], eventId)
if not loadEvent(ctx) then
  return {-1, effectsReply(ctx)}
end
upgradeEvent(ctx)
local _, moreDue = reclaimDue(ctx, batch)
serveFreed(ctx, retentionMs)
local e = redis.call('HMGET', ctx.keys.event, 'name', 'created_at', 'max_per_hold')
local reply = {1, effectsReply(ctx), moreDue, e[1], tonumber(e[2]), e[3] or ''}
for _, cid in ipairs(ctx.categories) do
  local p = 'c:' .. cid .. ':'
  local c = redis.call('HMGET', ctx.keys.event, p .. 'name', p .. 'kind', p .. 'total', p .. 'available', p .. 'held', p .. 'booked')
  reply[#reply + 1] = cid
  reply[#reply + 1] = c[1]
  reply[#reply + 1] = c[2]
  reply[#reply + 1] = tonumber(c[3])
  reply[#reply + 1] = tonumber(c[4])
  reply[#reply + 1] = tonumber(c[5])
  reply[#reply + 1] = tonumber(c[6])
  reply[#reply + 1] = waitingCount(ctx, cid)
end
return reply
