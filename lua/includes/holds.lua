--@include serverTime
--@include keys
--@include lines
--@include event
--@include log
--@include move
-- Holds of one event: creating, ending (released, expired, booked) and reclaiming past-due
-- ones. Every seat they take or give back goes through moveLines.

local function newContext(eventKey, eventId)
  return {
    keys = eventKeysOf(eventKey),
    eventId = eventId,
    now = serverTimeMs(),
    effects = { expired = 0, logged = 0, offers = {} },
    freed = {},
  }
end

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

-- The hold's lines: stored ones, or a version-1 hold's bare count.
local function holdLines(hold)
  return decodeLines(hold.lines or hold.qty)
end

-- Takes seats for a new hold. h: {localId, lines, qty, requested, seats (sorted list or nil),
-- ttlMs, tokenDigest, retentionMs, entryId (waiting-list offer) or nil}
local function createHold(ctx, h)
  local holdId = publicId(ctx, h.localId)
  local expiresAt = ctx.now + h.ttlMs
  local extra = { 'expires_at', expiresAt }
  if h.entryId then
    extra[#extra + 1] = 'entry_id'
    extra[#extra + 1] = publicId(ctx, h.entryId)
  end
  moveLines(ctx, h.lines, 'available', 'held', 'hold.created', holdId, extra)
  local encoded = encodeLines(h.lines)
  local key = ctx.keys.hold(h.localId)
  redis.call('HSET', key,
    'qty', h.qty, 'requested_qty', h.requested, 'lines', encoded, 'status', 'active',
    'expires_at', expiresAt, 'created_at', ctx.now, 'token', h.tokenDigest, 'extensions', 0)
  if h.seats and #h.seats > 0 then
    redis.call('HSET', key, 'seats', table.concat(h.seats, ','))
  end
  if h.entryId then
    redis.call('HSET', key, 'entry', h.entryId)
  end
  redis.call('PEXPIREAT', key, expiresAt + h.retentionMs)
  redis.call('ZADD', ctx.keys.expiries, expiresAt, h.localId)
  redis.call('HSET', ctx.keys.active, h.localId, encoded)
  return expiresAt
end

-- Ends an active hold: its seats go from held to `to` (available or booked). Returns false,
-- moving nothing, when the hold is no longer counted as active (its seats went back
-- already), so no seat ever moves twice.
local function endActiveHold(ctx, localId, to, entryType, extra)
  local encoded = redis.call('HGET', ctx.keys.active, localId)
  if not encoded then
    return false
  end
  local holdId = publicId(ctx, localId)
  moveLines(ctx, decodeLines(encoded), 'held', to, entryType, holdId, extra)
  redis.call('HDEL', ctx.keys.active, localId)
  redis.call('ZREM', ctx.keys.expiries, localId)
  return true
end

-- Expires a hold whose time is up, or whose seats a reclaim already gave back: its seats go
-- back if still counted, its record and its waiting-list entry read expired. Returns true when
-- this call gave the seats back.
local function expireHold(ctx, localId)
  local gaveBack = endActiveHold(ctx, localId, 'available', 'hold.expired')
  if gaveBack then
    ctx.effects.expired = ctx.effects.expired + 1
  end
  local key = ctx.keys.hold(localId)
  local record = redis.call('HMGET', key, 'status', 'entry')
  if record[1] == 'active' then
    redis.call('HSET', key, 'status', 'expired', 'ended_at', ctx.now)
  end
  if record[2] then
    local entryKey = ctx.keys.entry(record[2])
    if redis.call('HGET', entryKey, 'status') == 'offered' then
      redis.call('HSET', entryKey, 'status', 'expired')
    end
  end
  return gaveBack
end

-- Gives back the seats of at most `batch` past-due holds, oldest first. Returns how many it
-- expired and whether more are due (1/0). A batch of 0 reclaims nothing.
local function reclaimDue(ctx, batch)
  if batch == 0 then
    return 0, 0
  end
  local due = redis.call('ZRANGE', ctx.keys.expiries, '-inf', ctx.now, 'BYSCORE', 'LIMIT', 0, batch)
  for _, localId in ipairs(due) do
    if not expireHold(ctx, localId) then
      -- listed as due but no longer active: drop the stale entry
      redis.call('ZREM', ctx.keys.expiries, localId)
    end
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

-- Effects as a reply member: {expired, logged, offerLocalId, offerExpiresAt, ...}.
local function effectsReply(ctx)
  local reply = { ctx.effects.expired, ctx.effects.logged }
  for _, offer in ipairs(ctx.effects.offers) do
    reply[#reply + 1] = offer[1]
    reply[#reply + 1] = offer[2]
  end
  return reply
end

local function flatten(record)
  local flat = {}
  for name, value in pairs(record) do
    flat[#flat + 1] = name
    flat[#flat + 1] = value
  end
  return flat
end
