-- Books an active hold, exactly once: SET NX on the hold's marker decides the one booking;
-- every later call with the right token gets that booking again, as it now is.
-- KEYS[1] event hash
-- ARGV[1] event id
-- ARGV[2] hold id (the event-local part)
-- ARGV[3] payment token digest
-- ARGV[4] new booking id (the event-local part)
-- ARGV[5] how long records outlive their end, ms (for offers made on the way)
-- Returns {1, effects, booking fields...}   booked now
--         {2, effects, booking fields...}   booked before: a replay
--         {-4, effects}                     hold not found
--         {-5, effects}                     token does not match
--         {-6, effects, 'expired' | 'released'}  the hold is gone
--@include args
--@include waitlist

local eventId = nonEmpty(ARGV[1], 'event id')
local localId = nonEmpty(ARGV[2], 'hold id')
local tokenDigest = nonEmpty(ARGV[3], 'token digest')
local bookingLocalId = nonEmpty(ARGV[4], 'booking id')
local retentionMs = nonNegativeInt(ARGV[5], 'retention')

local ctx = newContext(KEYS[1], eventId)
local key = ctx.keys.hold(localId)
local hold, refused = holdOfHolder(ctx, localId, tokenDigest)
if not hold then
  return reply(ctx, refused)
end
local marker = ctx.keys.bookedMarker(localId)
local existing = redis.call('GET', marker)
if existing then
  local bookingLocal = string.match(existing, '%.(.+)$') or existing
  return reply(ctx, 2, existing, unpack(flatten(readRecord(ctx.keys.booking(bookingLocal)) or {})))
end
if hold.status == 'released' or hold.status == 'expired' then
  return reply(ctx, -6, hold.status)
end
loadEvent(ctx)
if not holdIsActive(ctx, localId, hold) then
  -- Past due, or no longer counted as active (a reclaim gave its seats back, and Redis's
  -- clock may since read earlier): refused as expired, its seats never sold twice.
  expireHold(ctx, localId)
  serveFreed(ctx, retentionMs)
  return reply(ctx, -6, 'expired')
end

local bookingId = publicId(ctx, bookingLocalId)
-- The seats move first (every check before any write); the marker was seen absent above, so
-- this SET NX is the one booking of the hold.
endActiveHold(ctx, localId, 'booked', 'booking.created', { 'booking_id', bookingId })
redis.call('SET', marker, bookingId, 'NX')
redis.call('HSET', key, 'status', 'booked', 'booking_id', bookingId, 'booked_at', ctx.now)
redis.call('PERSIST', key)
local bookingKey = ctx.keys.booking(bookingLocalId)
redis.call('HSET', bookingKey, 'hold_id', publicId(ctx, localId), 'event_id', eventId, 'qty', hold.qty,
  'lines', hold.lines or ('general=' .. hold.qty), 'status', 'confirmed', 'created_at', ctx.now, 'token', tokenDigest)
if hold.seats then
  redis.call('HSET', bookingKey, 'seats', hold.seats)
end
if hold.block then
  -- a booking of house seats: cancelled, they go back to the block while it is active
  redis.call('HSET', bookingKey, 'block', hold.block)
end
if hold.entry then
  redis.call('HSET', bookingKey, 'entry', hold.entry)
  redis.call('HSET', ctx.keys.entry(hold.entry), 'status', 'booked', 'booking_id', bookingId)
end
return reply(ctx, 1, bookingId, unpack(flatten(readRecord(bookingKey))))
