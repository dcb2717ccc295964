--@include seatmap
--@include lines
-- Blocks: seats an operator took out of sale. A block record (`block:<id>` hash: status
-- active | released, reason, created_at, lines = what it still holds, encoded as a hold's
-- lines) and the event's active blocks (`blocks` sorted set, oldest first). Holds from a
-- block take seats out of it; when they end unbooked (or their booking is cancelled) the seats
-- come back to it while it is active. Read once per script into ctx; blockSave writes one.

-- {id, status, reason, createdAt, lines = {cid -> {qty, seats = {seat -> true} | nil}}} or nil
local function blockOf(ctx, localId)
  ctx.blockCache = ctx.blockCache or {}
  local b = ctx.blockCache[localId]
  if b ~= nil then
    return b or nil
  end
  b = false
  local f = redis.call('HMGET', ctx.keys.block(localId), 'status', 'lines', 'reason', 'created_at')
  if f[1] then
    b = { id = localId, status = f[1], lines = {}, reason = f[3], createdAt = tonumber(f[4]) }
    for _, line in ipairs(decodeLines(f[2] or '')) do
      local entry = { qty = line.qty }
      if line.seats then
        entry.seats = {}
        for _, seat in ipairs(line.seats) do
          entry.seats[seat] = true
        end
      end
      b.lines[line.categoryId] = entry
    end
  end
  ctx.blockCache[localId] = b
  return b or nil
end

-- How many seats of category cid the block holds now.
local function blockQty(b, cid)
  local line = b.lines[cid]
  return line and line.qty or 0
end

-- The seats of `seatIds` the block does not hold (empty when it holds them all).
local function seatsNotInBlock(ctx, b, seatIds)
  local missing = {}
  for _, seat in ipairs(seatIds) do
    local row = parseSeatId(seat)
    local r = row and rowState(ctx, row)
    local line = r and b.lines[r.categoryId]
    if not (line and line.seats and line.seats[seat]) then
      missing[#missing + 1] = seat
    end
  end
  return missing
end

-- The block's seats of a seated category in row order, then by number (at most `qty` of them).
local function blockSeats(ctx, b, cid, qty)
  local line = b.lines[cid]
  local seats = {}
  if line and line.seats then
    for seat in pairs(line.seats) do
      seats[#seats + 1] = seat
    end
  end
  seats = sortSeats(ctx, seats)
  local first = {}
  for i = 1, math.min(qty or #seats, #seats) do
    first[i] = seats[i]
  end
  return first
end

-- Takes lines out of the block (the caller checked it holds them) or gives them back.
local function blockTake(b, lines)
  for _, line in ipairs(lines) do
    local entry = b.lines[line.categoryId]
    if not entry or entry.qty < line.qty then
      error('block ' .. b.id .. ' does not hold ' .. line.qty .. ' of ' .. line.categoryId)
    end
    entry.qty = entry.qty - line.qty
    for _, seat in ipairs(line.seats or {}) do
      if not entry.seats or not entry.seats[seat] then
        error('block ' .. b.id .. ' does not hold seat ' .. seat)
      end
      entry.seats[seat] = nil
    end
    if entry.qty == 0 then
      b.lines[line.categoryId] = nil
    end
  end
end

local function blockGive(b, lines)
  for _, line in ipairs(lines) do
    local entry = b.lines[line.categoryId]
    if not entry then
      entry = { qty = 0 }
      if line.seats then
        entry.seats = {}
      end
      b.lines[line.categoryId] = entry
    end
    entry.qty = entry.qty + line.qty
    for _, seat in ipairs(line.seats or {}) do
      entry.seats[seat] = true
    end
  end
end

-- The block's lines as a list, in the event's category order, seats sorted.
local function blockLines(ctx, b)
  local lines = {}
  for _, cid in ipairs(ctx.categories) do
    local entry = b.lines[cid]
    if entry and entry.qty > 0 then
      local line = { categoryId = cid, qty = entry.qty }
      if entry.seats then
        line.seats = blockSeats(ctx, b, cid)
      end
      lines[#lines + 1] = line
    end
  end
  return lines
end

local function blockIsEmpty(b)
  return next(b.lines) == nil
end

local function blockSave(ctx, b)
  redis.call('HSET', ctx.keys.block(b.id), 'status', b.status, 'lines', encodeLines(blockLines(ctx, b)))
end
