-- Creates an event with its categories, every seat available. Idempotent on the event id:
-- a retry of the same attempt finds the event and changes nothing.
-- KEYS[1] event hash
-- ARGV[1] event id
-- ARGV[2] name
-- ARGV[3] max seats per hold for this event, '' for the service's limit
-- ARGV[4] categories, JSON: [{"id":…, "name":…, "capacity":n} | {"id":…, "name":…, "rows":[["A",20], …]}]
-- Returns {1, created_at_ms}   created
--         {2, created_at_ms}   the event already exists (a retry)
--@include serverTime
--@include keys
--@include args
--@include seatmap

local eventId = nonEmpty(ARGV[1], 'event id')
local name = nonEmpty(ARGV[2], 'name')
if ARGV[3] ~= '' then
  positiveInt(ARGV[3], 'max_per_hold')
end
local categories = cjson.decode(ARGV[4])
if type(categories) ~= 'table' or #categories == 0 then
  error('bad argument categories')
end
local k = eventKeysOf(KEYS[1])
local existing = redis.call('HGET', k.event, 'created_at')
if existing then
  return {2, tonumber(existing)}
end

-- Check everything before the first write.
local ids, rowsSeen, total, rowOrder = {}, {}, 0, 0
for _, c in ipairs(categories) do
  nonEmpty(c.id, 'category id')
  if c.name ~= nil then
    nonEmpty(c.name, 'category name')
  end
  if ids[c.id] then
    error('duplicate category ' .. c.id)
  end
  ids[c.id] = true
  if c.rows then
    for _, r in ipairs(c.rows) do
      local row, seats = r[1], positiveInt(r[2], 'row seats')
      if type(row) ~= 'string' or not string.find(row, '^[A-Za-z0-9-]*[A-Za-z-]$') then
        error('bad row ' .. tostring(row))
      end
      if rowsSeen[row] then
        error('duplicate row ' .. row)
      end
      rowsSeen[row] = true
      total = total + seats
    end
  else
    total = total + positiveInt(c.capacity, 'capacity')
  end
end

local now = serverTimeMs()
local order = {}
for _, c in ipairs(categories) do
  order[#order + 1] = c.id
  local p = 'c:' .. c.id .. ':'
  local capacity, kind, rowNames = 0, 'general', {}
  if c.rows then
    kind = 'seated'
    local rowFields, seatFields, freeFields, runFields = {}, {}, {}, {}
    for _, r in ipairs(c.rows) do
      local row, seats = r[1], tonumber(r[2])
      rowOrder = rowOrder + 1
      capacity = capacity + seats
      rowNames[#rowNames + 1] = row
      redis.call('HSET', k.rows, row, c.id .. ',' .. seats .. ',' .. rowOrder)
      redis.call('HSET', k.seats, row, string.rep('A', seats))
      redis.call('HSET', k.rowFree, row, seats)
      redis.call('HSET', k.rowRun, row, seats)
    end
  else
    capacity = tonumber(c.capacity)
  end
  redis.call('HSET', k.event, p .. 'kind', kind, p .. 'name', c.name or c.id, p .. 'total', capacity,
    p .. 'available', capacity, p .. 'held', 0, p .. 'booked', 0)
  if kind == 'seated' then
    redis.call('HSET', k.event, p .. 'rows', table.concat(rowNames, ','))
  end
end
redis.call('HSET', k.event, 'name', name, 'cats', table.concat(order, ','), 'total', total,
  'available', total, 'held', 0, 'booked', 0, 'max_per_hold', ARGV[3], 'created_at', now)
return {1, now}
