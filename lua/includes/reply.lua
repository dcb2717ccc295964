--@include event
--@include seatmap
-- Every script that reads an event through a context answers through `reply`: it first
-- commits what the script changed in the context (counts, quota use, rows, the version) in
-- as few commands as it can, so no path can answer without writing what it did.

local function commit(ctx)
  local args = {}
  local function put(field, value)
    args[#args + 1] = field
    args[#args + 1] = value
  end
  for field, counts in pairs(ctx.dirtyCounts) do
    put(field, counts[string.match(field, '([a-z]+)$')])
  end
  for qid, q in pairs(ctx.dirtyQuotas) do
    put('q:' .. qid .. ':used', q.used)
  end
  if ctx.changed then
    ctx.version = (ctx.version or 0) + 1
    put('version', ctx.version)
  end
  if #args > 0 then
    hsetMany(ctx.keys.event, args)
  end
  flushRows(ctx)
  ctx.dirtyCounts, ctx.dirtyQuotas, ctx.changed = {}, {}, false
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

-- {code, effects, ...rest} after committing; `rest` is a list (may be nil).
local function replyWith(ctx, code, rest)
  commit(ctx)
  local reply = { code, effectsReply(ctx) }
  for _, value in ipairs(rest or {}) do
    reply[#reply + 1] = value
  end
  return reply
end

local function reply(ctx, code, ...)
  return replyWith(ctx, code, { ... })
end

local function flatten(record)
  local flat = {}
  for name, value in pairs(record) do
    flat[#flat + 1] = name
    flat[#flat + 1] = value
  end
  return flat
end
