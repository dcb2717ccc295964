-- Moves one active hold's seats from held to `toField` ("available" or "booked") and
-- forgets it as active. Returns false when the hold was no longer counted as active
-- (a reclaim already gave its seats back), so nothing moves twice.
local function releaseActiveSeats(eventKey, expiriesKey, activeKey, holdId, qty, toField)
  if redis.call('HDEL', activeKey, holdId) == 0 then
    return false
  end
  redis.call('ZREM', expiriesKey, holdId)
  redis.call('HINCRBY', eventKey, 'held', -qty)
  redis.call('HINCRBY', eventKey, toField, qty)
  return true
end
