-- Takes an event's queue away, with every ticket (UNLINK: freed in the background, so a
-- queue of any size goes in O(1) here). Holds need no admission afterwards.
-- KEYS[1] event hash
-- KEYS[2] queue hash
-- KEYS[3] order zset
-- KEYS[4] admission segments zset
-- KEYS[5] tickets hash
-- KEYS[6] ticket holds hash
-- Returns {1}, {-1} no such event, {-2} no queue.

if redis.call('EXISTS', KEYS[2]) == 0 then
  if redis.call('EXISTS', KEYS[1]) == 0 then
    return {-1}
  end
  return {-2}
end
redis.call('UNLINK', KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6])
return {1}
