-- Reads the seat map of an event's seated categories (one status string per row), after
-- giving back the seats of past-due holds, as the counts do. One category's rows come as
-- three strings (names, seat counts, statuses), so even 100,000 rows make a short reply.
-- KEYS[1] event hash
-- ARGV[1] event id
-- ARGV[2] most past-due holds to reclaim in this call
-- ARGV[3] how long records outlive their end, ms (for offers made on the way)
-- ARGV[4] category id to keep, '' for every seated category
-- ARGV[5] the version the reader saw, '' when none
-- Returns {1, effects, more_due, version, last_log_id, (cid, 'A,B,…' row names,
--          '20,20,…' seats per row, statuses concatenated) per seated category…}
--         {3, effects, version}  unchanged since the version the reader saw
--         {-1, effects}   event not found
--         {-16, effects}  no such category
--@include args
--@include waitlist

local eventId = nonEmpty(ARGV[1], 'event id')
local batch = positiveInt(ARGV[2], 'reclaim batch')
local retentionMs = nonNegativeInt(ARGV[3], 'retention')
local only = ARGV[4]
local knownVersion = ARGV[5] or ''

local ctx = newContext(KEYS[1], eventId)
if not loadEvent(ctx) then
  return reply(ctx, -1)
end
if only ~= '' and not cat(ctx, only) then
  return reply(ctx, -16)
end
local nextDue = redis.call('ZRANGE', ctx.keys.expiries, 0, 0, 'WITHSCORES')[2]
local noneDue = not nextDue or tonumber(nextDue) > ctx.now
if noneDue and knownVersion ~= '' and tostring(ctx.version) == knownVersion then
  return reply(ctx, 3, ctx.version)
end
upgradeEvent(ctx)
local moreDue = 0
if not noneDue then
  local _, due = reclaimDue(ctx, batch)
  moreDue = due
  serveFreed(ctx, retentionMs)
end
commit(ctx)
local last = redis.call('XREVRANGE', ctx.keys.log, '+', '-', 'COUNT', 1)[1]
local rest = { moreDue, ctx.version, last and last[1] or '0' }
for _, cid in ipairs(ctx.categories) do
  if (only == '' or only == cid) and cat(ctx, cid).kind == 'seated' then
    local rows = categoryRows(ctx, cid, cat(ctx, cid).groups)
    local names = table.concat(rows, ',')
    local statuses = hmgetMany(ctx.keys.seats, rows)
    local sizes = {}
    for i, status in ipairs(statuses) do
      sizes[i] = #status
    end
    rest[#rest + 1] = cid
    rest[#rest + 1] = names
    rest[#rest + 1] = table.concat(sizes, ',')
    rest[#rest + 1] = table.concat(statuses)
  end
end
return replyWith(ctx, 1, rest)
