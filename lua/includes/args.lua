-- Argument checks every script runs before its first write: a bad value is a bug of the
-- caller, so it fails loudly and changes nothing.
local function positiveInt(value, name)
  local n = tonumber(value)
  if not n or n < 1 or n ~= math.floor(n) or n >= 2 ^ 53 then
    error('bad argument ' .. name .. ': ' .. tostring(value))
  end
  return n
end

local function nonNegativeInt(value, name)
  local n = tonumber(value)
  if not n or n < 0 or n ~= math.floor(n) or n >= 2 ^ 53 then
    error('bad argument ' .. name .. ': ' .. tostring(value))
  end
  return n
end

local function nonEmpty(value, name)
  if type(value) ~= 'string' or value == '' then
    error('bad argument ' .. name)
  end
  return value
end
