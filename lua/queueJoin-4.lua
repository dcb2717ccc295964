-- Adds a ticket to an event's queue. Before the opening its place is the random score Node
-- drew (crypto); from the opening on, after every ticket before it, in arrival order.
-- KEYS[1] queue hash
-- KEYS[2] order zset (ticket local id -> place)
-- KEYS[3] admission segments zset
-- KEYS[4] tickets hash (ticket local id -> token digest)
-- ARGV[1] ticket local id
-- ARGV[2] ticket token digest
-- ARGV[3] random score: an integer in [0, 2^52), as a decimal string
-- Returns {1, position (-1 before the opening), joined_at_ms, newly admitted} or {-1} when the
-- event has no queue. The answer is the ticket as it joined: waiting. When the allowance has
-- room it is admitted in that same ms, which the next read shows.
--@include serverTime
--@include args
--@include admission

nonEmpty(ARGV[1], 'ticket id')
nonEmpty(ARGV[2], 'token digest')
nonNegativeInt(ARGV[3], 'random score')
local s = queueLoad(KEYS[1])
if not s then
  return {-1}
end
local now = serverTimeMs()
local admitted = queueAdvance(s, now)
if s.joined == s.adm then
  -- nobody waits: a new run of admissions starts with this ticket
  queueStartSegment(KEYS[3], s)
end
local position, score = -1, ARGV[3]
if s.opened == 1 then
  position = s.joined - s.adm + 1
  score = queueInt(QUEUE_LATE + s.joined)
end
redis.call('ZADD', KEYS[2], score, ARGV[1])
redis.call('HSET', KEYS[4], ARGV[1], ARGV[2])
s.joined = s.joined + 1
queueSave(KEYS[1], s)
return {1, position, now, admitted}
