--@include holds
--@include pick
-- Waiting lists, one per category, in one sorted set of the event: every member is
-- `<cid>:<15-digit join number>:<entry id>` at score 0, so a lexical range is one
-- category's list in join order.

local function waitRange(cid)
  return '[' .. cid .. ':', '(' .. cid .. ';'
end

local function waitingCount(ctx, cid)
  local from, to = waitRange(cid)
  return redis.call('ZLEXCOUNT', ctx.keys.waitlist, from, to)
end

local function waitPosition(ctx, cid, member)
  local from = waitRange(cid)
  return redis.call('ZLEXCOUNT', ctx.keys.waitlist, from, '[' .. member)
end

-- Offers `entryId` a hold of its qty now (the caller checked the seats are there).
local function offerToEntry(ctx, entryId, entry, retentionMs)
  local cid, qty = entry.category, tonumber(entry.qty)
  local line = { categoryId = cid, qty = qty, seats = nil }
  local seats = nil
  if redis.call('HGET', ctx.keys.event, 'c:' .. cid .. ':kind') == 'seated' then
    seats = pickSeats(ctx, cid, qty, 'prefer', false)
    if #seats < qty then
      return false
    end
    line.seats = seats
  end
  -- The offered hold's id is the entry's own: an entry gets at most one offer, ever.
  local expiresAt = createHold(ctx, {
    localId = entryId, lines = { line }, qty = qty, requested = qty, seats = seats,
    ttlMs = tonumber(entry.ttl_ms), tokenDigest = entry.token, retentionMs = retentionMs, entryId = entryId,
  })
  redis.call('HSET', ctx.keys.entry(entryId), 'status', 'offered', 'hold_expires_at', expiresAt)
  ctx.effects.offers[#ctx.effects.offers + 1] = { entryId, expiresAt }
  return true
end

-- Serves a category's list from its head while the head's qty is available: strictly in
-- order, so an entry that wants more than is free blocks those behind it.
local function serveWaitlist(ctx, cid, retentionMs)
  local from, to = waitRange(cid)
  while true do
    local head = redis.call('ZRANGE', ctx.keys.waitlist, from, to, 'BYLEX', 'LIMIT', 0, 1)[1]
    if not head then
      return
    end
    local entryId = string.match(head, '^[^:]+:%d+:(.+)$')
    local entry = readRecord(ctx.keys.entry(entryId))
    if not entry or entry.status ~= 'waiting' then
      redis.call('ZREM', ctx.keys.waitlist, head)
    else
      if categoryAvailable(ctx, cid) < tonumber(entry.qty) then
        return
      end
      if not offerToEntry(ctx, entryId, entry, retentionMs) then
        return
      end
      redis.call('ZREM', ctx.keys.waitlist, head)
    end
  end
end

-- Gives every category that got seats back in this script to its waiting list first.
local function serveFreed(ctx, retentionMs)
  local freed = ctx.freed
  ctx.freed = {}
  local categories = {}
  for cid in pairs(freed) do
    categories[#categories + 1] = cid
  end
  table.sort(categories)
  for _, cid in ipairs(categories) do
    serveWaitlist(ctx, cid, retentionMs)
  end
end
