-- Extends an active hold: expires_at becomes now + ttl, never past created_at + the longest
-- lifetime, never earlier than it is. A refused extension changes nothing.
-- KEYS[1] event hash
-- ARGV[1] event id
-- ARGV[2] hold id (the event-local part)
-- ARGV[3] payment token digest
-- ARGV[4] ttl, ms
-- ARGV[5] most extensions per hold
-- ARGV[6] longest lifetime of a hold from its created_at, ms
-- ARGV[7] how long the record outlives its expiry, ms
-- Returns {1, effects, hold fields...}        extended
--         {2, effects, hold fields...}        unchanged: now + ttl is not later than expires_at
--         {-4, effects}                       hold not found
--         {-5, effects}                       token does not match
--         {-6, effects, 'expired' | 'released'}  the hold is gone
--         {-7, effects}                       the hold is booked
--         {-19, effects, extensions_left}     no extension left, or at the lifetime bound
--@include args
--@include waitlist

local eventId = nonEmpty(ARGV[1], 'event id')
local localId = nonEmpty(ARGV[2], 'hold id')
local tokenDigest = nonEmpty(ARGV[3], 'token digest')
local ttlMs = positiveInt(ARGV[4], 'ttl')
local maxExtensions = nonNegativeInt(ARGV[5], 'max extensions')
local lifetimeMs = positiveInt(ARGV[6], 'lifetime')
local retentionMs = nonNegativeInt(ARGV[7], 'retention')

local ctx = newContext(KEYS[1], eventId)
local key = ctx.keys.hold(localId)
local hold, refused = holdOfHolder(ctx, localId, tokenDigest)
if not hold then
  return reply(ctx, refused)
end
if hold.status == 'booked' then
  return reply(ctx, -7)
end
if hold.status == 'released' or hold.status == 'expired' then
  return reply(ctx, -6, hold.status)
end
if not holdIsActive(ctx, localId, hold) then
  -- a hold past its expires_at is never revived: it expires now
  loadEvent(ctx)
  expireHold(ctx, localId)
  serveFreed(ctx, retentionMs)
  return reply(ctx, -6, 'expired')
end

local expiresAt = tonumber(hold.expires_at)
local used = tonumber(hold.extensions or 0)
local wanted = ctx.now + ttlMs
if wanted <= expiresAt then
  return reply(ctx, 2, unpack(flatten(hold)))
end
local bound = tonumber(hold.created_at) + lifetimeMs
if used >= maxExtensions or expiresAt >= bound then
  return reply(ctx, -19, math.max(0, maxExtensions - used))
end
local newExpiresAt = math.min(wanted, bound)
loadEvent(ctx)
upgradeEvent(ctx)
redis.call('HSET', key, 'expires_at', newExpiresAt, 'extensions', used + 1)
redis.call('PEXPIREAT', key, newExpiresAt + retentionMs)
redis.call('ZADD', ctx.keys.expiries, newExpiresAt, localId)
if hold.entry then
  redis.call('HSET', ctx.keys.entry(hold.entry), 'hold_expires_at', newExpiresAt)
end
local lines = decodeLines(hold.lines or hold.qty)
local holdId = publicId(ctx, localId)
for _, line in ipairs(lines) do
  local fields = { 'category_id', line.categoryId, 'qty', line.qty, 'hold_id', holdId, 'expires_at', newExpiresAt }
  if hold.block then
    fields[#fields + 1] = 'block_id'
    fields[#fields + 1] = publicId(ctx, hold.block)
  end
  logEntry(ctx, 'hold.extended', fields)
end
return reply(ctx, 1, unpack(flatten(readRecord(key))))
