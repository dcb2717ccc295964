-- Cancels a booking: its seats go back on sale (to waiting lists first), exactly once; a
-- booking of seats held from a block gives them back to the block while it is active.
-- KEYS[1] event hash
-- ARGV[1] event id
-- ARGV[2] booking id (the event-local part)
-- ARGV[3] payment token digest of the booked hold, '' when an operator cancels
-- ARGV[4] '1' when an operator (admin token checked by the caller) cancels, else '0'
-- ARGV[5] how long records outlive their end, ms (for offers made on the way)
-- Returns {1, effects, booking fields...}   cancelled now
--         {2, effects, booking fields...}   cancelled before: a replay
--         {-4, effects}                     booking not found
--         {-5, effects}                     token does not match
--@include args
--@include waitlist

local eventId = nonEmpty(ARGV[1], 'event id')
local bookingLocalId = nonEmpty(ARGV[2], 'booking id')
local asAdmin = ARGV[4] == '1'
if not asAdmin then
  nonEmpty(ARGV[3], 'token digest')
end
local retentionMs = nonNegativeInt(ARGV[5], 'retention')

local ctx = newContext(KEYS[1], eventId)
local key = ctx.keys.booking(bookingLocalId)
local booking = readRecord(key)
if not booking then
  return reply(ctx, -4)
end
if not asAdmin then
  local digest = booking.token
  if not digest then
    -- a version-1 booking: the token is on its hold
    local holdLocal = string.match(booking.hold_id, '%.(.+)$')
    digest = redis.call('HGET', ctx.keys.hold(holdLocal), 'token')
  end
  if digest ~= ARGV[3] then
    return reply(ctx, -5)
  end
end
if booking.status == 'cancelled' then
  return reply(ctx, 2, unpack(flatten(booking)))
end
loadEvent(ctx)
local ids = { 'hold_id', booking.hold_id, 'booking_id', publicId(ctx, bookingLocalId) }
local lines = decodeLines(booking.lines or booking.qty)
local block = booking.block and blockOf(ctx, booking.block)
if block and block.status == 'active' then
  ids[#ids + 1] = 'block_id'
  ids[#ids + 1] = publicId(ctx, block.id)
  moveLines(ctx, lines, 'booked', 'blocked', 'booking.cancelled', ids)
  blockGive(block, lines)
  blockSave(ctx, block)
else
  moveLines(ctx, lines, 'booked', 'available', 'booking.cancelled', ids)
end
redis.call('HSET', key, 'status', 'cancelled', 'cancelled_at', ctx.now)
serveFreed(ctx, retentionMs)
return reply(ctx, 1, unpack(flatten(readRecord(key))))
