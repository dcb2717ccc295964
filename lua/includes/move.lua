--@include seatmap
--@include log
--@include event
-- The one place that moves seats: a category's counts, its named seats' states and the
-- audit entry, together. Every script that gives, takes, books or returns seats calls
-- moveLines; it checks every line (counts, each named seat's state) before it writes any, so
-- a refusal (a Lua error) leaves nothing half moved.
-- lines: {{categoryId, qty, seats = {'A1', ...} | nil}, ...}; from/to: available | held | booked
-- holdId: public hold id; extra: further log fields (booking_id, entry_id, expires_at)

-- Checks one line and returns what writing it needs.
local function checkLine(ctx, line, from)
  local cid, qty = line.categoryId, line.qty
  if type(qty) ~= 'number' or qty < 1 or qty ~= math.floor(qty) then
    error('bad seat count ' .. tostring(qty))
  end
  local p = 'c:' .. cid .. ':'
  local have = tonumber(redis.call('HGET', ctx.keys.event, p .. from))
  if not have or have < qty then
    error('category ' .. cid .. ' has ' .. tostring(have) .. ' ' .. from .. ', cannot move ' .. qty)
  end
  local seated = redis.call('HGET', ctx.keys.event, p .. 'kind') == 'seated'
  if seated ~= (line.seats ~= nil) then
    error('category ' .. cid .. (seated and ' is seated: name the seats' or ' has no named seats'))
  end
  local checked = { line = line, prefix = p, byRow = {}, rowOrder = {}, bytesOf = {} }
  if line.seats then
    if #line.seats ~= qty then
      error('seat list does not match qty')
    end
    local seen = {}
    for _, seat in ipairs(line.seats) do
      local row, num = parseSeatId(seat)
      if not row or seen[seat] then
        error('bad or repeated seat id ' .. seat)
      end
      seen[seat] = true
      if not checked.byRow[row] then
        checked.byRow[row] = {}
        checked.rowOrder[#checked.rowOrder + 1] = row
      end
      table.insert(checked.byRow[row], num)
    end
    for _, row in ipairs(checked.rowOrder) do
      checked.bytesOf[row] = checkRowSeats(ctx, row, checked.byRow[row], from)
    end
  end
  return checked
end

local function writeLine(ctx, checked, from, to, entryType, holdId, extra)
  local line, p = checked.line, checked.prefix
  redis.call('HINCRBY', ctx.keys.event, p .. from, -line.qty)
  redis.call('HINCRBY', ctx.keys.event, p .. to, line.qty)
  redis.call('HINCRBY', ctx.keys.event, from, -line.qty)
  redis.call('HINCRBY', ctx.keys.event, to, line.qty)
  for _, row in ipairs(checked.rowOrder) do
    writeRowSeats(ctx, row, checked.bytesOf[row], checked.byRow[row], from, to)
  end
  local fields = { 'category_id', line.categoryId, 'qty', line.qty, 'hold_id', holdId }
  if line.seats then
    fields[#fields + 1] = 'seats'
    fields[#fields + 1] = table.concat(line.seats, ',')
  end
  for _, value in ipairs(extra or {}) do
    fields[#fields + 1] = value
  end
  logEntry(ctx, entryType, fields)
  if to == 'available' then
    ctx.freed[line.categoryId] = true
  end
end

local function moveLines(ctx, lines, from, to, entryType, holdId, extra)
  upgradeEvent(ctx)
  local checked = {}
  for i, line in ipairs(lines) do
    checked[i] = checkLine(ctx, line, from)
  end
  for _, c in ipairs(checked) do
    writeLine(ctx, c, from, to, entryType, holdId, extra)
  end
end
