-- The event's audit log: a stream written by the script that makes the change, so it can
-- never miss or invent one. `fields` is a flat list of name, value.
local function logEntry(ctx, entryType, fields)
  redis.call('XADD', ctx.keys.log, '*', 'type', entryType, 'at', ctx.now, unpack(fields))
  ctx.effects.logged = ctx.effects.logged + 1
  ctx.changed = true
end
