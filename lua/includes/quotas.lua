--@include waitlist
-- Quotas: a cap on the seats of a set of categories that are out of sale at once (held +
-- booked + blocked). Each category lists its quotas (`c:<cid>:quotas`), each quota its
-- categories and the seats they use (`q:<qid>:cats`, `q:<qid>:used`), which moveLines keeps
-- current with every seat that leaves or comes back to `available`.

-- Seats the categories use now: held + booked + blocked over them.
local function usedBy(ctx, cids)
  local used = 0
  for _, cid in ipairs(cids) do
    local c = cat(ctx, cid)
    used = used + c.total - c.available
  end
  return used
end

-- Adds or removes a quota id in a category's list of quotas.
local function setCategoryQuota(ctx, cid, qid, member)
  local c = cat(ctx, cid)
  local list = {}
  for _, id in ipairs(c.quotas) do
    if id ~= qid then
      list[#list + 1] = id
    end
  end
  if member then
    list[#list + 1] = qid
  end
  c.quotas = list
  redis.call('HSET', ctx.keys.event, 'c:' .. cid .. ':quotas', table.concat(list, ','))
end

-- Serves the waiting lists a quota change may have given room to, as seats coming back are.
local function serveQuotaCategories(ctx, cids, retentionMs)
  for _, cid in ipairs(cids) do
    ctx.freed[cid] = true
  end
  serveFreed(ctx, retentionMs)
end
