-- Holds seats of one event: reclaims past-due holds first (their seats go to waiting lists
-- first), then takes the seats asked for, all or nothing unless partial. A hold from a block
-- (ARGV[13]) takes the block's seats instead, and none of the public rules apply to it.
-- Idempotent on the hold id: a retry of the same attempt finds the hold and takes nothing.
-- KEYS[1] event hash
-- ARGV[1] event id
-- ARGV[2] hold id (the event-local part)
-- ARGV[3] payment token digest
-- ARGV[4] ttl, ms
-- ARGV[5] how long the record outlives its expiry, ms
-- ARGV[6] most past-due holds to reclaim first (0: none)
-- ARGV[7] the service's per-hold seat limit
-- ARGV[8] '1' when the caller has just reclaimed every past-due hold: decide on the seats
--         there are now; '0' to refuse with more_due while past-due holds remain
-- ARGV[9] what is asked: 'qty' | 'items' | 'seats'
-- ARGV[10] qty: 'cid|qty|partial|adjacent' (cid '' when not named; flags '1'/'0');
--          items: 'cid=qty;cid=qty'; seats: 'A1,A2'
-- ARGV[11] admission ticket id (event-local part), '' when none was sent
-- ARGV[12] admission token digest, '' when none
-- ARGV[13] block id (event-local part) for a hold from a block, '' for a public hold
-- Returns {1, effects, qty, expires_at, created_at, lines, seats, requested_qty, extensions_used, block}
--         {2, effects, ...the same, of the existing hold}       a retry
--         {-1, effects}                        event not found
--         {-2, effects, available, more_due, quota triples…}  not enough seats or quota room
--                                              (available: what one hold could take now; from a
--                                              block, what the block holds of the category), or
--                                              (more_due = 1) more past-due holds than one batch:
--                                              reclaim them all, ask again (a hold from a block
--                                              too: a past-due hold from it gives seats back to it)
--         {-3, effects, limit}                 total qty above the per-hold limit
--         {-10, effects}                       the hold id is taken by another attempt
--         {-13, effects, more_due, n, n × (cid, requested, available), quota triples…}  items short
--         {-14, effects, seat, …}              named seats held, booked or blocked (or not in the block)
--         {-15, effects, seat, …}              seat ids the event does not have
--         {-16, effects, cid}                  unknown category ('' : category_id required)
--         {-17, effects, cid}                  the category's waiting list comes first
--         {-18, effects, available}            no run of qty adjacent seats
--         {-21, effects}                       no such block
--         {-22, effects, cid, …}               categories not on sale
--         {-23, effects, quota triples…}       named seats: not enough room in quotas
--         {-30 | -31, effects}                 admission required / admission in use
-- quota triples: quota_id, requested, available — every quota short for the request.
-- effects: {expired, logged, offer hold id, offer expires_at, …}
--@include args
--@include waitlist
--@include admission

local eventId = nonEmpty(ARGV[1], 'event id')
local localId = nonEmpty(ARGV[2], 'hold id')
local tokenDigest = nonEmpty(ARGV[3], 'token digest')
local ttlMs = positiveInt(ARGV[4], 'ttl')
local retentionMs = nonNegativeInt(ARGV[5], 'retention')
local batch = nonNegativeInt(ARGV[6], 'reclaim batch')
local serviceMax = positiveInt(ARGV[7], 'max qty')
local afterFullReclaim = ARGV[8] == '1'
local mode = ARGV[9]
local spec = ARGV[10]
local blockLocalId = ARGV[13] or ''

local ctx = newContext(KEYS[1], eventId)
-- (a qty hold that names its category reads it with the event)
if not loadEvent(ctx, mode == 'qty' and string.match(spec, '^([^|]*)|') or nil) then
  return reply(ctx, -1)
end

local function holdReply(code, hold)
  return reply(ctx, code, tonumber(hold.qty), tonumber(hold.expires_at), tonumber(hold.created_at),
    hold.lines or ('general=' .. hold.qty), hold.seats or '', tonumber(hold.requested_qty),
    tonumber(hold.extensions or 0), hold.block or '')
end

local existing = readRecord(ctx.keys.hold(localId))
if existing then
  if existing.token ~= tokenDigest then
    return reply(ctx, -10)
  end
  return holdReply(2, existing)
end

local block = nil
if blockLocalId ~= '' then
  block = blockOf(ctx, blockLocalId)
  if not block then
    return reply(ctx, -21)
  end
end

-- What is asked, checked against the event before anything is written.
local wanted = {}          -- category ids the hold would take seats of
local request = {}
if mode == 'qty' then
  local cid, qty, partial, adjacent = string.match(spec, '^([^|]*)|(%d+)|([01])|([01])$')
  qty = positiveInt(qty, 'qty')
  if cid == '' then
    if block then
      cid = nil -- the block's one category, once past-due holds from it have given theirs back
    elseif #ctx.categories ~= 1 then
      return reply(ctx, -16, '')
    else
      cid = ctx.categories[1]
    end
  elseif not cat(ctx, cid) then
    return reply(ctx, -16, cid)
  end
  request = { categoryId = cid, qty = qty, partial = partial == '1', adjacent = adjacent == '1', requested = qty }
  wanted[1] = cid
elseif mode == 'items' then
  if block then
    error('bad argument: a hold from a block takes seats or qty')
  end
  local lines, unknown = itemLines(ctx, spec)
  if not lines then
    return reply(ctx, -16, unknown)
  end
  request.lines = lines
  request.requested = linesTotal(lines)
  for _, line in ipairs(lines) do
    wanted[#wanted + 1] = line.categoryId
  end
elseif mode == 'seats' then
  local lines, listed = namedSeatLines(ctx, spec, block and 100 or nil)
  if not lines then
    return replyWith(ctx, -15, listed)
  end
  request.seats = listed
  request.requested = #listed
  request.lines = lines
  for _, line in ipairs(lines) do
    wanted[#wanted + 1] = line.categoryId
  end
else
  error('bad argument mode ' .. tostring(mode))
end

local function createFrom(lines)
  local allSeats = {}
  for _, line in ipairs(lines) do
    for _, seat in ipairs(line.seats or {}) do
      allSeats[#allSeats + 1] = seat
    end
  end
  if #lines > 1 then
    -- (one line's seats are in order already: picked so, or sorted when named)
    allSeats = sortSeats(ctx, allSeats)
  end
  local qty = linesTotal(lines)
  local expiresAt = createHold(ctx, {
    localId = localId, lines = lines, qty = qty, requested = request.requested, seats = allSeats,
    ttlMs = ttlMs, tokenDigest = tokenDigest, retentionMs = retentionMs, block = block,
  })
  return holdReply(1, {
    qty = qty, expires_at = expiresAt, created_at = ctx.now, lines = encodeLines(lines),
    seats = #allSeats > 0 and table.concat(allSeats, ',') or nil, requested_qty = request.requested,
    extensions = 0, block = block and block.id or nil,
  })
end

-- A hold from a block: the block's seats, whatever the public rules say.
if block then
  if request.requested > 100 then
    error('bad argument: a hold from a block takes at most 100 seats')
  end
  -- A past-due hold from this block has ended: its seats are back in the block (and those of
  -- other past-due holds on sale, to waiting lists first) before this hold asks the block.
  upgradeEvent(ctx)
  local _, due = reclaimDue(ctx, batch)
  serveFreed(ctx, retentionMs)
  if due == 1 and not afterFullReclaim then
    return reply(ctx, -2, 0, 1)
  end
  if mode == 'seats' then
    local missing = seatsNotInBlock(ctx, block, request.seats)
    if #missing > 0 then
      return replyWith(ctx, -14, sortSeats(ctx, missing))
    end
    return createFrom(request.lines)
  end
  local cid, qty = request.categoryId, request.qty
  if not cid then
    local held = {}
    for id in pairs(block.lines) do held[#held + 1] = id end
    if #held > 1 then
      return reply(ctx, -16, '')
    end
    cid = held[1] or ctx.categories[1]
  end
  local inBlock = blockQty(block, cid)
  if inBlock < qty then
    return reply(ctx, -2, inBlock, 0)
  end
  local line = { categoryId = cid, qty = qty }
  if cat(ctx, cid).kind == 'seated' then
    line.seats = blockSeats(ctx, block, cid, qty)
  end
  return createFrom({ line })
end

if request.requested > perHoldLimit(ctx, serviceMax) then
  return reply(ctx, -3, perHoldLimit(ctx, serviceMax))
end

local gate = admissionGate(ctx, ARGV[11], ARGV[12], true)
if gate then
  return reply(ctx, gate)
end

local paused = {}
for _, cid in ipairs(wanted) do
  if not onSale(ctx, cat(ctx, cid)) then
    paused[#paused + 1] = cid
  end
end
if #paused > 0 then
  return replyWith(ctx, -22, paused)
end
upgradeEvent(ctx)

-- Seats of past-due holds go back (to waiting lists first) before this hold decides.
local _, moreDue = reclaimDue(ctx, batch)
serveFreed(ctx, retentionMs)
if afterFullReclaim then
  moreDue = 0
end
-- More past-due holds than one batch: their seats could change which seats this hold gets
-- (or whether it gets any), so the caller gives them all back and asks again. Only a general
-- qty hold that has its seats anyway decides now: nobody waits for its category, nor for one
-- sharing a quota with it (their seats still due would go to that list first, and an offer
-- there takes room of the quota this hold needs).
if moreDue == 1 then
  local c = cat(ctx, request.categoryId or wanted[1])
  local generalQty = mode == 'qty' and c.kind ~= 'seated' and purchasable(ctx, c) >= request.qty
  if generalQty then
    for cid in pairs(withQuotaSiblings(ctx, { [c.id] = true })) do
      if waitingCount(ctx, cid) > 0 then
        generalQty = false
        break
      end
    end
  end
  if not generalQty then
    return reply(ctx, -2, 0, 1)
  end
end

for _, cid in ipairs(wanted) do
  if waitingCount(ctx, cid) > 0 then
    return reply(ctx, -17, cid)
  end
end

local lines
if mode == 'qty' then
  local c, qty = cat(ctx, request.categoryId), request.qty
  local canTake = purchasable(ctx, c)
  if canTake < qty and (moreDue == 1 or not request.partial or canTake == 0) then
    local refusal = { canTake, moreDue }
    for _, value in ipairs(quotaShortfall(ctx, { { categoryId = c.id, qty = qty } })) do
      refusal[#refusal + 1] = value
    end
    return replyWith(ctx, -2, refusal)
  end
  local line = { categoryId = c.id, qty = math.min(qty, canTake) }
  if c.kind == 'seated' then
    local pickMode = 'scattered'
    if request.adjacent and line.qty == qty then
      -- (a partial hold that quotas cut below qty takes what it may as adjacent: false does)
      pickMode = request.partial and 'prefer' or 'adjacent'
    end
    local seats = pickSeats(ctx, c.id, line.qty, pickMode, request.partial)
    if #seats == 0 then
      if moreDue == 1 then
        return reply(ctx, -2, c.available, moreDue)
      end
      return reply(ctx, -18, c.available)
    end
    line.qty = #seats
    line.seats = seats
  end
  lines = { line }
elseif mode == 'items' then
  local short = {}
  for _, line in ipairs(request.lines) do
    local available = cat(ctx, line.categoryId).available
    if available < line.qty then
      short[#short + 1] = line.categoryId
      short[#short + 1] = line.qty
      short[#short + 1] = available
    end
  end
  local quotaShort = quotaShortfall(ctx, request.lines)
  if #short > 0 or #quotaShort > 0 then
    local refusal = { moreDue, #short / 3 }
    for _, value in ipairs(short) do refusal[#refusal + 1] = value end
    for _, value in ipairs(quotaShort) do refusal[#refusal + 1] = value end
    return replyWith(ctx, -13, refusal)
  end
  lines = {}
  for _, line in ipairs(request.lines) do
    if cat(ctx, line.categoryId).kind == 'seated' then
      line.seats = pickSeats(ctx, line.categoryId, line.qty, 'prefer', false)
    end
    lines[#lines + 1] = line
  end
else
  local taken = {}
  local availableByte = string.byte('A')
  for _, seat in ipairs(request.seats) do
    local row, num = parseSeatId(seat)
    if string.byte(rowState(ctx, row).status, num) ~= availableByte then
      taken[#taken + 1] = seat
    end
  end
  if #taken > 0 then
    return replyWith(ctx, -14, sortSeats(ctx, taken))
  end
  local quotaShort = quotaShortfall(ctx, request.lines)
  if #quotaShort > 0 then
    return replyWith(ctx, -23, quotaShort)
  end
  lines = request.lines
end

local result = createFrom(lines)
admissionBind(ctx, ARGV[11], localId)
return result
