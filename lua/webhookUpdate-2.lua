-- Changes a webhook (PATCH). Enabling a disabled webhook clears its reason and gives every
-- batch in flight a fresh start: sent at once, its give-up clock restarted.
-- KEYS[1] the webhook's record (hash)
-- KEYS[2] the webhook's batches (hash)
-- ARGV[1] '1' to set the url, else '0'
-- ARGV[2] url
-- ARGV[3] '1' to set the types, else '0'
-- ARGV[4] types, comma-separated ('' = every type)
-- ARGV[5] '1' to set the description, else '0'
-- ARGV[6] description ('' = none)
-- ARGV[7] status: 'enabled', 'disabled' or '' (unchanged)
-- ARGV[8] the reason recorded when this disables it
-- Returns {1, resumed (1/0), record fields...}
--         {-4}                                   no such webhook
--@include args
--@include webhook

-- every argument checked before the first write
local status = ARGV[7]
if status ~= '' and status ~= 'enabled' and status ~= 'disabled' then
  error('bad argument status: ' .. tostring(status))
end
if ARGV[1] == '1' then
  nonEmpty(ARGV[2], 'url')
end
if status == 'disabled' then
  nonEmpty(ARGV[8], 'reason')
end
if redis.call('EXISTS', KEYS[1]) == 0 then
  return {-4}
end
if ARGV[1] == '1' then
  redis.call('HSET', KEYS[1], 'url', ARGV[2])
end
if ARGV[3] == '1' then
  redis.call('HSET', KEYS[1], 'types', ARGV[4])
end
if ARGV[5] == '1' then
  redis.call('HSET', KEYS[1], 'description', ARGV[6])
end
local current = redis.call('HGET', KEYS[1], 'status')
local resumed = 0
if status == 'disabled' and current ~= 'disabled' then
  redis.call('HSET', KEYS[1], 'status', 'disabled', 'disabled_reason', ARGV[8])
elseif status == 'enabled' and current ~= 'enabled' then
  redis.call('HSET', KEYS[1], 'status', 'enabled')
  redis.call('HDEL', KEYS[1], 'disabled_reason')
  local flat = redis.call('HGETALL', KEYS[2])
  for i = 1, #flat, 2 do
    local field = flat[i]
    if not string.find(field, ':', 1, true) then
      local batch = cjson.decode(flat[i + 1])
      batch.attempts = 0
      batch.first_failed_at = nil
      batch.delay_ms = nil
      batch.next_at = nil
      writeBatch(KEYS[2], field, batch)
    end
  end
  resumed = 1
end
return {1, resumed, unpack(recordReply(KEYS[1]))}
