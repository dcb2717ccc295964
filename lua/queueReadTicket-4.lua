-- Reads a queue ticket as of Redis's clock (bringing the schedule up to now).
-- KEYS[1] queue hash
-- KEYS[2] order zset
-- KEYS[3] admission segments zset
-- KEYS[4] tickets hash
-- ARGV[1] ticket local id
-- Returns {1, status, position, admitted_at_ms, admission_expires_at_ms, newly admitted},
-- status 'waiting' | 'admitted' | 'expired', -1 for a value that does not apply (position
-- before the opening or once admitted); {-1} no queue, {-2} no such ticket.
--@include serverTime
--@include admission

local s = queueLoad(KEYS[1])
if not s then
  return {-1}
end
if redis.call('HEXISTS', KEYS[4], ARGV[1]) == 0 then
  return {-2}
end
local now = serverTimeMs()
local admitted = queueAdvance(s, now)
if admitted > 0 then
  queueSave(KEYS[1], s)
end
local ticket = queueTicket({order = KEYS[2], admissions = KEYS[3]}, s, ARGV[1], now)
if not ticket then
  return {-2}
end
return {1, ticket.status, ticket.position or -1, ticket.admittedAt or -1, ticket.expiresAt or -1, admitted}
