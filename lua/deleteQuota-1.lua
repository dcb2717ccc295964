-- Removes a quota of an event; the room it held back serves waiting lists.
-- KEYS[1] event hash
-- ARGV[1] event id
-- ARGV[2] quota id
-- ARGV[3] how long records outlive their end, ms (for offers made on the way)
-- Returns {1, effects}    removed
--         {-1, effects}   event not found
--         {-4, effects}   no such quota
--@include args
--@include quotas

local eventId = nonEmpty(ARGV[1], 'event id')
local qid = idArg(ARGV[2], 'quota id')
local retentionMs = nonNegativeInt(ARGV[3], 'retention')

local ctx = newContext(KEYS[1], eventId)
if not loadEvent(ctx) then
  return reply(ctx, -1)
end
local q = quota(ctx, qid)
if not q then
  return reply(ctx, -4)
end
upgradeEvent(ctx)
for _, cid in ipairs(q.cats) do
  setCategoryQuota(ctx, cid, qid, false)
end
local remaining = {}
for _, id in ipairs(ctx.quotaIds) do
  if id ~= qid then
    remaining[#remaining + 1] = id
  end
end
ctx.quotaIds = remaining
local p = 'q:' .. qid .. ':'
redis.call('HDEL', ctx.keys.event, p .. 'capacity', p .. 'cats', p .. 'used')
redis.call('HSET', ctx.keys.event, 'quotas', table.concat(remaining, ','))
ctx.quotaCache[qid] = false
ctx.dirtyQuotas[qid] = nil
logEntry(ctx, 'quota.changed', { 'quota_id', qid, 'removed', 'true' })
serveQuotaCategories(ctx, q.cats, retentionMs)
return reply(ctx, 1)
