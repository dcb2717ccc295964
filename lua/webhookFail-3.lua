-- An attempt failed: the failure is recorded, and the batch either waits for its next
-- attempt (the first within 2 s, each wait twice the one before, capped) or, on a 410 or
-- once it has failed for the give-up time, the webhook is disabled.
-- KEYS[1] the webhook's record (hash)
-- KEYS[2] the webhook's batches (hash)
-- KEYS[3] the lease of this (webhook, event) (string: the owner)
-- ARGV[1] event id
-- ARGV[2] batch id
-- ARGV[3] owner
-- ARGV[4] the answer's status ('' when there was none)
-- ARGV[5] what went wrong (a sentence)
-- ARGV[6] '1' when the receiver answered 410 (disable at once)
-- ARGV[7] give up after failing this long, ms
-- ARGV[8] the first wait, ms
-- ARGV[9] the longest wait, ms
-- Returns {1, wait ms}        the next attempt is due in wait ms
--         {2, reason}         the webhook is now disabled
--         {0}                 that batch was no longer in flight
--@include args
--@include serverTime
--@include webhook

local eventId = nonEmpty(ARGV[1], 'event id')
local batchId = nonEmpty(ARGV[2], 'batch id')
local owner = nonEmpty(ARGV[3], 'owner')
local status = stringArg(ARGV[4], 'status')
if status ~= '' then
  positiveInt(status, 'status')
end
local whatWentWrong = stringArg(ARGV[5], 'what went wrong')
local gone = ARGV[6] == '1'
local giveUpMs = nonNegativeInt(ARGV[7], 'give up ms')
local firstMs = nonNegativeInt(ARGV[8], 'first wait ms')
local maxMs = nonNegativeInt(ARGV[9], 'longest wait ms')
if redis.call('GET', KEYS[3]) == owner then
  redis.call('DEL', KEYS[3])
end
if redis.call('EXISTS', KEYS[1]) == 0 then
  return {0}
end
local batch = readBatch(KEYS[2], eventId)
if not batch or batch.id ~= batchId then
  return {0}
end
local now = serverTimeMs()
local failure = { at = now, error = whatWentWrong }
if status ~= '' then
  failure.status = tonumber(status)
end
redis.call('HSET', KEYS[1], 'last_failure', cjson.encode(failure))
batch.attempts = (batch.attempts or 0) + 1
batch.first_failed_at = batch.first_failed_at or now
local reason = nil
if gone then
  reason = 'The receiver answered 410 Gone.'
elseif now - batch.first_failed_at >= giveUpMs then
  reason = 'Deliveries failed for ' .. math.floor((now - batch.first_failed_at) / 1000) ..
    ' s (the last: ' .. whatWentWrong .. ').'
end
if reason then
  -- The batch stays as it is: enabling the webhook again sends it first.
  batch.next_at = nil
  writeBatch(KEYS[2], eventId, batch)
  if redis.call('HGET', KEYS[1], 'status') == 'enabled' then
    redis.call('HSET', KEYS[1], 'status', 'disabled', 'disabled_reason', reason)
  end
  return {2, reason}
end
local delay = firstMs
if batch.delay_ms then
  delay = batch.delay_ms * 2
end
if delay > maxMs then
  delay = maxMs
end
batch.delay_ms = delay
batch.next_at = now + delay
writeBatch(KEYS[2], eventId, batch)
return {1, delay}
