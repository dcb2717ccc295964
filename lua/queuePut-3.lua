-- Puts an event behind an admission queue, or changes its queue from now on: the schedule
-- is first brought up to now at the old rate, so nobody is admitted again or skipped.
-- KEYS[1] event hash
-- KEYS[2] queue hash
-- KEYS[3] admission segments zset
-- ARGV[1] opens_at, ms (in the past: opens at once)
-- ARGV[2] admit_per_minute
-- ARGV[3] admission_ttl_s
-- Returns {1, opens_at, admit_per_minute, admission_ttl_s, joined, admitted, created (1|0),
--          newly admitted} or {-1} when there is no such event.
-- An opens_at later than now stops admissions until then (after the opening too: tickets
-- keep their places, and ones joining meanwhile still go in arrival order); at opens_at the
-- allowance is a full burst B. A new rate applies from now, the allowance cut to its burst.
--@include serverTime
--@include args
--@include admission

local opensAt = nonNegativeInt(ARGV[1], 'opens_at')
local apm = positiveInt(ARGV[2], 'admit_per_minute')
local ttl = positiveInt(ARGV[3], 'admission_ttl_s')
if redis.call('EXISTS', KEYS[1]) == 0 then
  return {-1}
end
local now = serverTimeMs()
local s = queueLoad(KEYS[2])
local created, admitted = 0, 0
if not s then
  created = 1
  s = {opensAt = opensAt, apm = apm, ttl = ttl, joined = 0, adm = 0, opened = 0,
       t = math.max(opensAt, now), u = queueFull(apm)}
else
  admitted = queueAdvance(s, now)
  local notStarted = s.t > now
  s.opensAt, s.apm, s.ttl = opensAt, apm, ttl
  if opensAt > now or notStarted then
    s.t = math.max(opensAt, now)
    s.u = queueFull(apm)
  else
    s.u = math.min(s.u, queueFull(apm))
  end
  if s.joined > s.adm then
    queueStartSegment(KEYS[3], s)
  end
end
if now >= opensAt then
  s.opened = 1
end
redis.call('HSET', KEYS[2], 'opens_at', queueInt(opensAt), 'apm', apm, 'ttl', ttl)
queueSave(KEYS[2], s)
return {1, opensAt, apm, ttl, s.joined, s.adm, created, admitted}
