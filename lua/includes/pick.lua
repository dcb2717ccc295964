--@include seatmap
--@include event
-- Best available: rows best first; in a row, the seats closest to its middle. Reads the
-- category's summaries of its row groups (2 bytes a group), one group's summaries of its rows
-- at a time, and the seat string of the rows it takes from: its work grows with the number of
-- groups (rows / ROW_GROUP), never with the number of seats.

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

-- The best run of qty adjacent seats of a category: the first row (best first) that has one.
local function adjacentRun(ctx, c, qty)
  local runs = categorySummaries(ctx, c.id).runs
  for g = 0, c.groups - 1 do
    if u16At(runs, g + 1) >= qty then
      local grp = rowGroup(ctx, c.id, g)
      for i = 1, #grp.runs / 2 do
        if u16At(grp.runs, i) >= qty then
          local name = groupRowName(grp, i)
          local start = bestRunStart(rowState(ctx, name).status, qty)
          local seats = {}
          for num = start, start + qty - 1 do
            seats[#seats + 1] = name .. num
          end
          return seats
        end
      end
    end
  end
  return nil
end

-- Up to qty free seats of a category row by row, best row first, each row's from its middle.
local function scatteredSeats(ctx, c, qty)
  local frees = categorySummaries(ctx, c.id).frees
  local seats = {}
  for g = 0, c.groups - 1 do
    if #seats == qty then
      break
    end
    if u16At(frees, g + 1) > 0 then
      local grp = rowGroup(ctx, c.id, g)
      for i = 1, #grp.frees / 2 do
        local want = qty - #seats
        if want == 0 then
          break
        end
        if u16At(grp.frees, i) > 0 then
          for _, num in ipairs(freeSeatsFromMiddle(rowState(ctx, groupRowName(grp, i)).status, want)) do
            seats[#seats + 1] = groupRowName(grp, i) .. num
          end
        end
      end
    end
  end
  return seats
end

-- Picks `qty` seats of a seated category. mode: 'adjacent' (one run or nothing),
-- 'scattered' (row by row), 'prefer' (a run when there is one, else scattered). With
-- allowFewer, scattered picking returns what there is. Returns a list of seat ids in row
-- order, then by number (possibly shorter than qty, or empty).
local function pickSeats(ctx, cid, qty, mode, allowFewer)
  local c = cat(ctx, cid)
  ensureGroups(ctx, c)
  if c.groups == 0 or qty < 1 then
    return {}
  end
  if mode ~= 'scattered' then
    local run = adjacentRun(ctx, c, qty)
    if run then
      return run
    end
    if mode == 'adjacent' then
      return {}
    end
  end
  if c.available < qty and not allowFewer then
    return {}
  end
  return scatteredSeats(ctx, c, qty)
end
