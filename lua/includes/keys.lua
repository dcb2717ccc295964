-- Every key of one event, built from its event hash key `<prefix>:{<eventId>}:event`. They
-- all share the event's hash tag, so whatever a script reaches is in the slot Redis routed
-- it to; scripts get only the event key because offers and reclaims reach records (holds,
-- entries, blocks) no caller can name in advance. Mirrors src/redis/keys.ts (a test checks both).
-- Each key is built the first time a script asks for it (most scripts use a few).
local EVENT_KEY_SUFFIXES = {
  expiries = ':expiries', active = ':active', activeLinks = ':active:links', rows = ':rows', seats = ':seats',
  rowFree = ':rowfree', rowRun = ':rowrun', rowGroups = ':rowgroups', waitlist = ':waitlist', log = ':log',
  blocks = ':blocks', queue = ':queue', queueOrder = ':queue:order', queueAdmissions = ':queue:admissions',
}
local EVENT_RECORD_KINDS = {
  hold = ':hold:', bookedMarker = ':booked:', booking = ':booking:', entry = ':entry:', block = ':block:',
  ticket = ':ticket:',
}
local EVENT_KEYS_META = {
  __index = function(keys, name)
    local suffix = EVENT_KEY_SUFFIXES[name]
    local value
    if suffix then
      value = keys.base .. suffix
    elseif EVENT_RECORD_KINDS[name] then
      local prefix = keys.base .. EVENT_RECORD_KINDS[name]
      value = function(id) return prefix .. id end
    else
      error('no event key ' .. tostring(name))
    end
    rawset(keys, name, value)
    return value
  end,
}

local function eventKeysOf(eventKey)
  if type(eventKey) ~= 'string' or not string.find(eventKey, '{[^{}]+}:event$') then
    error('bad argument: not an event key ' .. tostring(eventKey))
  end
  return setmetatable({ event = eventKey, base = string.sub(eventKey, 1, -7) }, EVENT_KEYS_META)
end
