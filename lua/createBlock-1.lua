-- Blocks seats: takes them out of sale for an operator (house seats, seats kept for the
-- production, broken seats), all or nothing. None of the public rules apply (per-hold limits,
-- waiting lists, sales state, admission); quotas do. Reclaims past-due holds first, as a hold
-- does. Idempotent on the block id.
-- KEYS[1] event hash
-- ARGV[1] event id
-- ARGV[2] block id (the event-local part)
-- ARGV[3] what is blocked: 'seats' | 'items'
-- ARGV[4] seats: 'A1,A2'; items: 'cid=qty;cid=qty'
-- ARGV[5] reason, '' when none
-- ARGV[6] most past-due holds to reclaim first
-- ARGV[7] '1' when the caller has just reclaimed every past-due hold, else '0'
-- ARGV[8] how long records outlive their end, ms (for offers made on the way)
-- Returns {1, effects, block fields…}       blocked
--         {2, effects, block fields…}       the block exists already (a retry)
--         {-1, effects}                     event not found
--         {-2, effects, 0, 1}               more past-due holds than one batch: reclaim them all, ask again
--         {-13, effects, 0, n, n × (cid, requested, available), quota triples…}  items short
--         {-14, effects, seat, …}           named seats held, booked or blocked
--         {-15, effects, seat, …}           seat ids the event does not have
--         {-16, effects, cid}               unknown category
--         {-26, effects, 'block_seats', 1000}  items whose seated lines take more than 1,000 seats
--         {-23, effects, quota triples…}    named seats: not enough room in quotas
--@include args
--@include waitlist

local eventId = nonEmpty(ARGV[1], 'event id')
local blockId = nonEmpty(ARGV[2], 'block id')
local mode = ARGV[3]
local spec = nonEmpty(ARGV[4], 'spec')
local reason = stringArg(ARGV[5], 'reason')
local batch = nonNegativeInt(ARGV[6], 'reclaim batch')
local retentionMs = nonNegativeInt(ARGV[8], 'retention')

local MAX_BLOCK_SEATS = 1000

local ctx = newContext(KEYS[1], eventId)
if not loadEvent(ctx) then
  return reply(ctx, -1)
end
local key = ctx.keys.block(blockId)
if redis.call('EXISTS', key) == 1 then
  return reply(ctx, 2, unpack(flatten(readRecord(key))))
end

local lines = {}
if mode == 'seats' then
  local unknown
  lines, unknown = namedSeatLines(ctx, spec, MAX_BLOCK_SEATS)
  if not lines then
    return replyWith(ctx, -15, unknown)
  end
elseif mode == 'items' then
  local unknown
  lines, unknown = itemLines(ctx, spec)
  if not lines then
    return reply(ctx, -16, unknown)
  end
  -- a block names at most 1,000 seats, picked or named (its general places are not seats)
  local seated = 0
  for _, line in ipairs(lines) do
    if cat(ctx, line.categoryId).kind == 'seated' then
      seated = seated + line.qty
    end
  end
  if seated > MAX_BLOCK_SEATS then
    return reply(ctx, -26, 'block_seats', MAX_BLOCK_SEATS)
  end
else
  error('bad argument mode ' .. tostring(mode))
end
if #lines == 0 then
  error('bad argument: nothing to block')
end
upgradeEvent(ctx)

local _, moreDue = reclaimDue(ctx, batch)
serveFreed(ctx, retentionMs)
if moreDue == 1 and ARGV[7] ~= '1' then
  return reply(ctx, -2, 0, 1)
end

if mode == 'seats' then
  local taken = {}
  for _, line in ipairs(lines) do
    for _, seat in ipairs(line.seats) do
      local row, num = parseSeatId(seat)
      if string.byte(rowState(ctx, row).status, num) ~= string.byte('A') then
        taken[#taken + 1] = seat
      end
    end
  end
  if #taken > 0 then
    return replyWith(ctx, -14, sortSeats(ctx, taken))
  end
  local short = quotaShortfall(ctx, lines)
  if #short > 0 then
    return replyWith(ctx, -23, short)
  end
else
  local short = {}
  for _, line in ipairs(lines) do
    local available = cat(ctx, line.categoryId).available
    if available < line.qty then
      for _, value in ipairs({ line.categoryId, line.qty, available }) do short[#short + 1] = value end
    end
  end
  local quotaShort = quotaShortfall(ctx, lines)
  if #short > 0 or #quotaShort > 0 then
    local refusal = { 0, #short / 3 }
    for _, value in ipairs(short) do refusal[#refusal + 1] = value end
    for _, value in ipairs(quotaShort) do refusal[#refusal + 1] = value end
    return replyWith(ctx, -13, refusal)
  end
  for _, line in ipairs(lines) do
    if cat(ctx, line.categoryId).kind == 'seated' then
      line.seats = pickSeats(ctx, line.categoryId, line.qty, 'prefer', false)
    end
  end
end

moveLines(ctx, lines, 'available', 'blocked', 'seats.blocked', { 'block_id', ctx.eventId .. '.' .. blockId })
local seq = redis.call('HINCRBY', ctx.keys.event, 'block_seq', 1)
local block = { id = blockId, status = 'active', lines = {} }
blockGive(block, lines)
redis.call('HSET', key, 'status', 'active', 'reason', reason, 'created_at', ctx.now, 'items', encodeLines(lines))
blockSave(ctx, block)
redis.call('ZADD', ctx.keys.blocks, seq, blockId)
return reply(ctx, 1, unpack(flatten(readRecord(key))))
