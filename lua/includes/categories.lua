--@include args
--@include seatmap
-- New categories (an event's at its creation, or one added while it sells): checked, then
-- written with every seat available. A seated category's rows were written before by
-- putRows (lua/putRows-1.lua); here they are only counted.

local MAX_CATEGORIES = 100
local MAX_EVENT_SEATS = 1000000
local MAX_SEATED_SEATS = 100000

-- Checks one category spec {id, name, sales, capacity} | {id, name, sales, rows, seats}
-- (rows: how many, seats: their sum) against what putRows wrote; returns its kind and seats.
local function checkNewCategory(ctx, spec)
  idArg(spec.id, 'category id')
  if spec.name ~= nil then
    nonEmpty(spec.name, 'category name')
  end
  salesArg(spec.sales or 'open', 'category sales')
  if spec.rows == nil then
    local capacity = positiveInt(spec.capacity, 'capacity')
    if capacity > MAX_EVENT_SEATS then
      error('bad argument capacity ' .. capacity)
    end
    return 'general', capacity
  end
  local rows, seats = positiveInt(spec.rows, 'rows'), positiveInt(spec.seats, 'seats')
  local groups = math.ceil(rows / ROW_GROUP)
  local fields = {}
  for g = 0, groups do
    fields[2 * g + 1] = spec.id .. '#' .. g .. '#frees'
    fields[2 * g + 2] = spec.id .. '#' .. g .. '#runs'
  end
  local values = hmgetMany(ctx.keys.rowGroups, fields)
  local written, counted, gruns, gfrees = 0, 0, {}, {}
  for g = 0, groups - 1 do
    local frees, runs = values[2 * g + 1], values[2 * g + 2]
    if not frees or not runs then
      error('rows of category ' .. spec.id .. ' were not written as announced')
    end
    local run = u16MaxSum(runs)
    local _, free = u16MaxSum(frees)
    written, counted = written + free, counted + #frees / 2
    gruns[g + 1], gfrees[g + 1] = u16(run), u16(free)
  end
  if written ~= seats or counted ~= rows or values[2 * groups + 1] then
    error('rows of category ' .. spec.id .. ' were not written as announced')
  end
  return 'seated', seats, groups, { spec.id .. '#gruns', table.concat(gruns), spec.id .. '#gfrees', table.concat(gfrees) }
end

-- Removes the rows written for a category id the event does not have: an addition refused
-- after its rows were written, or one whose request never came back. Left in place, they
-- would keep their names taken and, once a category of that id is added with other rows,
-- read as its seats (rowState finds a row's category by the id it was written with).
-- At most one category's rows (2,000), so bounded.
local function dropUnaddedRows(ctx, cid)
  redis.call('HDEL', ctx.keys.rowGroups, cid .. '#owner')
  local g = 0
  while true do
    local key = cid .. '#' .. g
    local names = redis.call('HGET', ctx.keys.rowGroups, key)
    if not names then
      return
    end
    for _, row in ipairs(splitList(names)) do
      local info = redis.call('HGET', ctx.keys.rows, row)
      if info and string.match(info, '^([^,]+),') == cid then
        redis.call('HDEL', ctx.keys.rows, row)
        redis.call('HDEL', ctx.keys.seats, row)
      end
    end
    redis.call('HDEL', ctx.keys.rowGroups, key, key .. '#runs', key .. '#frees')
    g = g + 1
  end
end

-- Rows of a category being added are written by one attempt at a time: the attempt whose
-- first chunk came last owns them (`<cid>#owner` in the row groups hash); an attempt that no
-- longer owns them writes no more, and does not add the category. (An event's creation passes
-- no staging id: its event id is its own.)
local function ownsStagedRows(ctx, cid, stagingId)
  return stagingId == '' or redis.call('HGET', ctx.keys.rowGroups, cid .. '#owner') == stagingId
end

-- Writes a checked category with every seat available, in the context's counts.
local function writeNewCategory(ctx, spec, kind, seats, groups, quotaIds, summaries)
  local p = 'c:' .. spec.id .. ':'
  redis.call('HSET', ctx.keys.event, p .. 'kind', kind, p .. 'name', spec.name or spec.id, p .. 'total', 0,
    p .. 'available', 0, p .. 'held', 0, p .. 'booked', 0, p .. 'blocked', 0, p .. 'sales', spec.sales or 'open',
    p .. 'quotas', table.concat(quotaIds or {}, ','))
  if groups then
    redis.call('HSET', ctx.keys.event, p .. 'groups', groups)
    redis.call('HSET', ctx.keys.rowGroups, unpack(summaries))
  end
  ctx.categories[#ctx.categories + 1] = spec.id
  ctx.cats[spec.id] = nil
  addCount(ctx, spec.id, 'total', seats)
  addCount(ctx, spec.id, 'available', seats)
end
