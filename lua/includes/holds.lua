--@include reply
--@include move
--@include blocks
-- Holds of one event: creating, ending (released, expired, booked) and reclaiming past-due
-- ones. Every seat they take or give back goes through moveLines. A hold from a block takes
-- its seats from the block; when it ends unbooked they go back to the block while it is
-- active, else on sale.

local function publicId(ctx, localId)
  return ctx.eventId .. '.' .. localId
end

local function readRecord(key)
  local flat = redis.call('HGETALL', key)
  if #flat == 0 then
    return nil
  end
  local record = {}
  for i = 1, #flat, 2 do
    record[flat[i]] = flat[i + 1]
  end
  return record
end

-- The hold record, when `tokenDigest` is its holder's; else nil and the refusal code
-- (-4 no such hold, -5 the token does not match).
local function holdOfHolder(ctx, localId, tokenDigest)
  local hold = readRecord(ctx.keys.hold(localId))
  if not hold then
    return nil, -4
  end
  if hold.token ~= tokenDigest then
    return nil, -5
  end
  return hold
end

-- Takes seats for a new hold. h: {localId, lines, qty, requested, seats (sorted list or nil),
-- ttlMs, tokenDigest, retentionMs, entryId (waiting-list offer) or nil, block (a block read
-- by blockOf, for a hold from a block) or nil}. The caller checked that the seats are there.
local function createHold(ctx, h)
  local expiresAt = ctx.now + h.ttlMs
  local ids = { 'hold_id', publicId(ctx, h.localId), 'expires_at', expiresAt }
  local from = 'available'
  if h.entryId then
    ids[#ids + 1] = 'entry_id'
    ids[#ids + 1] = publicId(ctx, h.entryId)
  end
  if h.block then
    from = 'blocked'
    ids[#ids + 1] = 'block_id'
    ids[#ids + 1] = publicId(ctx, h.block.id)
  end
  moveLines(ctx, h.lines, from, 'held', 'hold.created', ids)
  if h.block then
    blockTake(h.block, h.lines)
    blockSave(ctx, h.block)
  end
  local encoded = encodeLines(h.lines)
  local key = ctx.keys.hold(h.localId)
  local fields = { 'qty', h.qty, 'requested_qty', h.requested, 'lines', encoded, 'status', 'active',
    'expires_at', expiresAt, 'created_at', ctx.now, 'token', h.tokenDigest, 'extensions', 0 }
  if h.seats and #h.seats > 0 then
    fields[#fields + 1] = 'seats'
    fields[#fields + 1] = table.concat(h.seats, ',')
  end
  if h.entryId then
    fields[#fields + 1] = 'entry'
    fields[#fields + 1] = h.entryId
  end
  if h.block then
    fields[#fields + 1] = 'block'
    fields[#fields + 1] = h.block.id
  end
  redis.call('HSET', key, unpack(fields))
  redis.call('PEXPIREAT', key, expiresAt + h.retentionMs)
  redis.call('ZADD', ctx.keys.expiries, expiresAt, h.localId)
  redis.call('HSET', ctx.keys.active, h.localId, encoded)
  if h.entryId or h.block then
    redis.call('HSET', ctx.keys.activeLinks, h.localId, h.block and ('b:' .. h.block.id) or 'e')
  end
  return expiresAt
end

-- Moves a counted hold's seats out of `held`: to `to` (booked, or available: back to its
-- block instead while the block it came from is active). Leaves the active index to the caller.
local function giveBack(ctx, localId, lines, to, entryType, ids, blockLocalId)
  local fields = { 'hold_id', publicId(ctx, localId) }
  for _, value in ipairs(ids or {}) do
    fields[#fields + 1] = value
  end
  local block = nil
  if to == 'available' and blockLocalId then
    block = blockOf(ctx, blockLocalId)
    if block and block.status == 'active' then
      to = 'blocked'
      fields[#fields + 1] = 'block_id'
      fields[#fields + 1] = publicId(ctx, blockLocalId)
    else
      block = nil
    end
  end
  moveLines(ctx, lines, 'held', to, entryType, fields)
  if block then
    blockGive(block, lines)
    blockSave(ctx, block)
  end
end

-- Ends an active hold (see giveBack). Returns false, moving nothing, when the hold is no
-- longer counted as active (its seats went back already), so no seat ever moves twice.
local function endActiveHold(ctx, localId, to, entryType, ids, blockLocalId)
  local encoded = redis.call('HGET', ctx.keys.active, localId)
  if not encoded then
    return false
  end
  giveBack(ctx, localId, decodeLines(encoded), to, entryType, ids, blockLocalId)
  redis.call('HDEL', ctx.keys.active, localId)
  redis.call('HDEL', ctx.keys.activeLinks, localId)
  redis.call('ZREM', ctx.keys.expiries, localId)
  return true
end

-- An offered hold that ends unbooked ends its waiting-list entry as `status`.
local function endOffer(ctx, entryLocalId, status)
  if entryLocalId then
    local entryKey = ctx.keys.entry(entryLocalId)
    if redis.call('HGET', entryKey, 'status') == 'offered' then
      redis.call('HSET', entryKey, 'status', status, 'ended_at', ctx.now)
    end
  end
end

-- Expires a hold whose time is up, or whose seats a reclaim already gave back: its seats go
-- back if still counted, its record and its waiting-list entry read expired. Returns true when
-- this call gave the seats back.
local function expireHold(ctx, localId)
  local key = ctx.keys.hold(localId)
  local record = redis.call('HMGET', key, 'status', 'entry', 'block')
  local gaveBack = endActiveHold(ctx, localId, 'available', 'hold.expired', nil, record[3])
  if gaveBack then
    ctx.effects.expired = ctx.effects.expired + 1
  end
  if record[1] == 'active' then
    redis.call('HSET', key, 'status', 'expired', 'ended_at', ctx.now)
  end
  endOffer(ctx, record[2], 'expired')
  return gaveBack
end

-- Gives back the seats of at most `batch` past-due holds, oldest first: two commands per
-- hold (its record marked, an entry per line), the counts, rows and indexes once for the
-- batch (what a hold links to, an entry or a block, is read for the batch from activeLinks).
-- Returns how many it expired and whether more are due (1/0). A batch of 0 reclaims nothing.
local function reclaimDue(ctx, batch)
  if batch == 0 then
    return 0, 0
  end
  local due = redis.call('ZRANGE', ctx.keys.expiries, '-inf', ctx.now, 'BYSCORE', 'LIMIT', 0, batch)
  if #due == 0 then
    return 0, 0
  end
  local counted = hmgetMany(ctx.keys.active, due)
  local links = hmgetMany(ctx.keys.activeLinks, due)
  for i, localId in ipairs(due) do
    if counted[i] then
      local link = links[i]
      giveBack(ctx, localId, decodeLines(counted[i]), 'available', 'hold.expired', nil,
        link and string.match(link, '^b:(.+)$'))
      ctx.effects.expired = ctx.effects.expired + 1
      -- a hold still counted as active has a record that says active, unless the record's
      -- retention already ended it (then nothing is written: no record without its expiry)
      local key = ctx.keys.hold(localId)
      local record = redis.call('HMGET', key, 'status', 'entry')
      if record[1] then
        redis.call('HSET', key, 'status', 'expired', 'ended_at', ctx.now)
      end
      -- an offer made by version 2 has no link, only its record's `entry`
      if link == 'e' or record[2] then
        endOffer(ctx, record[2] or localId, 'expired')
      end
    end
  end
  for i = 1, #due, UNPACK_CHUNK do
    local last = math.min(i + UNPACK_CHUNK - 1, #due)
    redis.call('HDEL', ctx.keys.active, unpack(due, i, last))
    redis.call('HDEL', ctx.keys.activeLinks, unpack(due, i, last))
    redis.call('ZREM', ctx.keys.expiries, unpack(due, i, last))
  end
  local moreDue = 0
  if #due == batch and redis.call('ZCOUNT', ctx.keys.expiries, '-inf', ctx.now) > 0 then
    moreDue = 1
  end
  return #due, moreDue
end

-- What a hold's record says now: active only while counted as active and not past due.
local function holdIsActive(ctx, localId, hold)
  return hold.status == 'active' and ctx.now < tonumber(hold.expires_at)
    and redis.call('HEXISTS', ctx.keys.active, localId) == 1
end
