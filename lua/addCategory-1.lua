-- Adds a category to an event while it sells, every seat available (a seated category's rows
-- were written first by putRows). Its category.added entry opens its part of the log.
-- KEYS[1] event hash
-- ARGV[1] event id
-- ARGV[2] the category, JSON: {"id", "name", "sales", "capacity"} | {"id", "name", "sales", "rows", "seats"}
-- ARGV[3] staging id: the attempt that wrote a seated category's rows (putRows ARGV[5])
-- Returns {1, effects}                      added
--         {-1, effects}                     event not found
--         {-25, effects}                    the event has this category already, or another
--                                           attempt to add it wrote its rows since this one
--         {-26, effects, limit, value}      above an event limit: 'categories' (100), 'seats'
--                                           (1,000,000) or 'seated' (100,000 seated seats)
--@include categories
--@include reply

local eventId = nonEmpty(ARGV[1], 'event id')
local spec = cjson.decode(ARGV[2])
if type(spec) ~= 'table' then
  error('bad argument category')
end
local stagingId = ARGV[3] or ''
local ctx = newContext(KEYS[1], eventId)
if not loadEvent(ctx) then
  return reply(ctx, -1)
end
idArg(spec.id, 'category id')
if cat(ctx, spec.id) then
  return reply(ctx, -25)
end
-- another request adding this id wrote its rows after ours: it adds the category, not we
if spec.rows ~= nil and not ownsStagedRows(ctx, spec.id, stagingId) then
  return reply(ctx, -25)
end
local kind, seats, groups, summaries = checkNewCategory(ctx, spec)
-- Refused above a limit: the rows written for it go too, so they never become seats.
local function aboveLimit(limit, value)
  if kind == 'seated' then
    dropUnaddedRows(ctx, spec.id)
  end
  return reply(ctx, -26, limit, value)
end
if #ctx.categories >= MAX_CATEGORIES then
  return aboveLimit('categories', MAX_CATEGORIES)
end
if ctx.sums.total + seats > MAX_EVENT_SEATS then
  return aboveLimit('seats', MAX_EVENT_SEATS)
end
if kind == 'seated' then
  local seated = seats
  for _, cid in ipairs(ctx.categories) do
    local c = cat(ctx, cid)
    if c.kind == 'seated' then
      seated = seated + c.total
    end
  end
  if seated > MAX_SEATED_SEATS then
    return aboveLimit('seated', MAX_SEATED_SEATS)
  end
end
upgradeEvent(ctx)
if kind == 'seated' then
  redis.call('HDEL', ctx.keys.rowGroups, spec.id .. '#owner')
else
  -- rows another request wrote for this id while it would be seated are none of this one's
  dropUnaddedRows(ctx, spec.id)
end
writeNewCategory(ctx, spec, kind, seats, groups, nil, summaries)
redis.call('HSET', ctx.keys.event, 'cats', table.concat(ctx.categories, ','))
logEntry(ctx, 'category.added', { 'category_id', spec.id, 'qty', seats, 'kind', kind, 'name', spec.name or spec.id,
  'sales', spec.sales or 'open' })
return reply(ctx, 1)
