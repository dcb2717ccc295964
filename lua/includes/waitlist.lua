--@include holds
--@include pick
-- Waiting lists, one per category, in one sorted set of the event: every member is
-- `<cid>:<15-digit join number>:<entry id>` at score 0, so a lexical range is one
-- category's list in join order, and join numbers (one counter per event) order entries
-- across categories.

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

-- The first entry still waiting in a category's list, {cid, member, entryId, seq, entry}, or
-- nil; members of entries that no longer wait are dropped on the way.
local function waitHead(ctx, cid)
  local from, to = waitRange(cid)
  while true do
    local member = redis.call('ZRANGE', ctx.keys.waitlist, from, to, 'BYLEX', 'LIMIT', 0, 1)[1]
    if not member then
      return nil
    end
    local seq, entryId = string.match(member, '^[^:]+:(%d+):(.+)$')
    local entry = readRecord(ctx.keys.entry(entryId))
    if entry and entry.status == 'waiting' then
      return { cid = cid, member = member, entryId = entryId, seq = tonumber(seq), entry = entry }
    end
    redis.call('ZREM', ctx.keys.waitlist, member)
  end
end

-- Offers the head entry a hold of its qty now (the caller checked that it fits). The
-- offered hold's id is the entry's own: an entry gets at most one offer, ever.
local function offerToEntry(ctx, head, retentionMs)
  local entry = head.entry
  local cid, qty = head.cid, tonumber(entry.qty)
  local line = { categoryId = cid, qty = qty }
  local seats = nil
  if cat(ctx, cid).kind == 'seated' then
    seats = pickSeats(ctx, cid, qty, 'prefer', false)
    if #seats < qty then
      return false
    end
    line.seats = seats
  end
  local expiresAt = createHold(ctx, {
    localId = head.entryId, lines = { line }, qty = qty, requested = qty, seats = seats,
    ttlMs = tonumber(entry.ttl_ms), tokenDigest = entry.token, retentionMs = retentionMs, entryId = head.entryId,
  })
  redis.call('HSET', ctx.keys.entry(head.entryId), 'status', 'offered', 'hold_expires_at', expiresAt)
  redis.call('ZREM', ctx.keys.waitlist, head.member)
  ctx.effects.offers[#ctx.effects.offers + 1] = { head.entryId, expiresAt }
  return true
end

-- Serves the waiting lists of a set of categories: each time, of the head entries of those
-- categories that are on sale and fit (their qty available, room in every quota of theirs),
-- the one that joined first gets its hold. A head that does not fit blocks those behind it in
-- its own category only; offers only take seats and room, so once it does not fit in this
-- call it will not later in it.
local function serveLists(ctx, categories, retentionMs)
  local heads = {}
  for cid in pairs(categories) do
    local c = cat(ctx, cid)
    if c and onSale(ctx, c) then
      heads[cid] = waitHead(ctx, cid) or false
    end
  end
  while true do
    local best = nil
    for cid, head in pairs(heads) do
      if head then
        if purchasable(ctx, cat(ctx, cid)) >= tonumber(head.entry.qty) then
          if not best or head.seq < best.seq then
            best = head
          end
        else
          heads[cid] = false
        end
      end
    end
    if not best then
      return
    end
    if offerToEntry(ctx, best, retentionMs) then
      heads[best.cid] = waitHead(ctx, best.cid) or false
    else
      heads[best.cid] = false
    end
  end
end

-- The categories whose waiting lists may now be served after `changed` (a set of categories
-- that got seats or quota room back): those, and every category sharing a quota with one.
local function withQuotaSiblings(ctx, changed)
  local all = {}
  for cid in pairs(changed) do
    all[cid] = true
    local c = cat(ctx, cid)
    for _, qid in ipairs(c and c.quotas or {}) do
      for _, sibling in ipairs(quota(ctx, qid).cats) do
        all[sibling] = true
      end
    end
  end
  return all
end

-- Past-due holds a serving gives back first (at most): their seats and quota room are served
-- with the rest, in join order. Served apart later, a place that came back now could go to an
-- entry of one category while one that joined before it, in another category of the same
-- quota, still lacked the past-due seats to fit.
local SERVE_RECLAIM_BATCH = 200

-- Gives every category that got seats back in this script, or whose list may be served
-- otherwise (ctx.freed: an entry left, a quota changed), and those sharing a quota with one,
-- to its waiting list first, with the seats of past-due holds.
local function serveFreed(ctx, retentionMs)
  if next(ctx.freed) == nil then
    return
  end
  reclaimDue(ctx, SERVE_RECLAIM_BATCH)
  local freed = ctx.freed
  ctx.freed = {}
  serveLists(ctx, withQuotaSiblings(ctx, freed), retentionMs)
end
