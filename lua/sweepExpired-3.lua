-- Gives back the seats of an event's past-due holds, at most a batch of them; the
-- reconciler's safety net for expiry jobs that were lost.
-- KEYS[1] event hash
-- KEYS[2] expiries sorted set
-- KEYS[3] active holds hash
-- ARGV[1] most holds to reclaim
-- Returns the list of hold ids (event-local part) whose seats it gave back.
--@include serverTime
--@include reclaimExpired

return reclaimExpired(KEYS[1], KEYS[2], KEYS[3], serverTimeMs(), tonumber(ARGV[1]))
