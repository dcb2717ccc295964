-- Changes a category of an event while it sells: its name, sales state, or (general
-- categories) capacity. A larger capacity adds available seats and, while the category is
-- on sale, serves its waiting list first; a smaller one takes available seats away, never
-- held, booked or blocked ones. Reopening sales serves the waiting list before it answers.
-- KEYS[1] event hash
-- ARGV[1] event id
-- ARGV[2] category id
-- ARGV[3] new name, '' to keep it
-- ARGV[4] sales: '' to keep it, 'open' or 'paused'
-- ARGV[5] capacity: '' to keep it, else the new capacity
-- ARGV[6] how long records outlive their end, ms (for offers made on the way)
-- ARGV[7] most past-due holds to reclaim first
-- Returns {1, effects}                 done
--         {-1, effects}                event not found
--         {-16, effects}               no such category
--         {-26, effects, 'seats', limit}  the event would have more seats than its limit
--         {-27, effects}               a capacity for a seated category
--         {-28, effects, available}    a cut larger than the available seats
--@include args
--@include waitlist

local eventId = nonEmpty(ARGV[1], 'event id')
local cid = nonEmpty(ARGV[2], 'category id')
local name = ARGV[3]
local sales = salesArg(ARGV[4], 'sales', true)
local capacity = nil
if ARGV[5] ~= '' then
  capacity = positiveInt(ARGV[5], 'capacity')
end
local retentionMs = nonNegativeInt(ARGV[6], 'retention')
local batch = nonNegativeInt(ARGV[7], 'reclaim batch')

local ctx = newContext(KEYS[1], eventId)
if not loadEvent(ctx) then
  return reply(ctx, -1)
end
local c = cat(ctx, cid)
if not c then
  return reply(ctx, -16)
end
local delta = 0
if capacity then
  if c.kind == 'seated' then
    return reply(ctx, -27)
  end
  delta = capacity - c.total
  if delta > 0 and ctx.sums.total + delta > 1000000 then
    return reply(ctx, -26, 'seats', 1000000)
  end
  if delta < 0 then
    -- seats of past-due holds count as available for a cut, as for a hold
    upgradeEvent(ctx)
    reclaimDue(ctx, batch)
    -- and, as seats coming back always do, to the waiting lists first (as if a read had
    -- reclaimed them just before): also when the cut is then refused
    serveFreed(ctx, retentionMs)
    if c.available < -delta then
      return reply(ctx, -28, c.available)
    end
  end
end
upgradeEvent(ctx)
local p = 'c:' .. cid .. ':'
if name ~= '' then
  redis.call('HSET', ctx.keys.event, p .. 'name', name)
  c.name = name
  markChanged(ctx)
end
local reopened = false
if sales ~= '' and sales ~= c.sales then
  reopened = sales == 'open'
  c.sales = sales
  redis.call('HSET', ctx.keys.event, p .. 'sales', sales)
  logEntry(ctx, 'sales.changed', { 'category_id', cid, 'sales', sales })
end
if delta ~= 0 then
  addCount(ctx, cid, 'total', delta)
  addCount(ctx, cid, 'available', delta)
  logEntry(ctx, 'capacity.changed', { 'category_id', cid, 'qty', math.abs(delta), 'delta', delta, 'capacity', capacity })
  if delta > 0 then
    ctx.freed[cid] = true
  end
end
if reopened then
  ctx.freed[cid] = true
end
serveFreed(ctx, retentionMs)
return reply(ctx, 1)
