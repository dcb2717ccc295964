-- Takes an entry off its waiting list; an offered, unbooked hold is released and its seats
-- go to the next entry. Those behind a leaving entry may now be served.
-- KEYS[1] event hash
-- ARGV[1] event id
-- ARGV[2] entry id (the event-local part)
-- ARGV[3] entry token digest
-- ARGV[4] how long records outlive their end, ms
-- Returns {1, effects, entry fields...}   left now
--         {2, effects, entry fields...}   had already ended (left or expired): as it is
--         {-4, effects}                   no such entry
--         {-5, effects}                   token does not match
--         {-7, effects}                   the entry's hold is booked
--@include args
--@include waitlist

local eventId = nonEmpty(ARGV[1], 'event id')
local entryId = nonEmpty(ARGV[2], 'entry id')
local tokenDigest = nonEmpty(ARGV[3], 'token digest')
local retentionMs = nonNegativeInt(ARGV[4], 'retention')

local ctx = newContext(KEYS[1], eventId)
local key = ctx.keys.entry(entryId)
local entry = readRecord(key)
if not entry then
  return reply(ctx, -4)
end
if entry.token ~= tokenDigest then
  return reply(ctx, -5)
end
if entry.status == 'booked' then
  return reply(ctx, -7)
end
if entry.status == 'left' or entry.status == 'expired' then
  return reply(ctx, 2, unpack(flatten(entry)))
end
loadEvent(ctx)
if entry.status == 'waiting' then
  redis.call('ZREM', ctx.keys.waitlist, entry.member)
  redis.call('HSET', key, 'status', 'left', 'ended_at', ctx.now)
  markChanged(ctx)
  -- the entries behind it may fit now: served as seats coming back are
  ctx.freed[entry.category] = true
  serveFreed(ctx, retentionMs)
  return reply(ctx, 1, unpack(flatten(readRecord(key))))
end
-- offered: the hold carries the entry's id
local holdKey = ctx.keys.hold(entryId)
local hold = readRecord(holdKey)
if hold and holdIsActive(ctx, entryId, hold) then
  endActiveHold(ctx, entryId, 'available', 'hold.released')
  redis.call('HSET', holdKey, 'status', 'released', 'released_at', ctx.now)
  redis.call('HSET', key, 'status', 'left', 'ended_at', ctx.now)
  serveFreed(ctx, retentionMs)
  return reply(ctx, 1, unpack(flatten(readRecord(key))))
end
-- the offer lapsed: it expires now, and the entry ends as expired
expireHold(ctx, entryId)
redis.call('HSET', key, 'status', 'expired')
serveFreed(ctx, retentionMs)
return reply(ctx, 2, unpack(flatten(readRecord(key))))
