--@include log
-- An event's categories. Counts live in the event hash: `c:<cid>:<state>` per category and
-- the sums over categories in `available`, `held`, `booked`, `total`.
local function splitList(text)
  local list = {}
  for item in string.gmatch(text or '', '[^,]+') do
    list[#list + 1] = item
  end
  return list
end

-- Reads the event's category list into ctx (false: no such event); writes nothing. An event
-- stored by version 1 (one pool, no categories) reads as one `general` category, and is
-- upgraded in place by upgradeEvent once the script has checked its arguments.
local function loadEvent(ctx)
  local e = redis.call('HMGET', ctx.keys.event, 'cats', 'total', 'max_per_hold')
  if not e[2] then
    return false
  end
  ctx.legacy = not e[1]
  ctx.categories = splitList(e[1] or 'general')
  ctx.maxPerHold = tonumber(e[3])
  return true
end

-- Writes a version-1 event's pool as its `general` category, with opening entries in the
-- audit log (its active holds' seats, then its booked seats, under the pseudo hold id
-- `<event>.version-1`) so that the log replays to the counts from then on.
local function upgradeEvent(ctx)
  if not ctx.legacy then
    return
  end
  ctx.legacy = false
  local c = redis.call('HMGET', ctx.keys.event, 'total', 'available', 'held', 'booked')
  redis.call('HSET', ctx.keys.event, 'cats', 'general',
    'c:general:kind', 'general', 'c:general:name', 'general', 'c:general:total', c[1],
    'c:general:available', c[2], 'c:general:held', c[3], 'c:general:booked', c[4])
  local active = redis.call('HGETALL', ctx.keys.active)
  for i = 1, #active, 2 do
    local qty = tonumber(active[i + 1])
    if qty and qty > 0 then
      logEntry(ctx, 'hold.created', { 'category_id', 'general', 'qty', qty, 'hold_id', ctx.eventId .. '.' .. active[i] })
    end
  end
  local booked = tonumber(c[4]) or 0
  if booked > 0 then
    local imported = ctx.eventId .. '.version-1'
    logEntry(ctx, 'hold.created', { 'category_id', 'general', 'qty', booked, 'hold_id', imported })
    logEntry(ctx, 'booking.created', { 'category_id', 'general', 'qty', booked, 'hold_id', imported })
  end
end

local function hasCategory(ctx, cid)
  for _, id in ipairs(ctx.categories) do
    if id == cid then
      return true
    end
  end
  return false
end

-- {kind, total, available, held, booked} of one category.
local function categoryCounts(ctx, cid)
  local p = 'c:' .. cid .. ':'
  if ctx.legacy then
    p = ''
  end
  local c = redis.call('HMGET', ctx.keys.event, p .. 'kind', p .. 'total', p .. 'available', p .. 'held', p .. 'booked')
  return { kind = c[1], total = tonumber(c[2]), available = tonumber(c[3]), held = tonumber(c[4]), booked = tonumber(c[5]) }
end

local function categoryAvailable(ctx, cid)
  return tonumber(redis.call('HGET', ctx.keys.event, 'c:' .. cid .. ':available'))
end

local function categoryRows(ctx, cid)
  return splitList(redis.call('HGET', ctx.keys.event, 'c:' .. cid .. ':rows'))
end

-- The hold limit: the service's, or the event's own when lower.
local function perHoldLimit(ctx, serviceMax)
  if ctx.maxPerHold and ctx.maxPerHold < serviceMax then
    return ctx.maxPerHold
  end
  return serviceMax
end
