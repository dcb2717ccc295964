-- Reads one event as one consistent snapshot: its counts per category, sales state, waiting
-- entries, what one hold could take, and its quotas, after giving back the seats of past-due
-- holds (to waiting lists first), so that an expired hold is never counted as held and its
-- hold.expired entry is in the log before the answer. A reader that saw a version may send it:
-- when nothing changed since (same version, no hold fallen due) the answer is just that.
-- KEYS[1] event hash
-- ARGV[1] event id
-- ARGV[2] most past-due holds to reclaim in this call
-- ARGV[3] how long records outlive their end, ms (for offers made on the way)
-- ARGV[4] the version the reader saw, '' when none
-- Returns {1, effects, more_due, version, name, created_at_ms, max_per_hold, sales, last_log_id,
--          category count, (cid, name, kind, sales, total, available, held, booked, blocked,
--          waiting, purchasable) per category…, (qid, capacity, categories, used) per quota…}
--         {3, effects, version}  unchanged since the version the reader saw
--         {-1, effects}          event not found
-- more_due is 1 when past-due holds remain (the batch was full): call again.
--@include args
--@include waitlist

local eventId = nonEmpty(ARGV[1], 'event id')
local batch = positiveInt(ARGV[2], 'reclaim batch')
local retentionMs = nonNegativeInt(ARGV[3], 'retention')
local knownVersion = ARGV[4] or ''

local ctx = newContext(KEYS[1], eventId)
if not loadEvent(ctx) then
  return reply(ctx, -1)
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
local e = redis.call('HMGET', ctx.keys.event, 'name', 'created_at', 'max_per_hold')
local last = redis.call('XREVRANGE', ctx.keys.log, '+', '-', 'COUNT', 1)[1]
local rest = { moreDue, ctx.version, e[1], tonumber(e[2]), e[3] or '', ctx.sales, last and last[1] or '0',
  #ctx.categories }
for _, cid in ipairs(ctx.categories) do
  local c = cat(ctx, cid)
  for _, value in ipairs({ cid, c.name, c.kind, c.sales, c.total, c.available, c.held, c.booked, c.blocked,
    waitingCount(ctx, cid), purchasable(ctx, c) }) do
    rest[#rest + 1] = value
  end
end
for _, qid in ipairs(ctx.quotaIds) do
  local q = quota(ctx, qid)
  rest[#rest + 1] = qid
  rest[#rest + 1] = q.capacity
  rest[#rest + 1] = table.concat(q.cats, ',')
  rest[#rest + 1] = q.used
end
return replyWith(ctx, 1, rest)
