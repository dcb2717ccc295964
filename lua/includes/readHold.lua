-- The hold's fields as a table, or nil when there is no such hold.
local function readHold(holdKey)
  local flat = redis.call('HGETALL', holdKey)
  if #flat == 0 then
    return nil
  end
  local hold = {}
  for i = 1, #flat, 2 do
    hold[flat[i]] = flat[i + 1]
  end
  return hold
end
