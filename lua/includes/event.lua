--@include serverTime
--@include keys
--@include log
-- An event as one script sees it: its categories' counts, sales state and quotas are read
-- once into the context and changed there; commit (lua/includes/reply.lua) writes them back
-- in one command when the script answers. In the event hash: `c:<cid>:<field>` per category
-- (kind, name, total, available, held, booked, blocked, sales, quotas, rows, groups), the
-- sums over categories (total, available, held, booked, blocked), the event's own `sales`,
-- its quota ids (`quotas`) and `q:<qid>:capacity|cats|used` per quota, and `version`, which
-- every change moves on (readers that saw a version need not read again until it moves).

local function newContext(eventKey, eventId)
  return {
    keys = eventKeysOf(eventKey),
    eventId = eventId,
    now = serverTimeMs(),
    effects = { expired = 0, logged = 0, offers = {} },
    -- categories that got seats back, or room in one of their quotas, in this script: their
    -- waiting lists (and those of categories sharing a quota) may now be served
    freed = {},
    cats = {}, quotaCache = {}, dirtyCounts = {}, dirtyQuotas = {}, changed = false,
    rowCache = {}, groupCache = {}, dirtyRows = {}, dirtyGroups = {},
  }
end

local function splitList(text)
  local list = {}
  for item in string.gmatch(text or '', '[^,]+') do
    list[#list + 1] = item
  end
  return list
end

-- Reads the event into ctx (false: no such event, or one still being created); writes
-- nothing. An event stored by version 1 (one pool, no categories) reads as one `general`
-- category, and is upgraded in place by upgradeEvent once the script has checked its
-- arguments.
-- The category fields cat() reads, in that order.
local CATEGORY_FIELDS = { 'kind', 'name', 'total', 'available', 'held', 'booked', 'blocked', 'sales', 'quotas', 'groups' }

local function categoryOf(cid, f, at)
  return { id = cid, kind = f[at], name = f[at + 1], total = tonumber(f[at + 2]), available = tonumber(f[at + 3]),
    held = tonumber(f[at + 4]), booked = tonumber(f[at + 5]), blocked = tonumber(f[at + 6]) or 0, sales = f[at + 7] or 'open',
    quotas = splitList(f[at + 8]), groups = tonumber(f[at + 9]) }
end

-- (`prefetch`: a category id the script will read, fetched in the same command when given)
local function loadEvent(ctx, prefetch)
  local fields = { 'cats', 'total', 'max_per_hold', 'available', 'held', 'booked', 'blocked', 'sales', 'quotas', 'version' }
  if prefetch and prefetch ~= '' then
    for _, field in ipairs(CATEGORY_FIELDS) do
      fields[#fields + 1] = 'c:' .. prefetch .. ':' .. field
    end
  end
  local e = redis.call('HMGET', ctx.keys.event, unpack(fields))
  if not e[2] then
    return false
  end
  ctx.legacy = not e[1]
  ctx.categories = splitList(e[1] or 'general')
  ctx.maxPerHold = tonumber(e[3])
  ctx.sums = {
    total = tonumber(e[2]), available = tonumber(e[4]), held = tonumber(e[5]), booked = tonumber(e[6]),
    blocked = tonumber(e[7]) or 0,
  }
  ctx.sales = e[8] or 'open'
  ctx.quotaIds = splitList(e[9])
  ctx.version = tonumber(e[10]) or 0
  if e[11] and e[1] then
    ctx.prefetched = categoryOf(prefetch, e, 11)
  end
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

-- One category of the event as a table (nil when the event has no such category), read once
-- per script: {id, kind, name, total, available, held, booked, blocked, sales, quotas (list),
-- groups (row groups of a seated category, nil until indexed)}.
local function cat(ctx, cid)
  local c = ctx.cats[cid]
  if c then
    return c
  end
  if not hasCategory(ctx, cid) then
    return nil
  end
  if ctx.prefetched and ctx.prefetched.id == cid then
    ctx.cats[cid] = ctx.prefetched
    return ctx.prefetched
  end
  if ctx.legacy then
    local s = ctx.sums
    c = { id = cid, kind = 'general', name = cid, total = s.total, available = s.available, held = s.held,
      booked = s.booked, blocked = 0, sales = 'open', quotas = {} }
  else
    local fields = {}
    for i, field in ipairs(CATEGORY_FIELDS) do
      fields[i] = 'c:' .. cid .. ':' .. field
    end
    c = categoryOf(cid, redis.call('HMGET', ctx.keys.event, unpack(fields)), 1)
  end
  ctx.cats[cid] = c
  return c
end

-- A quota of the event as a table {id, capacity, cats (list), used} (nil when none such).
local function quota(ctx, qid)
  local q = ctx.quotaCache[qid]
  if q == nil then
    local p = 'q:' .. qid .. ':'
    local f = redis.call('HMGET', ctx.keys.event, p .. 'capacity', p .. 'cats', p .. 'used')
    q = false
    if f[1] then
      q = { id = qid, capacity = tonumber(f[1]), cats = splitList(f[2]), used = tonumber(f[3]) }
    end
    ctx.quotaCache[qid] = q
  end
  return q or nil
end

local function quotaRoom(q)
  return q.capacity - q.used
end

-- How many seats of a category one hold could take now: its available seats, or less when a
-- quota that holds it has less room.
local function purchasable(ctx, c)
  local n = c.available
  for _, qid in ipairs(c.quotas) do
    n = math.min(n, quotaRoom(quota(ctx, qid)))
  end
  return math.max(0, n)
end

-- Every quota short for `lines` ({categoryId, qty}: seats they would take out of sale), as
-- triples quota_id, requested, available (at least 0), quotas in the order the lines name them.
local function quotaShortfall(ctx, lines)
  local need, order = {}, {}
  for _, line in ipairs(lines) do
    for _, qid in ipairs(cat(ctx, line.categoryId).quotas) do
      if not need[qid] then
        order[#order + 1] = qid
        need[qid] = 0
      end
      need[qid] = need[qid] + line.qty
    end
  end
  local short = {}
  for _, qid in ipairs(order) do
    local room = quotaRoom(quota(ctx, qid))
    if need[qid] > room then
      short[#short + 1] = qid
      short[#short + 1] = need[qid]
      short[#short + 1] = math.max(0, room)
    end
  end
  return short
end

-- A category is on sale when it and its event are both open.
local function onSale(ctx, c)
  return ctx.sales == 'open' and c.sales == 'open'
end

local function markChanged(ctx)
  ctx.changed = true
end

-- Moves a count of a category by delta (state: total | available | held | booked | blocked),
-- with the event's sums and the `used` of every quota holding it (used = total - available).
local function addCount(ctx, cid, state, delta)
  local c = cat(ctx, cid)
  c[state] = c[state] + delta
  ctx.sums[state] = ctx.sums[state] + delta
  -- field -> where its value is: the category's table or the sums, under `state`
  ctx.dirtyCounts['c:' .. cid .. ':' .. state] = c
  ctx.dirtyCounts[state] = ctx.sums
  ctx.changed = true
  if state == 'available' or state == 'total' then
    local usedDelta = delta
    if state == 'available' then
      usedDelta = -delta
    end
    for _, qid in ipairs(c.quotas) do
      local q = quota(ctx, qid)
      q.used = q.used + usedDelta
      ctx.dirtyQuotas[qid] = q
    end
  end
end

-- Writes a version-1 event's pool as its `general` category, with opening entries in the
-- audit log (its active holds' seats, then its booked seats, under the pseudo hold id
-- `<event>.version-1`) so that the log replays to the counts from then on.
local function upgradeEvent(ctx)
  if not ctx.legacy then
    return
  end
  ctx.legacy = false
  local s = ctx.sums
  redis.call('HSET', ctx.keys.event, 'cats', 'general', 'blocked', 0,
    'c:general:kind', 'general', 'c:general:name', 'general', 'c:general:total', s.total,
    'c:general:available', s.available, 'c:general:held', s.held, 'c:general:booked', s.booked,
    'c:general:blocked', 0)
  local active = redis.call('HGETALL', ctx.keys.active)
  for i = 1, #active, 2 do
    local qty = tonumber(active[i + 1])
    if qty and qty > 0 then
      logEntry(ctx, 'hold.created', { 'category_id', 'general', 'qty', qty, 'hold_id', ctx.eventId .. '.' .. active[i] })
    end
  end
  if s.booked > 0 then
    local imported = ctx.eventId .. '.version-1'
    logEntry(ctx, 'hold.created', { 'category_id', 'general', 'qty', s.booked, 'hold_id', imported })
    logEntry(ctx, 'booking.created', { 'category_id', 'general', 'qty', s.booked, 'hold_id', imported })
  end
end

-- The hold limit: the service's, or the event's own when lower.
local function perHoldLimit(ctx, serviceMax)
  if ctx.maxPerHold and ctx.maxPerHold < serviceMax then
    return ctx.maxPerHold
  end
  return serviceMax
end
