-- Moves one (webhook, event) on from its cursor, if nobody did meanwhile: either records the
-- next batch to send (its id, body and the log id it covers up to), or, when the entries read
-- are all of types the webhook skips, moves the cursor past them.
-- KEYS[1] the webhook's record (hash)
-- KEYS[2] the webhook's cursors (hash)
-- KEYS[3] the webhook's batches (hash)
-- ARGV[1] event id
-- ARGV[2] the cursor the caller read ('' = none yet)
-- ARGV[3] 'batch' or 'skip'
-- ARGV[4] batch: its id; skip: the log id to move the cursor to
-- ARGV[5] batch: the last log id it covers
-- ARGV[6] batch: its body
-- Returns 1    done
--         0    the cursor moved or a batch is in flight: read again
--         -4   no such webhook
--         -9   the webhook is disabled
--@include args
--@include webhook

local eventId = nonEmpty(ARGV[1], 'event id')
-- every argument checked before the first write
if ARGV[3] == 'skip' then
  nonEmpty(ARGV[4], 'skip to')
elseif ARGV[3] == 'batch' then
  nonEmpty(ARGV[4], 'batch id')
  nonEmpty(ARGV[5], 'upto')
  nonEmpty(ARGV[6], 'body')
else
  error('bad argument kind: ' .. tostring(ARGV[3]))
end
local status = redis.call('HGET', KEYS[1], 'status')
if not status then
  return -4
end
if status ~= 'enabled' then
  return -9
end
local cursor = redis.call('HGET', KEYS[2], eventId) or ''
if cursor ~= ARGV[2] or redis.call('HEXISTS', KEYS[3], eventId) == 1 then
  return 0
end
if ARGV[3] == 'skip' then
  redis.call('HSET', KEYS[2], eventId, ARGV[4])
  return 1
end
writeBatch(KEYS[3], eventId, { id = ARGV[4], upto = ARGV[5], attempts = 0 })
redis.call('HSET', KEYS[3], eventId .. ':body', ARGV[6])
return 1
