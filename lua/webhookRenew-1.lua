-- Extends a lease its owner still holds (while an attempt is under way).
-- KEYS[1] the lease of a (webhook, event) (string: the owner)
-- ARGV[1] owner
-- ARGV[2] lease length, ms
-- Returns 1 renewed, 0 the lease is gone or another's

if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
