-- Writes a chunk of a seated category's rows before the category exists (a new event's, or
-- one added to an event): every seat available, with the rows' and groups' summaries. The
-- category becomes visible only when createEvent or addCategory activates it, so a venue of
-- any size is written in bounded steps. Writing the same chunk again changes nothing.
-- KEYS[1] event hash
-- ARGV[1] event id
-- ARGV[2] category id
-- ARGV[3] position of the chunk's first row in the category (0-based, a multiple of the
--         row group size, 64)
-- ARGV[4] rows, JSON: [["A", 20], ["B", 22], …] (at most 4,032)
-- ARGV[5] staging id: the attempt adding the category ('' for an event being created); the
--         first chunk makes it the owner of the category's rows, a later chunk of an attempt
--         that no longer owns them (another one started after it) writes nothing
-- Returns {1, rows written}
--         {-24, row}   a row name the event already has in another category
--         {-25}        the category exists already, or another attempt is writing its rows
--@include categories

local eventId = nonEmpty(ARGV[1], 'event id')
local cid = idArg(ARGV[2], 'category id')
local first = nonNegativeInt(ARGV[3], 'first position')
if first % ROW_GROUP ~= 0 then
  error('bad argument first position: not a multiple of ' .. ROW_GROUP)
end
local rows = cjson.decode(ARGV[4])
if type(rows) ~= 'table' or #rows == 0 or #rows > 63 * ROW_GROUP then
  error('bad argument rows')
end
local stagingId = ARGV[5] or ''
local ctx = newContext(KEYS[1], eventId)
local cats = redis.call('HGET', ctx.keys.event, 'cats')
for _, id in ipairs(splitList(cats)) do
  if id == cid then
    return {-25}
  end
end

-- Check everything before the first write, the takeover below included: a chunk refused
-- (a row name the event has) or malformed must leave the rows another attempt wrote its own.
local seen, names = {}, {}
for i, r in ipairs(rows) do
  local row = r[1]
  positiveInt(r[2], 'row seats')
  if r[2] > 1000 or type(row) ~= 'string' or #row > 12 or not string.find(row, '^[A-Za-z0-9-]*[A-Za-z-]$') then
    error('bad row ' .. tostring(row))
  end
  if seen[row] then
    error('duplicate row ' .. row)
  end
  seen[row] = true
  names[i] = row
end
-- (rows staged for this id by an earlier attempt are no clash: the first chunk drops them)
local infos = hmgetMany(ctx.keys.rows, names)
for i, info in ipairs(infos) do
  if info and string.match(info, '^([^,]+),') ~= cid then
    return {-24, names[i]}
  end
end

-- The first chunk starts the category's rows afresh: rows an earlier attempt wrote for this
-- id (refused, never activated, or still writing) must not stay among them.
if first == 0 then
  dropUnaddedRows(ctx, cid)
  if stagingId ~= '' then
    redis.call('HSET', ctx.keys.rowGroups, cid .. '#owner', stagingId)
  end
elseif not ownsStagedRows(ctx, cid, stagingId) then
  return {-25}
end

local rowArgs, seatArgs, names, frees = {}, {}, {}, {}
for i, r in ipairs(rows) do
  local row, seats = r[1], r[2]
  local pos = first + i - 1
  names[i], frees[i] = row, seats
  rowArgs[2 * i - 1], rowArgs[2 * i] = row, cid .. ',' .. seats .. ',' .. pos .. ',' .. pos
  seatArgs[2 * i - 1], seatArgs[2 * i] = row, string.rep('A', seats)
end
hsetMany(ctx.keys.rows, rowArgs)
hsetMany(ctx.keys.seats, seatArgs)
-- every seat free: a row's longest run is its seats
hsetMany(ctx.keys.rowGroups, groupFields(cid, first / ROW_GROUP, names, frees, frees, false))
return {1, #rows}
