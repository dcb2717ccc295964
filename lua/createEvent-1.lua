-- Creates an event with its categories and quotas, every seat available (seated categories'
-- rows were written first by putRows). Idempotent on the event id: a retry of the same
-- attempt finds the event and changes nothing. Writes no audit entry: the log replays from
-- the event as created.
-- KEYS[1] event hash
-- ARGV[1] event id
-- ARGV[2] name
-- ARGV[3] max seats per hold for this event, '' for the service's limit
-- ARGV[4] the event's sales state: 'open' | 'paused'
-- ARGV[5] categories, JSON: [{"id", "name", "sales", "capacity"} | {"id", "name", "sales", "rows", "seats"}]
--         (rows: how many rows putRows wrote, seats: their seats)
-- ARGV[6] quotas, JSON: [{"id", "capacity", "categories": [cid, …]}]
-- Returns {1, created_at_ms}   created
--         {2, created_at_ms}   the event already exists (a retry)
--@include categories
--@include reply

local eventId = nonEmpty(ARGV[1], 'event id')
local name = nonEmpty(ARGV[2], 'name')
if ARGV[3] ~= '' then
  positiveInt(ARGV[3], 'max_per_hold')
end
local sales = salesArg(ARGV[4], 'sales')
local categories = cjson.decode(ARGV[5])
local quotas = cjson.decode(ARGV[6])
if type(categories) ~= 'table' or #categories == 0 or #categories > MAX_CATEGORIES then
  error('bad argument categories')
end
if type(quotas) ~= 'table' or #quotas > 50 then
  error('bad argument quotas')
end
local ctx = newContext(KEYS[1], eventId)
local existing = redis.call('HGET', ctx.keys.event, 'created_at')
if existing then
  return {2, tonumber(existing)}
end

-- Check everything before the first write.
local ids, checked, total, seated = {}, {}, 0, 0
for i, spec in ipairs(categories) do
  if ids[spec.id] then
    error('duplicate category ' .. tostring(spec.id))
  end
  ids[spec.id] = true
  local kind, seats, groups, summaries = checkNewCategory(ctx, spec)
  checked[i] = { kind = kind, seats = seats, groups = groups, quotas = {}, summaries = summaries }
  total = total + seats
  if kind == 'seated' then
    seated = seated + seats
  end
end
if total > MAX_EVENT_SEATS or seated > MAX_SEATED_SEATS then
  error('bad argument: ' .. total .. ' seats, ' .. seated .. ' seated')
end
local quotaIds, indexOf = {}, {}
for i, spec in ipairs(categories) do
  indexOf[spec.id] = i
end
for _, q in ipairs(quotas) do
  idArg(q.id, 'quota id')
  if quotaIds[q.id] then
    error('duplicate quota ' .. q.id)
  end
  quotaIds[q.id] = true
  positiveInt(q.capacity, 'quota capacity')
  if type(q.categories) ~= 'table' or #q.categories == 0 then
    error('bad argument quota categories')
  end
  local inQuota = {}
  for _, cid in ipairs(q.categories) do
    if not indexOf[cid] or inQuota[cid] then
      error('bad argument quota category ' .. tostring(cid))
    end
    inQuota[cid] = true
    local list = checked[indexOf[cid]].quotas
    list[#list + 1] = q.id
  end
end

ctx.legacy, ctx.categories, ctx.version, ctx.sales = false, {}, 0, sales
ctx.sums = { total = 0, available = 0, held = 0, booked = 0, blocked = 0 }
ctx.quotaIds = {}
for _, q in ipairs(quotas) do
  local p = 'q:' .. q.id .. ':'
  redis.call('HSET', ctx.keys.event, p .. 'capacity', q.capacity, p .. 'cats', table.concat(q.categories, ','), p .. 'used', 0)
  ctx.quotaIds[#ctx.quotaIds + 1] = q.id
end
for i, spec in ipairs(categories) do
  local c = checked[i]
  writeNewCategory(ctx, spec, c.kind, c.seats, c.groups, c.quotas, c.summaries)
end
redis.call('HSET', ctx.keys.event, 'name', name, 'cats', table.concat(ctx.categories, ','), 'max_per_hold', ARGV[3],
  'created_at', ctx.now, 'sales', sales, 'quotas', table.concat(ctx.quotaIds, ','), 'held', 0, 'booked', 0, 'blocked', 0)
commit(ctx)
return {1, ctx.now}
