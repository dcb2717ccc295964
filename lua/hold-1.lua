-- Holds seats of one event: reclaims past-due holds first (their seats go to waiting
-- lists first), then takes the seats asked for, all or nothing unless partial.
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
-- Returns {1, effects, qty, expires_at, created_at, lines, seats, requested_qty, extensions_used}
--         {2, effects, ...the same, of the existing hold}       a retry
--         {-1, effects}                        event not found
--         {-2, effects, available, more_due}   not enough seats, or (more_due = 1) more past-due
--                                              holds than one batch: reclaim them all, ask again
--         {-3, effects, limit}                 total qty above the per-hold limit
--         {-10, effects}                       the hold id is taken by another attempt
--         {-13, effects, more_due, cid, requested, available, …}  items short: every short line
--         {-14, effects, seat, …}              named seats held or booked: every such seat
--         {-15, effects, seat, …}              seat ids the event does not have
--         {-16, effects, cid}                  unknown category ('' : category_id required)
--         {-17, effects, cid}                  the category's waiting list comes first
--         {-18, effects, available}            no run of qty adjacent seats
--         {-30 | -31, effects}                 admission required / admission in use
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

local ctx = newContext(KEYS[1], eventId)
if not loadEvent(ctx) then
  return {-1, effectsReply(ctx)}
end

local function holdReply(code, hold)
  return {code, effectsReply(ctx), tonumber(hold.qty), tonumber(hold.expires_at), tonumber(hold.created_at),
    hold.lines or ('general=' .. hold.qty), hold.seats or '', tonumber(hold.requested_qty), tonumber(hold.extensions or 0)}
end

local existing = readRecord(ctx.keys.hold(localId))
if existing then
  if existing.token ~= tokenDigest then
    return {-10, effectsReply(ctx)}
  end
  return holdReply(2, existing)
end

-- What is asked, checked against the event before anything is written.
local limit = perHoldLimit(ctx, serviceMax)
local wanted = {}          -- category ids the hold would take seats of
local request = {}
if mode == 'qty' then
  local cid, qty, partial, adjacent = string.match(spec, '^([^|]*)|(%d+)|([01])|([01])$')
  qty = positiveInt(qty, 'qty')
  if cid == '' then
    if #ctx.categories ~= 1 then
      return {-16, effectsReply(ctx), ''}
    end
    cid = ctx.categories[1]
  elseif not hasCategory(ctx, cid) then
    return {-16, effectsReply(ctx), cid}
  end
  request = { categoryId = cid, qty = qty, partial = partial == '1', adjacent = adjacent == '1' }
  request.requested = qty
  wanted[1] = cid
elseif mode == 'items' then
  request.lines = {}
  request.requested = 0
  local named = {}
  for part in string.gmatch(spec, '[^;]+') do
    local cid, qty = string.match(part, '^([^=]+)=(%d+)$')
    qty = positiveInt(qty, 'item qty')
    if named[cid] then
      error('bad argument items: category ' .. cid .. ' twice')
    end
    named[cid] = true
    if not hasCategory(ctx, cid) then
      return {-16, effectsReply(ctx), cid}
    end
    request.lines[#request.lines + 1] = { categoryId = cid, qty = qty }
    request.requested = request.requested + qty
    wanted[#wanted + 1] = cid
  end
  if #request.lines == 0 then
    error('bad argument items')
  end
elseif mode == 'seats' then
  local unknown, byCategory, order, named = {}, {}, {}, {}
  request.seats = {}
  for seat in string.gmatch(spec, '[^,]+') do
    if named[seat] then
      error('bad argument seats: ' .. seat .. ' twice')
    end
    named[seat] = true
    local row, num = parseSeatId(seat)
    local info = row and rowInfo(ctx, row)
    if not info or num > info.seats then
      unknown[#unknown + 1] = seat
    else
      request.seats[#request.seats + 1] = seat
      if not byCategory[info.categoryId] then
        byCategory[info.categoryId] = {}
        order[#order + 1] = info.categoryId
      end
      table.insert(byCategory[info.categoryId], seat)
    end
  end
  if #unknown > 0 then
    local reply = {-15, effectsReply(ctx)}
    for _, seat in ipairs(unknown) do reply[#reply + 1] = seat end
    return reply
  end
  if #request.seats == 0 then
    error('bad argument seats')
  end
  request.requested = #request.seats
  request.lines = {}
  for _, cid in ipairs(order) do
    request.lines[#request.lines + 1] = { categoryId = cid, qty = #byCategory[cid], seats = sortSeats(ctx, byCategory[cid]) }
    wanted[#wanted + 1] = cid
  end
else
  error('bad argument mode ' .. tostring(mode))
end
if request.requested > limit then
  return {-3, effectsReply(ctx), limit}
end

local gate = admissionGate(ctx, ARGV[11], ARGV[12], true)
if gate then
  return {gate, effectsReply(ctx)}
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
-- qty hold that has its seats anyway decides now.
if moreDue == 1 then
  local generalQty = mode == 'qty' and
    redis.call('HGET', ctx.keys.event, 'c:' .. request.categoryId .. ':kind') ~= 'seated' and
    categoryAvailable(ctx, request.categoryId) >= request.qty and
    waitingCount(ctx, request.categoryId) == 0
  if not generalQty then
    return {-2, effectsReply(ctx), 0, 1}
  end
end

for _, cid in ipairs(wanted) do
  if waitingCount(ctx, cid) > 0 then
    return {-17, effectsReply(ctx), cid}
  end
end

local lines
if mode == 'qty' then
  local cid, qty = request.categoryId, request.qty
  local available = categoryAvailable(ctx, cid)
  local seated = redis.call('HGET', ctx.keys.event, 'c:' .. cid .. ':kind') == 'seated'
  if available < qty and (moreDue == 1 or not request.partial or available == 0) then
    return {-2, effectsReply(ctx), available, moreDue}
  end
  local take = math.min(qty, available)
  local line = { categoryId = cid, qty = take }
  if seated then
    local pickMode = 'scattered'
    if request.adjacent then
      pickMode = request.partial and 'prefer' or 'adjacent'
    end
    local seats = pickSeats(ctx, cid, qty, pickMode, request.partial)
    if #seats == 0 then
      if moreDue == 1 then
        return {-2, effectsReply(ctx), available, moreDue}
      end
      return {-18, effectsReply(ctx), available}
    end
    line.qty = #seats
    line.seats = seats
  end
  lines = { line }
elseif mode == 'items' then
  local short = {}
  for _, line in ipairs(request.lines) do
    local available = categoryAvailable(ctx, line.categoryId)
    if available < line.qty then
      short[#short + 1] = { line.categoryId, line.qty, available }
    end
  end
  if #short > 0 then
    local reply = {-13, effectsReply(ctx), moreDue}
    for _, s in ipairs(short) do
      reply[#reply + 1] = s[1]
      reply[#reply + 1] = s[2]
      reply[#reply + 1] = s[3]
    end
    return reply
  end
  lines = {}
  for _, line in ipairs(request.lines) do
    if redis.call('HGET', ctx.keys.event, 'c:' .. line.categoryId .. ':kind') == 'seated' then
      line.seats = pickSeats(ctx, line.categoryId, line.qty, 'prefer', false)
    end
    lines[#lines + 1] = line
  end
else
  local taken = {}
  local availableByte = string.byte('A')
  for _, seat in ipairs(request.seats) do
    local row, num = parseSeatId(seat)
    if string.byte(redis.call('HGET', ctx.keys.seats, row), num) ~= availableByte then
      taken[#taken + 1] = seat
    end
  end
  if #taken > 0 then
    local reply = {-14, effectsReply(ctx)}
    for _, seat in ipairs(sortSeats(ctx, taken)) do reply[#reply + 1] = seat end
    return reply
  end
  lines = request.lines
end

local allSeats = {}
for _, line in ipairs(lines) do
  for _, seat in ipairs(line.seats or {}) do
    allSeats[#allSeats + 1] = seat
  end
end
if #allSeats > 0 then
  allSeats = sortSeats(ctx, allSeats)
end
local qty = linesTotal(lines)
createHold(ctx, {
  localId = localId, lines = lines, qty = qty, requested = request.requested, seats = allSeats,
  ttlMs = ttlMs, tokenDigest = tokenDigest, retentionMs = retentionMs,
})
admissionBind(ctx, ARGV[11], localId)
return holdReply(1, readRecord(ctx.keys.hold(localId)))
