-- Reads the seat map of an event's seated categories (one status string per row), after
-- giving back the seats of past-due holds, as the counts do.
-- KEYS[1] event hash
-- ARGV[1] event id
-- ARGV[2] most past-due holds to reclaim in this call
-- ARGV[3] how long records outlive their end, ms (for offers made on the way)
-- ARGV[4] category id to keep, '' for every seated category
-- Returns {1, effects, more_due, row, cid, seats, status, (per row)…}
--         {-1, effects}   event not found
--         {-16, effects}  no such category
--@include args
--@include waitlist

local eventId = nonEmpty(ARGV[1], 'event id')
local batch = positiveInt(ARGV[2], 'reclaim batch')
local retentionMs = nonNegativeInt(ARGV[3], 'retention')
local only = ARGV[4]

local ctx = newContext(KEYS[1], eventId)
if not loadEvent(ctx) then
  return {-1, effectsReply(ctx)}
end
if only ~= '' and not hasCategory(ctx, only) then
  return {-16, effectsReply(ctx)}
end
upgradeEvent(ctx)
local _, moreDue = reclaimDue(ctx, batch)
serveFreed(ctx, retentionMs)
local reply = {1, effectsReply(ctx), moreDue}
for _, cid in ipairs(ctx.categories) do
  if only == '' or only == cid then
    local rows = categoryRows(ctx, cid)
    if #rows > 0 then
      local statuses = redis.call('HMGET', ctx.keys.seats, unpack(rows))
      for i, row in ipairs(rows) do
        reply[#reply + 1] = row
        reply[#reply + 1] = cid
        reply[#reply + 1] = #statuses[i]
        reply[#reply + 1] = statuses[i]
      end
    end
  end
end
return reply
