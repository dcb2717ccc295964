-- An event's categories. Counts live in the event hash: `c:<cid>:<state>` per category and
-- the sums over categories in `available`, `held`, `booked`, `total`.
local function splitList(text)
  local list = {}
  for item in string.gmatch(text or '', '[^,]+') do
    list[#list + 1] = item
  end
  return list
end

-- Reads the event's category list into ctx (false: no such event). An event stored by
-- version 1 (one pool, no categories) is upgraded in place to one `general` category.
local function loadEvent(ctx)
  local e = redis.call('HMGET', ctx.keys.event, 'cats', 'total', 'max_per_hold')
  if not e[2] then
    return false
  end
  if not e[1] then
    local c = redis.call('HMGET', ctx.keys.event, 'available', 'held', 'booked')
    redis.call('HSET', ctx.keys.event, 'cats', 'general',
      'c:general:kind', 'general', 'c:general:name', 'general', 'c:general:total', e[2],
      'c:general:available', c[1], 'c:general:held', c[2], 'c:general:booked', c[3])
    e[1] = 'general'
  end
  ctx.categories = splitList(e[1])
  ctx.maxPerHold = tonumber(e[3])
  return true
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
