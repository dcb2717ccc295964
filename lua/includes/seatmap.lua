--@include args
--@include event
-- Seat states of seated categories: one string per row (`A` available, `H` held, `B`
-- booked, `X` blocked, seat 1 first), with summaries so that best available reads a few
-- short strings and one row, never every row of the venue: rows of a category go in groups of
-- ROW_GROUP rows, and each group keeps, for each of its rows, its free seats and its longest
-- free run; each category keeps, for each of its groups, the longest run and the free seats
-- in it. Summaries are strings of 2-byte numbers (u16 below), read and written whole. Rows,
-- like counts, are read once per script into ctx and written back by commit.
--   rows hash:       row -> `<cid>,<seats>,<order>,<position in its category>` (order: the row's place
--                    in the event for rows of version 2, else its position again)
--   rowGroups hash:  `<cid>#<g>` -> group g's row names; `<cid>#<g>#runs`, `<cid>#<g>#frees` -> its
--                    rows' summaries; `<cid>#gruns`, `<cid>#gfrees` -> the category's groups' summaries
local SEAT_CHAR = { available = 'A', held = 'H', booked = 'B', blocked = 'X' }
local ROW_GROUP = 64
-- at most this many values in one unpack (Lua's C stack is 8,000 slots)
local UNPACK_CHUNK = 4000

-- Numbers of 0-65,535 as 2 bytes each: the i-th (1-based) of a string, a string of one, one
-- replaced, the largest and the sum of all (a row has at most 1,000 seats, a group 64 rows).
local function u16At(s, i)
  local hi, lo = string.byte(s, 2 * i - 1, 2 * i)
  return hi * 256 + lo
end

local function u16(n)
  return string.char(math.floor(n / 256), n % 256)
end

local function u16Set(s, i, n)
  return string.sub(s, 1, 2 * i - 2) .. u16(n) .. string.sub(s, 2 * i + 1)
end

local function u16MaxSum(s)
  local bytes = { string.byte(s, 1, -1) }
  local max, sum = 0, 0
  for i = 1, #bytes, 2 do
    local n = bytes[i] * 256 + bytes[i + 1]
    sum = sum + n
    if n > max then
      max = n
    end
  end
  return max, sum
end

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

-- The summaries of a seated category's groups, from its rows' frees and runs (lists, in row
-- order): the rowGroups fields of each group and of the category, as a flat list for HSET.
local function groupFields(cid, firstGroup, names, frees, runs, withCategory)
  local fields, gruns, gfrees = {}, {}, {}
  for first = 1, #names, ROW_GROUP do
    local last = math.min(first + ROW_GROUP - 1, #names)
    local rowNames, rowRuns, rowFrees, run, free = {}, {}, {}, 0, 0
    for i = first, last do
      rowNames[#rowNames + 1] = names[i]
      rowRuns[#rowRuns + 1] = u16(runs[i])
      rowFrees[#rowFrees + 1] = u16(frees[i])
      run = math.max(run, runs[i])
      free = free + frees[i]
    end
    local key = cid .. '#' .. (firstGroup + #gruns)
    for _, value in ipairs({ key, table.concat(rowNames, ','), key .. '#runs', table.concat(rowRuns),
      key .. '#frees', table.concat(rowFrees) }) do
      fields[#fields + 1] = value
    end
    gruns[#gruns + 1] = u16(run)
    gfrees[#gfrees + 1] = u16(free)
  end
  if withCategory then
    for _, value in ipairs({ cid .. '#gruns', table.concat(gruns), cid .. '#gfrees', table.concat(gfrees) }) do
      fields[#fields + 1] = value
    end
  end
  return fields
end

-- Builds a seated category's row groups when it has none (a category stored by version 2,
-- whose rows' summaries are in the rowFree and rowRun hashes): each row's position in its
-- category, each group's rows and summaries, the category's. Once per category.
local function ensureGroups(ctx, c)
  if c.kind ~= 'seated' or c.groups then
    return
  end
  local rows = categoryRows(ctx, c.id)
  local infos = hmgetMany(ctx.keys.rows, rows)
  local frees, runs = hmgetMany(ctx.keys.rowFree, rows), hmgetMany(ctx.keys.rowRun, rows)
  local rowArgs = {}
  for i, row in ipairs(rows) do
    local cid, seats, order = string.match(infos[i], '^([^,]+),(%d+),(%d+)')
    rowArgs[#rowArgs + 1] = row
    rowArgs[#rowArgs + 1] = table.concat({ cid, seats, order, i - 1 }, ',')
    frees[i], runs[i] = tonumber(frees[i]), tonumber(runs[i])
  end
  hsetMany(ctx.keys.rows, rowArgs)
  hsetMany(ctx.keys.rowGroups, groupFields(c.id, 0, rows, frees, runs, true))
  c.groups = math.ceil(#rows / ROW_GROUP)
  redis.call('HSET', ctx.keys.event, 'c:' .. c.id .. ':groups', c.groups)
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

-- Group g of a seated category (0-based), as this script sees it: {key, cid, g, runs, frees}
-- (its rows' summaries) and its row names, split when asked for (groupRowName).
local function rowGroup(ctx, cid, g)
  local key = cid .. '#' .. g
  local grp = ctx.groupCache[key]
  if not grp then
    local f = redis.call('HMGET', ctx.keys.rowGroups, key, key .. '#runs', key .. '#frees')
    grp = { key = key, cid = cid, g = g, namesText = f[1], runs = f[2], frees = f[3] }
    ctx.groupCache[key] = grp
  end
  return grp
end

local function groupRowName(grp, i)
  if not grp.names then
    grp.names = splitList(grp.namesText)
  end
  return grp.names[i]
end

-- A seated category's groups' summaries, as this script sees them: {runs, frees}.
local function categorySummaries(ctx, cid)
  ctx.summaryCache = ctx.summaryCache or {}
  local sums = ctx.summaryCache[cid]
  if not sums then
    local f = redis.call('HMGET', ctx.keys.rowGroups, cid .. '#gruns', cid .. '#gfrees')
    sums = { cid = cid, runs = f[1], frees = f[2] }
    ctx.summaryCache[cid] = sums
  end
  return sums
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
  if delta ~= 0 then
    local g = math.floor(r.pos / ROW_GROUP)
    local grp = rowGroup(ctx, r.categoryId, g)
    local i = r.pos % ROW_GROUP + 1
    grp.frees = u16Set(grp.frees, i, u16At(grp.frees, i) + delta)
    grp.runs = u16Set(grp.runs, i, longestRun(r.status))
    local sums = categorySummaries(ctx, r.categoryId)
    local groupRun = u16MaxSum(grp.runs)
    sums.runs = u16Set(sums.runs, g + 1, groupRun)
    sums.frees = u16Set(sums.frees, g + 1, u16At(sums.frees, g + 1) + delta)
    ctx.dirtyGroups[grp.key] = grp
    ctx.dirtySummaries = ctx.dirtySummaries or {}
    ctx.dirtySummaries[r.categoryId] = sums
  end
  ctx.dirtyRows[r.row] = r
end

-- Writes the rows and summaries this script changed.
local function flushRows(ctx)
  local seatArgs, groupArgs = {}, {}
  for row, r in pairs(ctx.dirtyRows) do
    seatArgs[#seatArgs + 1] = row
    seatArgs[#seatArgs + 1] = r.status
  end
  if #seatArgs == 0 then
    return
  end
  for key, grp in pairs(ctx.dirtyGroups) do
    for _, value in ipairs({ key .. '#runs', grp.runs, key .. '#frees', grp.frees }) do
      groupArgs[#groupArgs + 1] = value
    end
  end
  for cid, sums in pairs(ctx.dirtySummaries or {}) do
    for _, value in ipairs({ cid .. '#gruns', sums.runs, cid .. '#gfrees', sums.frees }) do
      groupArgs[#groupArgs + 1] = value
    end
  end
  hsetMany(ctx.keys.seats, seatArgs)
  if #groupArgs > 0 then
    hsetMany(ctx.keys.rowGroups, groupArgs)
  end
  ctx.dirtyRows, ctx.dirtyGroups, ctx.dirtySummaries = {}, {}, {}
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

-- A list of named seats ('A1,B2', as a hold or a block names them), checked whole before any
-- row is read (reading a row of a category stored by version 2 indexes it: a write): no seat
-- twice, at least one, at most `maxSeats` (nil: no bound). Returns the lines by category (each
-- line's seats in row order) and the seats as listed, or nil and the seat ids the event lacks.
local function namedSeatLines(ctx, spec, maxSeats)
  local listed, named = {}, {}
  for seat in string.gmatch(spec, '[^,]+') do
    if named[seat] then
      error('bad argument seats: ' .. seat .. ' twice')
    end
    named[seat] = true
    listed[#listed + 1] = seat
  end
  if #listed == 0 or (maxSeats and #listed > maxSeats) then
    error('bad argument seats: ' .. #listed .. ' of them')
  end
  local unknown, byCategory, order = {}, {}, {}
  for _, seat in ipairs(listed) do
    local row, num = parseSeatId(seat)
    local r = row and rowState(ctx, row)
    if not r or num > r.seats then
      unknown[#unknown + 1] = seat
    else
      if not byCategory[r.categoryId] then
        byCategory[r.categoryId] = {}
        order[#order + 1] = r.categoryId
      end
      table.insert(byCategory[r.categoryId], seat)
    end
  end
  if #unknown > 0 then
    return nil, unknown
  end
  local lines = {}
  for _, cid in ipairs(order) do
    lines[#lines + 1] = { categoryId = cid, qty = #byCategory[cid], seats = sortSeats(ctx, byCategory[cid]) }
  end
  return lines, listed
end

-- The lines of an items request ('cid=qty;cid=qty', as a hold or a block names them): each
-- category once, at least one. Returns the lines, or nil and the first category id the event
-- does not have.
local function itemLines(ctx, spec)
  local lines, named = {}, {}
  for part in string.gmatch(spec, '[^;]+') do
    local cid, qty = string.match(part, '^([^=]+)=(%d+)$')
    qty = positiveInt(qty, 'item qty')
    if named[cid] then
      error('bad argument items: category ' .. cid .. ' twice')
    end
    named[cid] = true
    if not cat(ctx, cid) then
      return nil, cid
    end
    lines[#lines + 1] = { categoryId = cid, qty = qty }
  end
  if #lines == 0 then
    error('bad argument items')
  end
  return lines
end
