--@include seatmap
--@include event
-- Best available: rows best first; in a row, the seats closest to its middle. Reads one
-- summary number per row of the category, and the seat string of the rows it takes from.

-- The start of the run of `qty` free seats in `status` whose middle is closest to the row's
-- middle (ties: lower numbers), or nil. Distances are doubled to stay whole numbers.
local function bestRunStart(status, qty)
  local n = #status
  local ideal = math.floor((n - qty + 2) / 2)
  local bestStart, bestDistance = nil, nil
  local from = 1
  while true do
    local a, b = string.find(status, 'A+', from)
    if not a then
      break
    end
    if b - a + 1 >= qty then
      local start = math.max(a, math.min(ideal, b - qty + 1))
      local distance = math.abs(2 * start + qty - 1 - (n + 1))
      if not bestDistance or distance < bestDistance then
        bestStart, bestDistance = start, distance
      end
    end
    from = b + 1
  end
  return bestStart
end

-- Free seat numbers of a row, closest to the middle first (ties: lower number), at most `want`.
local function freeSeatsFromMiddle(status, want)
  local n = #status
  local taken = {}
  local availableByte = string.byte('A')
  local low, high
  if n % 2 == 1 then
    local middle = (n + 1) / 2
    if string.byte(status, middle) == availableByte and want > 0 then
      taken[1] = middle
    end
    low, high = middle - 1, middle + 1
  else
    low, high = n / 2, n / 2 + 1
  end
  -- alternate outward: low, high, low-1, high+1, ... (low side first on equal distance)
  while #taken < want and (low >= 1 or high <= n) do
    if low >= 1 then
      if string.byte(status, low) == availableByte then
        taken[#taken + 1] = low
      end
      low = low - 1
    end
    if #taken < want and high <= n then
      if string.byte(status, high) == availableByte then
        taken[#taken + 1] = high
      end
      high = high + 1
    end
  end
  table.sort(taken)
  return taken
end

-- Picks `qty` seats of a seated category. mode: 'adjacent' (one run or nothing),
-- 'scattered' (row by row), 'prefer' (a run when there is one, else scattered). With
-- allowFewer, scattered picking returns what there is. Returns a list of seat ids in row
-- order, then by number (possibly shorter than qty, or empty).
local function pickSeats(ctx, cid, qty, mode, allowFewer)
  local rows = categoryRows(ctx, cid)
  if #rows == 0 then
    return {}
  end
  if mode ~= 'scattered' then
    local runs = redis.call('HMGET', ctx.keys.rowRun, unpack(rows))
    for i, row in ipairs(rows) do
      if tonumber(runs[i]) >= qty then
        local start = bestRunStart(redis.call('HGET', ctx.keys.seats, row), qty)
        local seats = {}
        for num = start, start + qty - 1 do
          seats[#seats + 1] = row .. num
        end
        return seats
      end
    end
    if mode == 'adjacent' then
      return {}
    end
  end
  local free = redis.call('HMGET', ctx.keys.rowFree, unpack(rows))
  local total = 0
  for i = 1, #rows do
    total = total + tonumber(free[i])
  end
  if total < qty and not allowFewer then
    return {}
  end
  local seats = {}
  for i, row in ipairs(rows) do
    local want = qty - #seats
    if want == 0 then
      break
    end
    if tonumber(free[i]) > 0 then
      for _, num in ipairs(freeSeatsFromMiddle(redis.call('HGET', ctx.keys.seats, row), want)) do
        seats[#seats + 1] = row .. num
      end
    end
  end
  return seats
end
