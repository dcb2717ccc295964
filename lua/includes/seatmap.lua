-- Seat states of seated categories: one string per row (`A` available, `H` held, `B`
-- booked, seat 1 first), with per-row summaries (free seats, longest free run) so that
-- best-available reads one number per row, never every seat of the venue.
local SEAT_CHAR = { available = 'A', held = 'H', booked = 'B' }

-- 'A12' -> 'A', 12 (nil for anything that cannot be a seat id)
local function parseSeatId(id)
  local row, num = string.match(id, '^([A-Za-z0-9-]-)([1-9]%d*)$')
  if not row or row == '' then
    return nil
  end
  return row, tonumber(num)
end

-- {categoryId, seats, order} of a row, nil when the event has no such row.
local function rowInfo(ctx, row)
  local info = redis.call('HGET', ctx.keys.rows, row)
  if not info then
    return nil
  end
  local cid, seats, order = string.match(info, '^([^,]+),(%d+),(%d+)$')
  return { categoryId = cid, seats = tonumber(seats), order = tonumber(order) }
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

-- The seat string of `row` as bytes, after checking that every seat of `nums` is in state
-- `from` (an error otherwise, before anything is written).
local function checkRowSeats(ctx, row, nums, from)
  local status = redis.call('HGET', ctx.keys.seats, row)
  if not status then
    error('no seat row ' .. row)
  end
  local bytes = { string.byte(status, 1, -1) }
  local fromByte = string.byte(SEAT_CHAR[from])
  for _, num in ipairs(nums) do
    if bytes[num] ~= fromByte then
      error('seat ' .. row .. num .. ' is not ' .. from)
    end
  end
  return bytes
end

-- Writes seats `nums` of `row` (checked by checkRowSeats) as state `to`, with the row's summaries.
local function writeRowSeats(ctx, row, bytes, nums, from, to)
  local toByte = string.byte(SEAT_CHAR[to])
  for _, num in ipairs(nums) do
    bytes[num] = toByte
  end
  local chunks = {}
  for i = 1, #bytes, 4000 do
    chunks[#chunks + 1] = string.char(unpack(bytes, i, math.min(i + 3999, #bytes)))
  end
  local status = table.concat(chunks)
  redis.call('HSET', ctx.keys.seats, row, status)
  local delta = 0
  if from == 'available' then delta = delta - #nums end
  if to == 'available' then delta = delta + #nums end
  if delta ~= 0 then
    redis.call('HINCRBY', ctx.keys.rowFree, row, delta)
    redis.call('HSET', ctx.keys.rowRun, row, longestRun(status))
  end
end

-- Seat ids in row order (rows as the event lists them), then by number.
local function sortSeats(ctx, seatIds)
  local keyed = {}
  local orderOf = {}
  for _, id in ipairs(seatIds) do
    local row, num = parseSeatId(id)
    if not orderOf[row] then
      orderOf[row] = rowInfo(ctx, row).order
    end
    keyed[#keyed + 1] = { id = id, order = orderOf[row], num = num }
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
