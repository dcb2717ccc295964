-- Shared by the webhook scripts (webhook*-N.lua). A webhook's keys share its hash tag, so
-- every script runs in the webhook's own Cluster slot; none touches an event's keys (the
-- delivery reads an event's log with plain commands), and no seat script touches a webhook's.
--
-- The batches hash holds, per event id, the batch in flight: `<event>` -> its state as JSON
-- ({id, upto, attempts, first_failed_at, delay_ms, next_at}), `<event>:body` -> the exact
-- body that is sent (and sent again on every retry).

local function readBatch(batchesKey, eventId)
  local raw = redis.call('HGET', batchesKey, eventId)
  if not raw then
    return nil
  end
  return cjson.decode(raw)
end

local function writeBatch(batchesKey, eventId, batch)
  redis.call('HSET', batchesKey, eventId, cjson.encode(batch))
end

-- Every field of the webhook's record, as a flat array (what the scripts reply with).
local function recordReply(recordKey)
  return redis.call('HGETALL', recordKey)
end
