-- A hold's seats per category, as stored in the hold record and the active-holds hash:
-- `cid=qty@A1,A2;cid2=qty` (seat ids only for seated categories). A version-1 record holds
-- a bare count, which is the `general` category.
local function decodeLines(text)
  local lines = {}
  if string.find(text, '^%d+$') then
    lines[1] = { categoryId = 'general', qty = tonumber(text), seats = nil }
    return lines
  end
  for part in string.gmatch(text, '[^;]+') do
    local cid, qty, seatList = string.match(part, '^([^=]+)=(%d+)@?(.*)$')
    local seats = nil
    if seatList and seatList ~= '' then
      seats = {}
      for seat in string.gmatch(seatList, '[^,]+') do
        seats[#seats + 1] = seat
      end
    end
    lines[#lines + 1] = { categoryId = cid, qty = tonumber(qty), seats = seats }
  end
  return lines
end

local function encodeLines(lines)
  local parts = {}
  for i, line in ipairs(lines) do
    local part = line.categoryId .. '=' .. line.qty
    if line.seats and #line.seats > 0 then
      part = part .. '@' .. table.concat(line.seats, ',')
    end
    parts[i] = part
  end
  return table.concat(parts, ';')
end

local function linesTotal(lines)
  local total = 0
  for _, line in ipairs(lines) do
    total = total + line.qty
  end
  return total
end
