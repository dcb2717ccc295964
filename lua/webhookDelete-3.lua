-- Deletes a webhook and its delivery state; nothing more is sent for it (an attempt finds
-- the record gone). Leases lapse by themselves.
-- KEYS[1] the webhook's record (hash)
-- KEYS[2] the webhook's cursors (hash)
-- KEYS[3] the webhook's batches (hash)
-- Returns {1, record fields...}   deleted; the record as it was
--         {-4}                    no such webhook
--@include webhook

if redis.call('EXISTS', KEYS[1]) == 0 then
  return {-4}
end
local record = recordReply(KEYS[1])
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
return {1, unpack(record)}
