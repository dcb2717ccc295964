--@include seatmap
--@include log
--@include event
-- The one place that moves seats: a category's counts, its named seats' states and the
-- audit entry, together. Every script that gives, takes, books or returns seats calls it;
-- it refuses (and writes nothing for this line) when the counts or seats disagree.
-- line: {categoryId, qty, seats = {'A1', ...} | nil}; from/to: available | held | booked
-- holdId: public hold id; extra: further log fields (booking_id, entry_id, expires_at)
local function moveSeats(ctx, line, from, to, entryType, holdId, extra)
  upgradeEvent(ctx)
  local cid, qty = line.categoryId, line.qty
  if type(qty) ~= 'number' or qty < 1 or qty ~= math.floor(qty) then
    error('bad seat count ' .. tostring(qty))
  end
  local p = 'c:' .. cid .. ':'
  local have = tonumber(redis.call('HGET', ctx.keys.event, p .. from))
  if not have or have < qty then
    error('category ' .. cid .. ' has ' .. tostring(have) .. ' ' .. from .. ', cannot move ' .. qty)
  end
  -- Every check before the first write: a Lua error keeps the writes made before it.
  local seated = redis.call('HGET', ctx.keys.event, p .. 'kind') == 'seated'
  if seated ~= (line.seats ~= nil) then
    error('category ' .. cid .. (seated and ' is seated: name the seats' or ' has no named seats'))
  end
  local byRow, rowOrder, seen, bytesOf = {}, {}, {}, {}
  if line.seats then
    if #line.seats ~= qty then
      error('seat list does not match qty')
    end
    for _, seat in ipairs(line.seats) do
      local row, num = parseSeatId(seat)
      if not row or seen[seat] then
        error('bad or repeated seat id ' .. seat)
      end
      seen[seat] = true
      if not byRow[row] then
        byRow[row] = {}
        rowOrder[#rowOrder + 1] = row
      end
      table.insert(byRow[row], num)
    end
    for _, row in ipairs(rowOrder) do
      bytesOf[row] = checkRowSeats(ctx, row, byRow[row], from)
    end
  end
  redis.call('HINCRBY', ctx.keys.event, p .. from, -qty)
  redis.call('HINCRBY', ctx.keys.event, p .. to, qty)
  redis.call('HINCRBY', ctx.keys.event, from, -qty)
  redis.call('HINCRBY', ctx.keys.event, to, qty)
  for _, row in ipairs(rowOrder) do
    writeRowSeats(ctx, row, bytesOf[row], byRow[row], from, to)
  end
  local fields = { 'category_id', cid, 'qty', qty, 'hold_id', holdId }
  if line.seats then
    fields[#fields + 1] = 'seats'
    fields[#fields + 1] = table.concat(line.seats, ',')
  end
  for _, value in ipairs(extra or {}) do
    fields[#fields + 1] = value
  end
  logEntry(ctx, entryType, fields)
  if to == 'available' then
    ctx.freed[cid] = true
  end
end
