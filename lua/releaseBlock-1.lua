-- Releases seats of a block: named seats, places of its general categories, or all that is
-- left. They go back on sale (to waiting lists first, while on sale). A block that a release
-- leaves empty is released; one emptied by holds stays active, so their seats can come back.
-- KEYS[1] event hash
-- ARGV[1] event id
-- ARGV[2] block id (the event-local part)
-- ARGV[3] what is released: 'all' | 'seats' | 'items'
-- ARGV[4] seats: 'A1,A2'; items: 'cid=qty;cid=qty'; '' for all
-- ARGV[5] how long records outlive their end, ms (for offers made on the way)
-- ARGV[6] most past-due holds to reclaim first
-- ARGV[7] '1' when the caller has just reclaimed every past-due hold, else '0'
-- Returns {1, effects, seats released, block fields…}   released (some or all)
--         {2, effects, 0, block fields…}               released before: as it is
--         {-2, effects, 0, 1}           more past-due holds than one batch: reclaim them all, ask again
--         {-4, effects}                 no such block
--         {-14, effects, seat, …}       seats the block does not hold
--         {-16, effects, cid}           an items line of a seated category, or of a category the
--                                       block does not hold
--         {-20, effects, cid, holds}    more places of a category than the block holds
--@include args
--@include waitlist

local eventId = nonEmpty(ARGV[1], 'event id')
local blockId = nonEmpty(ARGV[2], 'block id')
local mode = ARGV[3]
local spec = ARGV[4]
local retentionMs = nonNegativeInt(ARGV[5], 'retention')
local batch = nonNegativeInt(ARGV[6], 'reclaim batch')
-- What is released, checked before the first write (the reclaim below writes): a seat or a
-- category named twice, a qty below 1 or another mode is a bug of the caller.
if mode == 'seats' or mode == 'items' then
  local named = {}
  for part in string.gmatch(spec, mode == 'seats' and '[^,]+' or '[^;]+') do
    local name = part
    if mode == 'items' then
      local cid, qty = string.match(part, '^([^=]+)=(%d+)$')
      positiveInt(qty, 'item qty')
      name = cid
    end
    if named[name] then
      error('bad argument ' .. mode .. ': ' .. name .. ' twice')
    end
    named[name] = true
  end
elseif mode ~= 'all' then
  error('bad argument mode ' .. tostring(mode))
end

local ctx = newContext(KEYS[1], eventId)
local key = ctx.keys.block(blockId)
if not loadEvent(ctx) then
  return reply(ctx, -4)
end
local block = blockOf(ctx, blockId)
if not block then
  return reply(ctx, -4)
end
if block.status == 'released' then
  return reply(ctx, 2, 0, unpack(flatten(readRecord(key))))
end
-- A past-due hold from this block has ended: its seats are back in the block before the
-- release decides what the block holds.
upgradeEvent(ctx)
local _, moreDue = reclaimDue(ctx, batch)
serveFreed(ctx, retentionMs)
if moreDue == 1 and ARGV[7] ~= '1' then
  return reply(ctx, -2, 0, 1)
end

local lines
if mode == 'all' then
  lines = blockLines(ctx, block)
elseif mode == 'seats' then
  local seats = {}
  for seat in string.gmatch(spec, '[^,]+') do
    seats[#seats + 1] = seat
  end
  local missing = seatsNotInBlock(ctx, block, seats)
  if #missing > 0 or #seats == 0 then
    return replyWith(ctx, -14, missing)
  end
  local byCategory, order = {}, {}
  for _, seat in ipairs(seats) do
    local cid = rowState(ctx, parseSeatId(seat)).categoryId
    if not byCategory[cid] then
      byCategory[cid] = {}
      order[#order + 1] = cid
    end
    table.insert(byCategory[cid], seat)
  end
  lines = {}
  for _, cid in ipairs(order) do
    lines[#lines + 1] = { categoryId = cid, qty = #byCategory[cid], seats = sortSeats(ctx, byCategory[cid]) }
  end
elseif mode == 'items' then
  lines = {}
  for part in string.gmatch(spec, '[^;]+') do
    local cid, qty = string.match(part, '^([^=]+)=(%d+)$')
    qty = positiveInt(qty, 'item qty')
    local c = cat(ctx, cid)
    if not c or c.kind == 'seated' then
      return reply(ctx, -16, cid)
    end
    if blockQty(block, cid) < qty then
      return reply(ctx, -20, cid, blockQty(block, cid))
    end
    lines[#lines + 1] = { categoryId = cid, qty = qty }
  end
else
  error('bad argument mode ' .. tostring(mode))
end

if #lines > 0 then
  upgradeEvent(ctx)
  moveLines(ctx, lines, 'blocked', 'available', 'seats.unblocked', { 'block_id', ctx.eventId .. '.' .. blockId })
  blockTake(block, lines)
end
if blockIsEmpty(block) then
  block.status = 'released'
  redis.call('ZREM', ctx.keys.blocks, blockId)
  redis.call('HSET', key, 'released_at', ctx.now)
  markChanged(ctx)
end
blockSave(ctx, block)
serveFreed(ctx, retentionMs)
return reply(ctx, 1, linesTotal(lines), unpack(flatten(readRecord(key))))
