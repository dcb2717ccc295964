-- Admission queue of one event: its state, the admission schedule, and the gate that the
-- hold and waiting-list scripts call. Every key below is in the event's slot.
--
-- FOR THE HOLD / WAITLIST-JOIN SCRIPTS (the gate), with ctx.keys = eventKeysOf(eventKey)
-- (lua/includes/keys.lua: uses keys.queue, queueOrder, queueAdmissions, active, expiries)
-- and ctx.now = Redis time, ms:
--   local refused = admissionGate(ctx, ticketLocalId, tokenDigest, forHold)  -- before writes
--   if refused then return {refused, ...} end                                  -- -30 or -31
--   ... take the seats ...
--   admissionBind(ctx, ticketLocalId, holdLocalId)                             -- hold made
-- ticketLocalId: the first half of the Admission-Token `<ticket local uuid>.<random uuid>`
-- ('' when none was sent); tokenDigest: sha256 (base64url) of the whole token.
-- admissionGate returns nil when the event has no queue, or when the ticket exists in this
-- event's queue, its token digest matches, it is admitted and unexpired at ctx.now and (when
-- forHold) what was last bound to it is over: a hold no longer active (not in keys.active,
-- or past its expires_at in keys.expiries), a waiting-list entry no longer waiting (an offered
-- entry's hold has the entry's id, so the hold check covers it). Otherwise -30 (admission
-- required: no, unknown or wrong token, still waiting, expired, a ticket of another event) or
-- -31 (the admission has an active hold or a waiting entry). It writes only the queue hash, and only when the schedule, brought up to ctx.now,
-- admitted someone since the last write (the state any other script would compute).
-- admissionBind records a hold or entry id as the admission's; a no-op when ticketLocalId is
-- '' or the event has no queue.
-- The ticket hashes are keys.queue .. ':tickets' and keys.queue .. ':holds' (mirrors
-- KeySpace.queueKeys in src/redis/keys.ts).
--
-- STATE. queue hash: opens_at (ms), apm (admit_per_minute), ttl (admission_ttl_s), joined,
-- opened (1 once Redis time reached opens_at: later tickets go in arrival order), and the
-- token bucket: adm (tickets admitted, i.e. the first adm of `order` are admitted), t (ms) and
-- u (allowance at t, in units: the bucket gains apm units per ms, an admission costs 60,000,
-- so R = apm/60 per second exactly, in integers; it holds at most B = max(1, ceil(apm/60))
-- admissions' worth). Time moves in whole ms; an admission happens at the first ms at which
-- the bucket holds a whole admission, so over any [t1, t2] at most B + R*(t2 - t1) happen.
-- order zset: ticket local id -> place. A ticket joined before the opening has a uniformly
-- random score in [0, 2^52) drawn by Node's crypto (ties: by its random id); later tickets
-- 2^52 + arrival number. tickets hash: ticket local id -> token digest. holds hash: ticket
-- local id -> its last hold id.
-- admissions zset: the schedule as segments "first:t0:u0:apm:ttl", scored by `first` (the
-- rank, 0-based, of their first ticket): in a segment, the ticket of rank first + k was
-- admitted at t0 + max(0, ceil(((k + 1) * 60000 - u0) / apm)). A segment starts whenever a
-- run of waiting tickets starts (a join into a queue with nobody waiting) and at every PUT
-- while tickets wait, so its writes are O(1) per call, never a loop over tickets.

local QUEUE_UNIT = 60000
local QUEUE_LATE = 4503599627370496 -- 2^52: scores of tickets joined after the opening

local function queueInt(n)
  return string.format('%.0f', n)
end

-- a whole bucket: B admissions' worth of units
local function queueFull(apm)
  return math.max(1, math.ceil(apm / 60)) * QUEUE_UNIT
end

local function queueLoad(queueKey)
  local f = redis.call('HMGET', queueKey, 'opens_at', 'apm', 'ttl', 'joined', 'adm', 't', 'u', 'opened')
  if not f[1] then
    return nil
  end
  return {
    opensAt = tonumber(f[1]), apm = tonumber(f[2]), ttl = tonumber(f[3]), joined = tonumber(f[4]),
    adm = tonumber(f[5]), t = tonumber(f[6]), u = tonumber(f[7]), opened = tonumber(f[8]),
  }
end

local function queueSave(queueKey, s)
  redis.call('HSET', queueKey, 'adm', queueInt(s.adm), 't', queueInt(s.t), 'u', queueInt(s.u),
    'opened', s.opened, 'joined', queueInt(s.joined))
end

-- Brings the bucket from s.t up to now (in memory; queueSave writes it). Every waiting ticket
-- has waited since s.t (a join brings the bucket up first), so the result does not depend on
-- how often or by whom this is called, nor on whether an earlier call saved its result:
-- reads save only when they admitted someone (each admission is materialised, and counted,
-- once), so polling adds no write per read. Returns how many tickets it admitted.
local function queueAdvance(s, now)
  if now >= s.opensAt then
    s.opened = 1
  end
  if now < s.t then
    return 0
  end
  local before = s.adm
  local gained = (now - s.t) * s.apm
  local full = queueFull(s.apm)
  local waiting = s.joined - s.adm
  if waiting == 0 then
    s.u = math.min(full, s.u + gained)
  else
    local need = waiting * QUEUE_UNIT - s.u
    if gained < need then
      local n = math.floor((s.u + gained) / QUEUE_UNIT)
      s.adm = s.adm + n
      s.u = s.u + gained - n * QUEUE_UNIT
    else
      -- the last waiting ticket went in at `last`; the allowance refills from there
      local last = s.t + math.max(0, math.ceil(need / s.apm))
      s.adm = s.joined
      s.u = math.min(full, s.u + (last - s.t) * s.apm - waiting * QUEUE_UNIT + (now - last) * s.apm)
    end
  end
  s.t = now
  return s.adm - before
end

-- A new segment from the bucket as it is (tickets from rank s.adm on, from s.t with s.u).
-- One that started at the same rank admitted nobody: it is replaced.
local function queueStartSegment(admissionsKey, s)
  redis.call('ZREMRANGEBYSCORE', admissionsKey, s.adm, s.adm)
  redis.call('ZADD', admissionsKey, s.adm,
    table.concat({queueInt(s.adm), queueInt(s.t), queueInt(s.u), queueInt(s.apm), queueInt(s.ttl)}, ':'))
end

-- admitted_at (ms) and admission ttl (s) of the admitted ticket of this rank
local function queueAdmittedAt(admissionsKey, rank)
  local found = redis.call('ZRANGE', admissionsKey, rank, '-inf', 'BYSCORE', 'REV', 'LIMIT', 0, 1)
  local first, t0, u0, apm, ttl = string.match(found[1], '^(%d+):(%d+):(%d+):(%d+):(%d+)$')
  first, t0, u0, apm = tonumber(first), tonumber(t0), tonumber(u0), tonumber(apm)
  local k = rank - first
  return t0 + math.max(0, math.ceil(((k + 1) * QUEUE_UNIT - u0) / apm)), tonumber(ttl)
end

-- The ticket as of now (s brought up to now): status 'waiting' | 'admitted' | 'expired',
-- position (nil before the opening or unless waiting), admitted_at, admission_expires_at.
-- nil when the queue has no such ticket.
local function queueTicket(q, s, ticketId, now)
  local rank = redis.call('ZRANK', q.order, ticketId)
  if not rank then
    return nil
  end
  if rank < s.adm then
    local at, ttl = queueAdmittedAt(q.admissions, rank)
    local expiresAt = at + ttl * 1000
    return {status = (now >= expiresAt) and 'expired' or 'admitted', admittedAt = at, expiresAt = expiresAt}
  end
  local position = nil
  if s.opened == 1 then
    position = rank - s.adm + 1
  end
  return {status = 'waiting', position = position}
end

local function queueGateKeys(keys)
  return {
    queue = keys.queue, order = keys.queueOrder, admissions = keys.queueAdmissions,
    tickets = keys.queue .. ':tickets', holds = keys.queue .. ':holds',
  }
end

local function admissionGate(ctx, ticketLocalId, tokenDigest, forHold)
  local s = queueLoad(ctx.keys.queue)
  if not s then
    return nil
  end
  local q = queueGateKeys(ctx.keys)
  if not ticketLocalId or ticketLocalId == '' then
    return -30
  end
  local digest = redis.call('HGET', q.tickets, ticketLocalId)
  if not digest or digest ~= tokenDigest then
    return -30
  end
  if queueAdvance(s, ctx.now) > 0 then
    queueSave(q.queue, s)
  end
  local ticket = queueTicket(q, s, ticketLocalId, ctx.now)
  if not ticket or ticket.status ~= 'admitted' then
    return -30
  end
  if forHold then
    local boundId = redis.call('HGET', q.holds, ticketLocalId)
    if boundId and redis.call('HEXISTS', ctx.keys.active, boundId) == 1 then
      local expiresAt = tonumber(redis.call('ZSCORE', ctx.keys.expiries, boundId))
      if not expiresAt or expiresAt > ctx.now then
        return -31
      end
    end
    if boundId and redis.call('HGET', ctx.keys.entry(boundId), 'status') == 'waiting' then
      return -31
    end
  end
  return nil
end

local function admissionBind(ctx, ticketLocalId, boundLocalId)
  if ticketLocalId and ticketLocalId ~= '' and redis.call('EXISTS', ctx.keys.queue) == 1 then
    redis.call('HSET', ctx.keys.queue .. ':holds', ticketLocalId, boundLocalId)
  end
end
