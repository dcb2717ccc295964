-- Changes an event's name, per-hold limit or sales state. Reopening sales makes, before it
-- answers, every offer the waiting lists of the categories back on sale can take. Setting
-- the sales state it already has changes nothing and writes no entry.
-- KEYS[1] event hash
-- ARGV[1] event id
-- ARGV[2] new name, '' to keep it
-- ARGV[3] max_per_hold: '' to keep it, 'none' to remove it, else the new limit
-- ARGV[4] sales: '' to keep it, 'open' or 'paused'
-- ARGV[5] how long records outlive their end, ms (for offers made on the way)
-- ARGV[6] most past-due holds to reclaim first
-- Returns {1, effects}    done
--         {-1, effects}   event not found
--@include args
--@include waitlist

local eventId = nonEmpty(ARGV[1], 'event id')
local name = ARGV[2]
local maxPerHold = ARGV[3]
if maxPerHold ~= '' and maxPerHold ~= 'none' then
  positiveInt(maxPerHold, 'max_per_hold')
end
local sales = salesArg(ARGV[4], 'sales', true)
local retentionMs = nonNegativeInt(ARGV[5], 'retention')
local batch = nonNegativeInt(ARGV[6], 'reclaim batch')

local ctx = newContext(KEYS[1], eventId)
if not loadEvent(ctx) then
  return reply(ctx, -1)
end
upgradeEvent(ctx)
if name ~= '' then
  redis.call('HSET', ctx.keys.event, 'name', name)
  markChanged(ctx)
end
if maxPerHold ~= '' then
  redis.call('HSET', ctx.keys.event, 'max_per_hold', maxPerHold == 'none' and '' or maxPerHold)
  markChanged(ctx)
end
if sales ~= '' and sales ~= ctx.sales then
  local before = ctx.sales
  ctx.sales = sales
  redis.call('HSET', ctx.keys.event, 'sales', sales)
  logEntry(ctx, 'sales.changed', { 'sales', sales })
  if before == 'paused' then
    -- back on sale: past-due holds give their seats back first, then every list is served
    reclaimDue(ctx, batch)
    local all = {}
    for _, cid in ipairs(ctx.categories) do
      all[cid] = true
    end
    ctx.freed = {}
    serveLists(ctx, all, retentionMs)
  end
end
return reply(ctx, 1)
