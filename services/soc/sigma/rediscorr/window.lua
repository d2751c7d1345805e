-- One event enters a correlation window; see package rediscorr. The
-- condition is evaluated as sigma.CheckWindow does: keep them in step.
--
-- KEYS[1] the window: a sorted set of entries scored by time (µs), each
--         "seq|ref|has|num|value", seq ordering entries of one instant
-- KEYS[2] the window's sequence counter
-- ARGV    time (µs), drop-below score ("(" exclusive), max entries, ttl (ms),
--         type, number of rules, entry "ref|has|num|value", number of
--         condition operators, then operator, number pairs
-- Returns {0}, or {1, value, count, first time (µs)} when the window fired
-- (and was emptied).
local maxn = tonumber(ARGV[3])
local ttl = tonumber(ARGV[4])
local typ = ARGV[5]
local nrules = tonumber(ARGV[6])
local ncond = tonumber(ARGV[8])
local conds = {}
for i = 0, ncond - 1 do
  conds[#conds + 1] = {ARGV[9 + 2 * i], tonumber(ARGV[10 + 2 * i])}
end

local function cond(x)
  for _, c in ipairs(conds) do
    local op, n = c[1], c[2]
    local ok
    if op == 'gt' then ok = x > n
    elseif op == 'gte' then ok = x >= n
    elseif op == 'lt' then ok = x < n
    elseif op == 'lte' then ok = x <= n
    elseif op == 'neq' then ok = x ~= n
    else ok = x == n end
    if not ok then return false end
  end
  return true
end

-- parse splits "seq|ref|has|num|value" (value may hold '|').
local function parse(m)
  local p1 = string.find(m, '|', 1, true)
  local p2 = string.find(m, '|', p1 + 1, true)
  local p3 = string.find(m, '|', p2 + 1, true)
  local p4 = string.find(m, '|', p3 + 1, true)
  return tonumber(string.sub(m, p1 + 1, p2 - 1)), string.sub(m, p2 + 1, p3 - 1) == '1',
    tonumber(string.sub(m, p3 + 1, p4 - 1)) or 0, string.sub(m, p4 + 1)
end

-- Slide the window, then add the entry.
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
local seq = redis.call('INCR', KEYS[2])
local member = string.format('%020d', seq) .. '|' .. ARGV[7]
redis.call('ZADD', KEYS[1], ARGV[1], member)
local n = redis.call('ZCARD', KEYS[1])
if n > maxn then
  redis.call('ZREMRANGEBYRANK', KEYS[1], 0, n - maxn - 1)
  n = maxn
end

local value, fired = 0, false
if typ == 'event_count' then
  value = n
  fired = cond(n)
else
  local items = redis.call('ZRANGE', KEYS[1], 0, -1)
  if typ == 'value_count' then
    local seen, k = {}, 0
    for _, m in ipairs(items) do
      local _, has, _, v = parse(m)
      if has and not seen[v] then
        seen[v] = true
        k = k + 1
      end
    end
    value = k
    fired = cond(k)
  elseif typ == 'temporal' then
    local seen, k = {}, 0
    for _, m in ipairs(items) do
      local ref = parse(m)
      if not seen[ref] then
        seen[ref] = true
        k = k + 1
      end
    end
    value = k
    if ncond == 0 then fired = (k == nrules) else fired = cond(k) end
  elseif typ == 'temporal_ordered' then
    -- Entries come in time order, ties in arrival order (seq).
    local nxt = 0
    for _, m in ipairs(items) do
      local ref = parse(m)
      if nxt < nrules and ref == nxt then nxt = nxt + 1 end
    end
    value = nxt
    fired = (nxt == nrules)
  elseif typ == 'value_sum' or typ == 'value_avg' then
    local sum, k = 0, 0
    for _, m in ipairs(items) do
      local _, has, num = parse(m)
      if has then
        sum = sum + num
        k = k + 1
      end
    end
    if k > 0 then
      if typ == 'value_avg' then sum = sum / k end
      value = sum
      fired = cond(sum)
    end
  elseif typ == 'value_percentile' then
    local _, curHas, _, cur = parse(member)
    if curHas then
      local same, k = 0, 0
      for _, m in ipairs(items) do
        local _, has, _, v = parse(m)
        if has then
          k = k + 1
          if v == cur then same = same + 1 end
        end
      end
      value = 100 * same / k
      fired = cond(value)
    end
  end
end

if fired then
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2]
  redis.call('DEL', KEYS[1])
  redis.call('PEXPIRE', KEYS[2], ttl)
  return {1, string.format('%.17g', value), n, first}
end
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('PEXPIRE', KEYS[2], ttl)
return {0}
