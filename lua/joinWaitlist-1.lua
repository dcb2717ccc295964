-- Puts a customer on a category's waiting list; when nobody waits before it and the seats
-- (and room in the category's quotas) are there, it is offered a hold at once. Idempotent on
-- the entry id.
-- KEYS[1] event hash
-- ARGV[1] event id
-- ARGV[2] entry id (the event-local part)
-- ARGV[3] entry token digest
-- ARGV[4] category id, '' when not named
-- ARGV[5] qty
-- ARGV[6] ttl of the hold it will be offered, ms
-- ARGV[7] the service's per-hold seat limit
-- ARGV[8] most past-due holds to reclaim first
-- ARGV[9] how long records outlive their end, ms
-- ARGV[10] admission ticket id (the event-local part), '' when none was sent
-- ARGV[11] admission token digest, '' when none
-- ARGV[12] '1' when the caller has just reclaimed every past-due hold, else '0'
-- Returns {1, effects, status, position, category_id}  joined ('waiting' or 'offered'; position 0 when offered)
--         {2, effects, status, position, category_id}  the entry already exists (a retry)
--         {-1, effects}          event not found
--         {-2, effects, 0, 1}    more past-due holds than one batch: reclaim them all, ask again
--         {-3, effects, limit}   qty above the per-hold limit
--         {-10, effects}         the entry id is taken by another attempt
--         {-16, effects, cid}    unknown category ('' : category_id required)
--         {-20, effects, total}  qty above the category's total
--         {-22, effects, cid}    the category is not on sale
--         {-30 | -31, effects}   admission required / the admission already has an active
--                                hold or waiting-list entry
--@include args
--@include waitlist
--@include admission

local eventId = nonEmpty(ARGV[1], 'event id')
local entryId = nonEmpty(ARGV[2], 'entry id')
local tokenDigest = nonEmpty(ARGV[3], 'token digest')
local cid = ARGV[4]
local qty = positiveInt(ARGV[5], 'qty')
local ttlMs = positiveInt(ARGV[6], 'ttl')
local serviceMax = positiveInt(ARGV[7], 'max qty')
local batch = positiveInt(ARGV[8], 'reclaim batch')
local retentionMs = nonNegativeInt(ARGV[9], 'retention')

local ctx = newContext(KEYS[1], eventId)
if not loadEvent(ctx) then
  return reply(ctx, -1)
end
local key = ctx.keys.entry(entryId)

local function entryReply(code, entry)
  local position = 0
  if entry.status == 'waiting' then
    position = waitPosition(ctx, entry.category, entry.member)
  end
  return reply(ctx, code, entry.status, position, entry.category)
end

local existing = readRecord(key)
if existing then
  if existing.token ~= tokenDigest then
    return reply(ctx, -10)
  end
  return entryReply(2, existing)
end
if cid == '' then
  if #ctx.categories ~= 1 then
    return reply(ctx, -16, '')
  end
  cid = ctx.categories[1]
end
local c = cat(ctx, cid)
if not c then
  return reply(ctx, -16, cid)
end
local limit = perHoldLimit(ctx, serviceMax)
if qty > limit then
  return reply(ctx, -3, limit)
end
if qty > c.total then
  return reply(ctx, -20, c.total)
end
local gate = admissionGate(ctx, ARGV[10], ARGV[11], true)
if gate then
  return reply(ctx, gate)
end
if not onSale(ctx, c) then
  return reply(ctx, -22, cid)
end
upgradeEvent(ctx)

local _, moreDue = reclaimDue(ctx, batch)
serveFreed(ctx, retentionMs)
if moreDue == 1 and ARGV[12] ~= '1' then
  return reply(ctx, -2, 0, 1)
end
local seq = redis.call('HINCRBY', ctx.keys.event, 'waitlist_seq', 1)
local member = cid .. ':' .. string.format('%015d', seq) .. ':' .. entryId
redis.call('HSET', key, 'category', cid, 'qty', qty, 'ttl_ms', ttlMs, 'token', tokenDigest,
  'status', 'waiting', 'member', member, 'created_at', ctx.now)
redis.call('ZADD', ctx.keys.waitlist, 0, member)
markChanged(ctx)
-- Served like seats coming back: when it is the head and the seats are there, offered now.
serveLists(ctx, { [cid] = true }, retentionMs)
-- the admission it came in with now has this entry (and, offered, its hold)
admissionBind(ctx, ARGV[10], entryId)
return entryReply(1, readRecord(key))
