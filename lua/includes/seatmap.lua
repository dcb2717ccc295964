--@include event
-- Seat states of seated categories: one string per row (`A` available, `H` held, `B`
-- booked, `X` blocked, seat 1 first), with per-row summaries (free seats, longest free run)
-- and per-group summaries (rows of a category in groups of ROW_GROUP rows: the longest run
-- and the free seats of the group), so that best available reads a few numbers per group and
-- one group's rows, never every row of the venue. Rows, like counts, are read once per script
-- into ctx and written back by commit.
--   rows hash:       row -> `<cid>,<seats>,<order>,<position in its category>` (order: the row's place
--                    in the event for rows of version 2, else its position again)
--   rowGroups hash:  `<cid>#<g>` -> the group's row names; `<cid>#<g>#run`, `<cid>#<g>#free`
local SEAT_CHAR = { available = 'A', held = 'H', booked = 'B', blocked = 'X' }
local ROW_GROUP = 64
-- at most this many values in one unpack (Lua's C stack is 8,000 slots)
local UNPACK_CHUNK = 4000

-- HSET key with many field/value pairs (a flat list), a chunk at a time.
local function hsetMany(key, flat)
  for i = 1, #flat, UNPACK_CHUNK do
    redis.call('HSET', key, unpack(flat, i, math.min(i + UNPACK_CHUNK - 1, #flat)))
  end
end

-- HMGET key for a list of fields of any length.
local function hmgetMany(key, fields)
  local values = {}
  for i = 1, #fields, UNPACK_CHUNK do
    local part = redis.call('HMGET', key, unpack(fields, i, math.min(i + UNPACK_CHUNK - 1, #fields)))
    for j = 1, #part do
      values[i + j - 1] = part[j]
    end
  end
  return values
end

-- 'A12' -> 'A', 12 (nil for anything that cannot be a seat id)
local function parseSeatId(id)
  if type(id) ~= 'string' then
    return nil
  end
  local row, num = string.match(id, '^([A-Za-z0-9-]-)([1-9]%d*)$')
  if not row or row == '' then
    return nil
  end
  return row, tonumber(num)
end

local function longestRun(status)
  local best = 0
  for run in string.gmatch(status, 'A+') do
    if #run > best then
      best = #run
    end
  end
  return best
end

local function countFree(status)
  local _, n = string.gsub(status, 'A', 'A')
  return n
end

-- The rows of a seated category, best first: its groups' rows (or, for a category stored
-- by version 2 and not indexed yet, its row list).
local function categoryRows(ctx, cid, groups)
  if not groups then
    return splitList(redis.call('HGET', ctx.keys.event, 'c:' .. cid .. ':rows'))
  end
  local fields = {}
  for g = 0, groups - 1 do
    fields[g + 1] = cid .. '#' .. g
  end
  return splitList(table.concat(hmgetMany(ctx.keys.rowGroups, fields), ','))
end

-- Builds a seated category's row groups when it has none (a category stored by version 2):
-- each row's position in its category, and each group's rows and summaries. Once per category.
local function ensureGroups(ctx, c)
  if c.kind ~= 'seated' or c.groups then
    return
  end
  local rows = categoryRows(ctx, c.id)
  local infos = hmgetMany(ctx.keys.rows, rows)
  local frees = hmgetMany(ctx.keys.rowFree, rows)
  local runs = hmgetMany(ctx.keys.rowRun, rows)
  local rowArgs, groupArgs = {}, {}
  local groups = 0
  for first = 1, #rows, ROW_GROUP do
    local names, run, free = {}, 0, 0
    for i = first, math.min(first + ROW_GROUP - 1, #rows) do
      local cid, seats, order = string.match(infos[i], '^([^,]+),(%d+),(%d+)')
      rowArgs[#rowArgs + 1] = rows[i]
      rowArgs[#rowArgs + 1] = table.concat({ cid, seats, order, i - 1 }, ',')
      names[#names + 1] = rows[i]
      run = math.max(run, tonumber(runs[i]))
      free = free + tonumber(frees[i])
    end
    local key = c.id .. '#' .. groups
    groupArgs[#groupArgs + 1] = key
    groupArgs[#groupArgs + 1] = table.concat(names, ',')
    groupArgs[#groupArgs + 1] = key .. '#run'
    groupArgs[#groupArgs + 1] = run
    groupArgs[#groupArgs + 1] = key .. '#free'
    groupArgs[#groupArgs + 1] = free
    groups = groups + 1
  end
  hsetMany(ctx.keys.rows, rowArgs)
  hsetMany(ctx.keys.rowGroups, groupArgs)
  redis.call('HSET', ctx.keys.event, 'c:' .. c.id .. ':groups', groups)
  c.groups = groups
end

-- A row of the event, read once per script: {row, categoryId, seats, order, pos, status}
-- (nil when the event has no such row, or the row's category is not one of the event's yet).
local function rowState(ctx, row)
  local r = ctx.rowCache[row]
  if r ~= nil then
    return r or nil
  end
  r = false
  local info = redis.call('HGET', ctx.keys.rows, row)
  if info then
    local cid, seats, order, pos = string.match(info, '^([^,]+),(%d+),(%d+),?(%d*)$')
    local c = cat(ctx, cid)
    if c then
      if pos == '' then
        -- a row of version 2: index its category, then read the row again
        ensureGroups(ctx, c)
        pos = string.match(redis.call('HGET', ctx.keys.rows, row), ',(%d+)$')
      end
      r = { row = row, categoryId = cid, seats = tonumber(seats), order = tonumber(order), pos = tonumber(pos),
        status = redis.call('HGET', ctx.keys.seats, row) }
    end
  end
  ctx.rowCache[row] = r
  return r or nil
end

-- Group g of a seated category (0-based): {key, names, run = {per row}, free = {per row}},
-- with the rows this script changed as they are now.
local function rowGroup(ctx, cid, g)
  local key = cid .. '#' .. g
  local grp = ctx.groupCache[key]
  if grp then
    return grp
  end
  local names = splitList(redis.call('HGET', ctx.keys.rowGroups, key))
  local runs = redis.call('HMGET', ctx.keys.rowRun, unpack(names))
  local frees = redis.call('HMGET', ctx.keys.rowFree, unpack(names))
  grp = { key = key, names = names, run = {}, free = {} }
  for i, name in ipairs(names) do
    local r = ctx.dirtyRows[name]
    if r then
      grp.run[i], grp.free[i] = r.run, r.free
    else
      grp.run[i], grp.free[i] = tonumber(runs[i]), tonumber(frees[i])
    end
  end
  ctx.groupCache[key] = grp
  return grp
end

-- A summary (`run` or `free`) of every group of a category, as this script sees them.
local function groupSummaries(ctx, c, which)
  local fields = {}
  for g = 0, c.groups - 1 do
    fields[g + 1] = c.id .. '#' .. g .. '#' .. which
  end
  local values = hmgetMany(ctx.keys.rowGroups, fields)
  for g = 0, c.groups - 1 do
    local grp = ctx.groupCache[c.id .. '#' .. g]
    if grp then
      local v = 0
      for _, x in ipairs(grp[which]) do
        if which == 'run' then v = math.max(v, x) else v = v + x end
      end
      values[g + 1] = v
    else
      values[g + 1] = tonumber(values[g + 1])
    end
  end
  return values
end

-- Checks that every seat of `nums` in row r is in state `from` (an error otherwise, before
-- anything is written).
local function checkRowSeats(r, nums, from)
  local fromByte = string.byte(SEAT_CHAR[from])
  for _, num in ipairs(nums) do
    if num > r.seats or string.byte(r.status, num) ~= fromByte then
      error('seat ' .. r.row .. num .. ' is not ' .. from)
    end
  end
end

-- Sets seats `nums` of row r (checked by checkRowSeats) to state `to`, with the row's and its
-- group's summaries; commit writes them.
local function writeRowSeats(ctx, r, nums, from, to)
  local g = math.floor(r.pos / ROW_GROUP)
  local grp = rowGroup(ctx, r.categoryId, g)
  local i = r.pos % ROW_GROUP + 1
  -- spliced run by run: a hold's seats are mostly side by side, so this copies the row a
  -- few times instead of touching every seat of it
  local sorted = {}
  for k, num in ipairs(nums) do
    sorted[k] = num
  end
  table.sort(sorted)
  local toChar = SEAT_CHAR[to]
  local parts, at, k = {}, 1, 1
  while k <= #sorted do
    local first, last = sorted[k], sorted[k]
    while sorted[k + 1] == last + 1 do
      k = k + 1
      last = sorted[k]
    end
    parts[#parts + 1] = string.sub(r.status, at, first - 1)
    parts[#parts + 1] = string.rep(toChar, last - first + 1)
    at = last + 1
    k = k + 1
  end
  parts[#parts + 1] = string.sub(r.status, at)
  r.status = table.concat(parts)
  local delta = 0
  if from == 'available' then delta = delta - #nums end
  if to == 'available' then delta = delta + #nums end
  r.free = grp.free[i] + delta
  r.run = grp.run[i]
  if delta ~= 0 then
    r.run = longestRun(r.status)
  end
  grp.free[i], grp.run[i] = r.free, r.run
  ctx.dirtyRows[r.row] = r
  ctx.dirtyGroups[grp.key] = grp
end

-- Writes the rows and groups this script changed.
local function flushRows(ctx)
  local seatArgs, freeArgs, runArgs, groupArgs = {}, {}, {}, {}
  for row, r in pairs(ctx.dirtyRows) do
    seatArgs[#seatArgs + 1] = row
    seatArgs[#seatArgs + 1] = r.status
    freeArgs[#freeArgs + 1] = row
    freeArgs[#freeArgs + 1] = r.free
    runArgs[#runArgs + 1] = row
    runArgs[#runArgs + 1] = r.run
  end
  if #seatArgs == 0 then
    return
  end
  for key, grp in pairs(ctx.dirtyGroups) do
    local run, free = 0, 0
    for i = 1, #grp.names do
      run = math.max(run, grp.run[i])
      free = free + grp.free[i]
    end
    groupArgs[#groupArgs + 1] = key .. '#run'
    groupArgs[#groupArgs + 1] = run
    groupArgs[#groupArgs + 1] = key .. '#free'
    groupArgs[#groupArgs + 1] = free
  end
  hsetMany(ctx.keys.seats, seatArgs)
  hsetMany(ctx.keys.rowFree, freeArgs)
  hsetMany(ctx.keys.rowRun, runArgs)
  hsetMany(ctx.keys.rowGroups, groupArgs)
  ctx.dirtyRows, ctx.dirtyGroups = {}, {}
end

-- Seat ids in row order (categories as the event lists them, rows as each lists them),
-- then by number.
local function sortSeats(ctx, seatIds)
  if not ctx.categoryIndex then
    ctx.categoryIndex = {}
    for i, cid in ipairs(ctx.categories) do
      ctx.categoryIndex[cid] = i
    end
  end
  local keyed = {}
  for _, id in ipairs(seatIds) do
    local row, num = parseSeatId(id)
    local r = rowState(ctx, row)
    keyed[#keyed + 1] = { id = id, order = ctx.categoryIndex[r.categoryId] * 1000000 + r.pos, num = num }
  end
  table.sort(keyed, function(a, b)
    if a.order ~= b.order then
      return a.order < b.order
    end
    return a.num < b.num
  end)
  local sorted = {}
  for i, item in ipairs(keyed) do
    sorted[i] = item.id
  end
  return sorted
end
