-- One event enters a correlation window; see package rediscorr. The
-- condition is evaluated as sigma.CheckWindow does: keep them in step.
--
-- KEYS[1] the window: a sorted set of entries scored by time (µs), each
--         "seq|ref|has|num|value", seq ordering entries of one instant
-- KEYS[2] the window's sequence counter
-- KEYS[3] counts over the window's entries, kept as entries come and go so
--         that value_count, temporal and value_percentile need not read the
--         whole window: "v:"..value -> entries with that value, "n" ->
--         entries with a value (value_percentile), ref -> entries of that
--         rule (temporal)
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

-- count keeps KEYS[3] in step with an entry that enters (d = 1) or
-- leaves (d = -1) the window.
local function count(m, d)
  local ref, has, _, v = parse(m)
  local fields = {}
  if typ == 'temporal' then
    fields = {tostring(ref)}
  elseif has and typ == 'value_count' then
    fields = {'v:' .. v}
  elseif has and typ == 'value_percentile' then
    fields = {'v:' .. v, 'n'}
  end
  for _, f in ipairs(fields) do
    if redis.call('HINCRBY', KEYS[3], f, d) <= 0 then
      redis.call('HDEL', KEYS[3], f)
    end
  end
end
local counted = typ == 'temporal' or typ == 'value_count' or typ == 'value_percentile'

-- Slide the window, then add the entry.
if counted then
  for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])) do
    count(m, -1)
  end
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
local seq = redis.call('INCR', KEYS[2])
local member = string.format('%020d', seq) .. '|' .. ARGV[7]
redis.call('ZADD', KEYS[1], ARGV[1], member)
if counted then count(member, 1) end
local n = redis.call('ZCARD', KEYS[1])
if n > maxn then
  if counted then
    for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, n - maxn - 1)) do
      count(m, -1)
    end
  end
  redis.call('ZREMRANGEBYRANK', KEYS[1], 0, n - maxn - 1)
  n = maxn
end

local value, fired = 0, false
if typ == 'event_count' then
  value = n
  fired = cond(n)
elseif typ == 'value_count' then
  value = redis.call('HLEN', KEYS[3])
  fired = cond(value)
elseif typ == 'temporal' then
  value = redis.call('HLEN', KEYS[3])
  if ncond == 0 then fired = (value == nrules) else fired = cond(value) end
elseif typ == 'value_percentile' then
  local _, curHas, _, cur = parse(member)
  if curHas then
    local same = tonumber(redis.call('HGET', KEYS[3], 'v:' .. cur)) or 0
    local k = tonumber(redis.call('HGET', KEYS[3], 'n')) or 0
    if k > 0 then
      value = 100 * same / k
      fired = cond(value)
    end
  end
else
  local items = redis.call('ZRANGE', KEYS[1], 0, -1)
  if typ == 'temporal_ordered' then
    -- Entries come in time order, ties in arrival order (seq).
    local nxt = 0
    for _, m in ipairs(items) do
      local ref = parse(m)
      if nxt < nrules and ref == nxt then nxt = nxt + 1 end
    end
    value = nxt
    fired = (nxt == nrules)
  elseif typ == 'value_sum' or typ == 'value_avg' then
    -- Summed afresh in window order, as CheckWindow does, so that the
    -- floating-point result is the same.
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
  end
end

if fired then
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2]
  redis.call('DEL', KEYS[1], KEYS[3])
  redis.call('PEXPIRE', KEYS[2], ttl)
  return {1, string.format('%.17g', value), n, first}
end
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('PEXPIRE', KEYS[2], ttl)
if counted then redis.call('PEXPIRE', KEYS[3], ttl) end
return {0}
