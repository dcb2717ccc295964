-- Flips an active hold whose expires_at has passed to "expired", giving its seats back
-- unless a reclaim already did. Returns nil when the hold is not past due, else
-- 1 when this call gave the seats back, 0 when they were already back.
local function expireIfDue(eventKey, expiriesKey, activeKey, holdKey, holdId, hold, nowMs)
  if nowMs < tonumber(hold.expires_at) then
    return nil
  end
  local gaveBack = releaseActiveSeats(eventKey, expiriesKey, activeKey, holdId, tonumber(hold.qty), 'available')
  redis.call('HSET', holdKey, 'status', 'expired')
  if gaveBack then
    return 1
  end
  return 0
end
