-- Reads an event's queue as of Redis's clock (bringing the schedule up to now).
-- KEYS[1] event hash
-- KEYS[2] queue hash
-- Returns {1, opens_at, admit_per_minute, admission_ttl_s, joined, admitted, newly admitted},
-- {-1} no such event, {-2} no queue.
--@include serverTime
--@include admission

local s = queueLoad(KEYS[2])
if not s then
  if redis.call('EXISTS', KEYS[1]) == 0 then
    return {-1}
  end
  return {-2}
end
local admitted = queueAdvance(s, serverTimeMs())
if admitted > 0 then
  queueSave(KEYS[2], s)
end
return {1, s.opensAt, s.apm, s.ttl, s.joined, s.adm, admitted}
