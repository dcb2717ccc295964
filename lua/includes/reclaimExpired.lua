-- Gives the seats of at most `batch` past-due active holds back to available, oldest
-- first, and forgets them as active. Their hold records still say "active" until the
-- expiry job or the reconciler flips them; readers derive "expired" from expires_at.
-- Returns the ids it reclaimed.
local function reclaimExpired(eventKey, expiriesKey, activeKey, nowMs, batch)
  local due = redis.call('ZRANGE', expiriesKey, '-inf', nowMs, 'BYSCORE', 'LIMIT', 0, batch)
  if #due == 0 then
    return due
  end
  local quantities = redis.call('HMGET', activeKey, unpack(due))
  local seats = 0
  for _, qty in ipairs(quantities) do
    seats = seats + (tonumber(qty) or 0)
  end
  redis.call('HDEL', activeKey, unpack(due))
  redis.call('ZREM', expiriesKey, unpack(due))
  redis.call('HINCRBY', eventKey, 'held', -seats)
  redis.call('HINCRBY', eventKey, 'available', seats)
  return due
end
