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

-- Any string, '' included (an optional text the caller always sends).
local function stringArg(value, name)
  if type(value) ~= 'string' then
    error('bad argument ' .. name)
  end
  return value
end

-- 'open' | 'paused' (or '' when `optional`, meaning unchanged)
local function salesArg(value, name, optional)
  if value == 'open' or value == 'paused' or (optional and value == '') then
    return value
  end
  error('bad argument ' .. name .. ': ' .. tostring(value))
end

-- Category and quota ids: 1-32 of [a-z0-9_-], as the API allows; they become hash fields
-- and list members separated by ',' and ':', so nothing else may get through.
local function idArg(value, name)
  if type(value) ~= 'string' or not string.find(value, '^[a-z0-9_-]+$') or #value > 32 then
    error('bad argument ' .. name .. ': ' .. tostring(value))
  end
  return value
end
