--@include seatmap
--@include lines
--@include log
--@include event
-- The one place that moves seats: a category's counts, its named seats' states, the quotas
-- holding it and the audit entry, together. Every script that gives, takes, books, blocks or
-- returns seats calls moveLines; it checks every line (counts, each named seat's state, the
-- room of every quota a seat leaves `available` against) before it changes any, so a refusal
-- (a Lua error: callers check first, so one is a bug) leaves nothing half moved.
-- lines: {{categoryId, qty, seats = {'A1', ...} | nil}, ...}
-- from/to: available | held | booked | blocked
-- ids: flat list of the entry's further fields (hold_id, booking_id, entry_id, block_id, expires_at)

local function checkLine(ctx, line, from)
  local cid, qty = line.categoryId, line.qty
  if type(qty) ~= 'number' or qty < 1 or qty ~= math.floor(qty) then
    error('bad seat count ' .. tostring(qty))
  end
  local c = cat(ctx, cid)
  if not c then
    error('no category ' .. tostring(cid))
  end
  if c[from] < qty then
    error('category ' .. cid .. ' has ' .. c[from] .. ' ' .. from .. ', cannot move ' .. qty)
  end
  if (c.kind == 'seated') ~= (line.seats ~= nil) then
    error('category ' .. cid .. (c.kind == 'seated' and ' is seated: name the seats' or ' has no named seats'))
  end
  local checked = { line = line, byRow = {}, rowOrder = {} }
  if line.seats then
    if #line.seats ~= qty then
      error('seat list does not match qty')
    end
    local seen = {}
    for _, seat in ipairs(line.seats) do
      local row, num = parseSeatId(seat)
      local r = row and rowState(ctx, row)
      if not r or r.categoryId ~= cid or seen[seat] then
        error('bad or repeated seat id ' .. tostring(seat) .. ' for category ' .. cid)
      end
      seen[seat] = true
      if not checked.byRow[row] then
        checked.byRow[row] = {}
        checked.rowOrder[#checked.rowOrder + 1] = r
      end
      table.insert(checked.byRow[row], num)
    end
    for _, r in ipairs(checked.rowOrder) do
      checkRowSeats(r, checked.byRow[r.row], from)
    end
  end
  return checked
end

-- Seats that leave `available` take room in every quota of their category.
local function checkQuotaRoom(ctx, lines, from, to)
  if from ~= 'available' or to == 'available' then
    return
  end
  local need = {}
  for _, line in ipairs(lines) do
    for _, qid in ipairs(cat(ctx, line.categoryId).quotas) do
      need[qid] = (need[qid] or 0) + line.qty
    end
  end
  for qid, n in pairs(need) do
    local q = quota(ctx, qid)
    if q.used + n > q.capacity then
      error('quota ' .. qid .. ' has room for ' .. (q.capacity - q.used) .. ', cannot take ' .. n)
    end
  end
end

local function writeLine(ctx, checked, from, to, entryType, ids)
  local line = checked.line
  local cid = line.categoryId
  addCount(ctx, cid, from, -line.qty)
  addCount(ctx, cid, to, line.qty)
  for _, r in ipairs(checked.rowOrder) do
    writeRowSeats(ctx, r, checked.byRow[r.row], from, to)
  end
  local fields = { 'category_id', cid, 'qty', line.qty }
  for _, value in ipairs(ids or {}) do
    fields[#fields + 1] = value
  end
  if line.seats then
    fields[#fields + 1] = 'seats'
    fields[#fields + 1] = table.concat(line.seats, ',')
  end
  logEntry(ctx, entryType, fields)
  if to == 'available' then
    ctx.freed[cid] = true
  end
end

local function moveLines(ctx, lines, from, to, entryType, ids)
  if from == to or not SEAT_CHAR[from] or not SEAT_CHAR[to] then
    error('bad move ' .. tostring(from) .. ' -> ' .. tostring(to))
  end
  upgradeEvent(ctx)
  local checked, seen = {}, {}
  for i, line in ipairs(lines) do
    if seen[line.categoryId] then
      error('category ' .. tostring(line.categoryId) .. ' twice in one move')
    end
    seen[line.categoryId] = true
    checked[i] = checkLine(ctx, line, from)
  end
  checkQuotaRoom(ctx, lines, from, to)
  for _, c in ipairs(checked) do
    writeLine(ctx, c, from, to, entryType, ids)
  end
end
