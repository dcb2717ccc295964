-- Reads a waiting-list entry with its place in line and its offered hold's state, after
-- giving back the seats of past-due holds (to waiting lists first), so that a lapsed offer
-- has passed its seats on by the time anyone reads the list.
-- KEYS[1] event hash
-- ARGV[1] entry id (the event-local part)
-- ARGV[2] event id
-- ARGV[3] most past-due holds to reclaim in this call
-- ARGV[4] how long records outlive their end, ms (for offers made on the way)
-- Returns {1, effects, now_ms, position (0 unless waiting), hold_counted_active (1/0),
--          hold_status, hold_expires_at, more_due, entry fields...} (no entry fields when there
--          is no such entry; more_due 1: more past-due holds than one batch remain)
--@include args
--@include waitlist

local entryId = nonEmpty(ARGV[1], 'entry id')
local eventId = nonEmpty(ARGV[2], 'event id')
local batch = positiveInt(ARGV[3], 'reclaim batch')
local retentionMs = nonNegativeInt(ARGV[4], 'retention')

local ctx = newContext(KEYS[1], eventId)
local moreDue = 0
local entry = readRecord(ctx.keys.entry(entryId))
if not entry then
  return reply(ctx, 1, ctx.now, 0, 0, '', '', 0)
end
if loadEvent(ctx) then
  upgradeEvent(ctx)
  local _, due = reclaimDue(ctx, batch)
  moreDue = due
  serveFreed(ctx, retentionMs)
  entry = readRecord(ctx.keys.entry(entryId))
end
local position = 0
if entry.status == 'waiting' then
  position = waitPosition(ctx, entry.category, entry.member)
end
local hold = redis.call('HMGET', ctx.keys.hold(entryId), 'status', 'expires_at')
local counted = redis.call('HEXISTS', ctx.keys.active, entryId)
return reply(ctx, 1, ctx.now, position, counted, hold[1] or '', hold[2] or '', moreDue, unpack(flatten(entry)))
