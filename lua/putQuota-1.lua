-- Creates or replaces a quota of an event. Refused, changing nothing, when its categories
-- already use more than the capacity. Room it gives back serves waiting lists as seats
-- coming back do.
-- KEYS[1] event hash
-- ARGV[1] event id
-- ARGV[2] quota id
-- ARGV[3] capacity
-- ARGV[4] category ids, comma-separated
-- ARGV[5] how long records outlive their end, ms (for offers made on the way)
-- ARGV[6] most past-due holds to reclaim first
-- Returns {1, effects, used}          created or replaced
--         {-1, effects}                event not found
--         {-16, effects, cid}          no such category in the event
--         {-26, effects, 'quotas', 50} the event has 50 quotas already
--         {-29, effects, used}         its categories use more than the capacity
--@include args
--@include quotas

local eventId = nonEmpty(ARGV[1], 'event id')
local qid = idArg(ARGV[2], 'quota id')
local capacity = positiveInt(ARGV[3], 'capacity')
local cids = splitList(ARGV[4])
local retentionMs = nonNegativeInt(ARGV[5], 'retention')
local batch = nonNegativeInt(ARGV[6], 'reclaim batch')
if #cids == 0 then
  error('bad argument categories')
end

local ctx = newContext(KEYS[1], eventId)
if not loadEvent(ctx) then
  return reply(ctx, -1)
end
local seen = {}
for _, cid in ipairs(cids) do
  if seen[cid] then
    error('bad argument categories: ' .. cid .. ' twice')
  end
  seen[cid] = true
  if not cat(ctx, cid) then
    return reply(ctx, -16, cid)
  end
end
local before = quota(ctx, qid)
if not before and #ctx.quotaIds >= 50 then
  return reply(ctx, -26, 'quotas', 50)
end
upgradeEvent(ctx)
-- seats of past-due holds are not in use; they go to the waiting lists first, as seats coming
-- back always do (as if a read had reclaimed them just before), also when the PUT is refused
reclaimDue(ctx, batch)
serveFreed(ctx, retentionMs)
local used = usedBy(ctx, cids)
if used > capacity then
  return reply(ctx, -29, used)
end
local touched = {}
if before then
  for _, cid in ipairs(before.cats) do
    if not seen[cid] then
      setCategoryQuota(ctx, cid, qid, false)
    end
    touched[#touched + 1] = cid
  end
else
  ctx.quotaIds[#ctx.quotaIds + 1] = qid
  redis.call('HSET', ctx.keys.event, 'quotas', table.concat(ctx.quotaIds, ','))
end
for _, cid in ipairs(cids) do
  setCategoryQuota(ctx, cid, qid, true)
  touched[#touched + 1] = cid
end
local p = 'q:' .. qid .. ':'
redis.call('HSET', ctx.keys.event, p .. 'capacity', capacity, p .. 'cats', ARGV[4], p .. 'used', used)
ctx.quotaCache[qid] = { id = qid, capacity = capacity, cats = cids, used = used }
ctx.dirtyQuotas[qid] = nil
logEntry(ctx, 'quota.changed', { 'quota_id', qid, 'capacity', capacity, 'categories', ARGV[4] })
serveQuotaCategories(ctx, touched, retentionMs)
serveFreed(ctx, retentionMs)
return reply(ctx, 1, quota(ctx, qid).used)
