-- Every key of one event, built from its event hash key `<prefix>:{<eventId>}:event`. They
-- all share the event's hash tag, so whatever a script reaches is in the slot Redis routed
-- it to; scripts get only the event key because offers and reclaims reach records (holds,
-- entries, blocks) no caller can name in advance. Mirrors src/redis/keys.ts (a test checks both).
local function eventKeysOf(eventKey)
  if type(eventKey) ~= 'string' or not string.find(eventKey, '{[^{}]+}:event$') then
    error('bad argument: not an event key ' .. tostring(eventKey))
  end
  local base = string.sub(eventKey, 1, -7)
  return {
    event = eventKey,
    expiries = base .. ':expiries',
    active = base .. ':active',
    activeLinks = base .. ':active:links',
    rows = base .. ':rows',
    seats = base .. ':seats',
    rowFree = base .. ':rowfree',
    rowRun = base .. ':rowrun',
    rowGroups = base .. ':rowgroups',
    waitlist = base .. ':waitlist',
    log = base .. ':log',
    blocks = base .. ':blocks',
    queue = base .. ':queue',
    queueOrder = base .. ':queue:order',
    queueAdmissions = base .. ':queue:admissions',
    hold = function(id) return base .. ':hold:' .. id end,
    bookedMarker = function(holdId) return base .. ':booked:' .. holdId end,
    booking = function(id) return base .. ':booking:' .. id end,
    entry = function(id) return base .. ':entry:' .. id end,
    block = function(id) return base .. ':block:' .. id end,
    ticket = function(id) return base .. ':ticket:' .. id end,
  }
end
