-- Test-only: runs the admission gate as a hold script would, then "makes a hold".
-- KEYS[1] event hash
-- ARGV[1] ticket local id ('' when none)
-- ARGV[2] token digest
-- ARGV[3] '1' for a hold (the one-active-hold rule applies), '0' for a waiting-list join
-- ARGV[4] hold local id to make and bind when let through ('' for none)
-- ARGV[5] that hold's expires_at, ms
-- Returns {1} let through, {-30} / {-31} refused.
--@include serverTime
--@include admission

local base = string.sub(KEYS[1], 1, -7)
local ctx = {
  keys = {
    event = KEYS[1], active = base .. ':active', expiries = base .. ':expiries', queue = base .. ':queue',
    queueOrder = base .. ':queue:order', queueAdmissions = base .. ':queue:admissions',
    entry = function(id) return base .. ':entry:' .. id end,
  },
  now = serverTimeMs(),
}
local refused = admissionGate(ctx, ARGV[1], ARGV[2], ARGV[3] == '1')
if refused then
  return {refused}
end
if ARGV[4] ~= '' then
  redis.call('HSET', ctx.keys.active, ARGV[4], 1)
  redis.call('ZADD', ctx.keys.expiries, ARGV[5], ARGV[4])
  admissionBind(ctx, ARGV[1], ARGV[4])
end
return {1}
