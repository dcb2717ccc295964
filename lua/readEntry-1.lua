-- Reads a waiting-list entry with its place in line and its offered hold's state.
-- KEYS[1] event hash
-- ARGV[1] entry id (the event-local part)
-- Returns {now_ms, position (0 unless waiting), hold_counted_active (1/0), hold_status,
--          hold_expires_at, entry fields...} (no entry fields when there is no such entry)
--@include serverTime
--@include keys

local k = eventKeysOf(KEYS[1])
local now = serverTimeMs()
local flat = redis.call('HGETALL', k.entry(ARGV[1]))
if #flat == 0 then
  return {now, 0, 0, '', ''}
end
local entry = {}
for i = 1, #flat, 2 do
  entry[flat[i]] = flat[i + 1]
end
local position = 0
if entry.status == 'waiting' then
  position = redis.call('ZLEXCOUNT', k.waitlist, '[' .. entry.category .. ':', '[' .. entry.member)
end
local hold = redis.call('HMGET', k.hold(ARGV[1]), 'status', 'expires_at')
local counted = redis.call('HEXISTS', k.active, ARGV[1])
return {now, position, counted, hold[1] or '', hold[2] or '', unpack(flat)}
