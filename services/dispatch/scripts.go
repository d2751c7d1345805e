package dispatch

import "github.com/redis/go-redis/v9"

// Every script below touches the keys of exactly one tenant (one hash slot).
// Global indexes (tenants with ready work, tenants needing attention, tenants
// with dead jobs) are updated by separate commands issued after the script,
// and the readers of those indexes re-check, so that no update is lost.
//
// Numbers handed back to redis.call are formatted with %d: Lua would print a
// millisecond timestamp as a float on some interpreters.

const luaPrelude = `
local function s(x) return string.format('%d', x) end
`

// enqueueScript inserts jobs of one tenant.
// KEYS: jobs, ready, delayed, dedup, depth
// ARGV: now, then per job: id, msg, kind, dedupKey, runAtMs
// Returns one id per job: its own, or the id of the job holding its dedup key.
var enqueueScript = redis.NewScript(luaPrelude + `
local now = tonumber(ARGV[1])
local out = {}
local i = 2
while i <= #ARGV do
  local id, msg, kind, dk, at = ARGV[i], ARGV[i+1], ARGV[i+2], ARGV[i+3], tonumber(ARGV[i+4])
  i = i + 5
  local holder = false
  if dk ~= '' then
    holder = redis.call('HGET', KEYS[4], dk)
    if not holder then redis.call('HSET', KEYS[4], dk, id) end
  end
  if holder then
    out[#out+1] = holder
  else
    if redis.call('HSETNX', KEYS[1], id, msg) == 1 then
      redis.call('HINCRBY', KEYS[5], kind, 1)
      if at > now then
        redis.call('ZADD', KEYS[3], s(at), id)
      else
        redis.call('RPUSH', KEYS[2], id)
      end
    end
    out[#out+1] = id
  end
end
return out
`)

// fetchScript takes up to n ready jobs of one tenant, honouring the tenant's
// policy (paused, concurrency cap), and marks them in flight until deadline.
// KEYS: ready, inflight, jobs, attempts, policy
// ARGV: n, deadlineMs, defaultCap
// Returns {status, weight, remaining, id, msg, attempts, ...}; status is the
// number popped, 0 when the queue was empty, -1 when capped, -2 when paused.
var fetchScript = redis.NewScript(luaPrelude + `
local pol = redis.call('HMGET', KEYS[5], 'weight', 'maxc', 'paused')
local w = pol[1] or ''
if pol[3] == '1' then return {-2, w, 0} end
local n = tonumber(ARGV[1])
local cap = tonumber(pol[2] or ARGV[3]) or 0
if cap > 0 then
  local used = redis.call('ZCARD', KEYS[2])
  if used >= cap then return {-1, w, 1} end
  if cap - used < n then n = cap - used end
end
local ids = redis.call('LPOP', KEYS[1], n)
if not ids then return {0, w, 0} end
local out = {#ids, w, redis.call('LLEN', KEYS[1])}
for _, id in ipairs(ids) do
  local msg = redis.call('HGET', KEYS[3], id)
  if msg then
    redis.call('ZADD', KEYS[2], ARGV[2], id)
    out[#out+1] = id
    out[#out+1] = msg
    out[#out+1] = redis.call('HGET', KEYS[4], id) or '0'
  end
end
return out
`)

// ackScript completes jobs. A job no longer in flight (reclaimed and handed
// to someone else, or handed back) is left alone.
// KEYS: inflight, jobs, attempts, errors, dedup, depth
// ARGV: per job: id, kind, dedupKey
var ackScript = redis.NewScript(`
local n = 0
local i = 1
while i <= #ARGV do
  local id, kind, dk = ARGV[i], ARGV[i+1], ARGV[i+2]
  i = i + 3
  if redis.call('ZREM', KEYS[1], id) == 1 then
    redis.call('HDEL', KEYS[2], id)
    redis.call('HDEL', KEYS[3], id)
    redis.call('HDEL', KEYS[4], id)
    if dk ~= '' and redis.call('HGET', KEYS[5], dk) == id then redis.call('HDEL', KEYS[5], dk) end
    if redis.call('HINCRBY', KEYS[6], kind, -1) <= 0 then redis.call('HDEL', KEYS[6], kind) end
    n = n + 1
  end
end
return n
`)

// retryScript moves an in-flight job to the delayed set (retry or snooze).
// KEYS: inflight, delayed, attempts, errors
// ARGV: id, atMs, error, countAttempt(0|1)
var retryScript = redis.NewScript(`
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return 0 end
if ARGV[4] == '1' then redis.call('HINCRBY', KEYS[3], ARGV[1], 1) end
if ARGV[3] ~= '' then redis.call('HSET', KEYS[4], ARGV[1], ARGV[3]) end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
return 1
`)

// deadScript moves an in-flight job to the dead-letter set.
// KEYS: inflight, dead, errors, dedup, depth, attempts
// ARGV: id, nowMs, error, kind, dedupKey
var deadScript = redis.NewScript(`
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[3])
redis.call('HINCRBY', KEYS[6], ARGV[1], 1)
if ARGV[5] ~= '' and redis.call('HGET', KEYS[4], ARGV[5]) == ARGV[1] then redis.call('HDEL', KEYS[4], ARGV[5]) end
if redis.call('HINCRBY', KEYS[5], ARGV[4], -1) <= 0 then redis.call('HDEL', KEYS[5], ARGV[4]) end
return 1
`)

// requeueScript hands in-flight jobs back to the head of the ready queue
// (graceful shutdown), without counting an attempt.
// KEYS: inflight, ready
// ARGV: ids
var requeueScript = redis.NewScript(`
local n = 0
for i = #ARGV, 1, -1 do
  if redis.call('ZREM', KEYS[1], ARGV[i]) == 1 then
    redis.call('LPUSH', KEYS[2], ARGV[i])
    n = n + 1
  end
end
return n
`)

// extendScript pushes the visibility deadline of running jobs forward.
// KEYS: inflight
// ARGV: deadlineMs, ids
var extendScript = redis.NewScript(`
local n = 0
for i = 2, #ARGV do
  n = n + redis.call('ZADD', KEYS[1], 'XX', 'CH', ARGV[1], ARGV[i])
end
return n
`)

// promoteScript is the scheduler's per-tenant step: reclaim expired
// in-flight jobs, move due delayed jobs to the ready queue, fire due
// schedules, and report when the tenant next needs attention.
// KEYS: inflight, ready, delayed, sched, scheddef, jobs, depth, policy, attempts
// ARGV: nowMs, limit, maxCatchUp
// Returns {next (-1 none), readyLen, reclaimed, promoted, fired, more}.
var promoteScript = redis.NewScript(luaPrelude + `
local now = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local catch = tonumber(ARGV[3])
local more = 0
local exp = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, limit)
for _, id in ipairs(exp) do
  redis.call('ZREM', KEYS[1], id)
  redis.call('HINCRBY', KEYS[9], id, 1)
  redis.call('LPUSH', KEYS[2], id)
end
local due = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', ARGV[1], 'LIMIT', 0, limit)
for _, id in ipairs(due) do
  redis.call('ZREM', KEYS[3], id)
  redis.call('RPUSH', KEYS[2], id)
end
if #exp == limit or #due == limit then more = 1 end
local fired = 0
local paused = redis.call('HGET', KEYS[8], 'paused') == '1'
local sc = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, limit)
if #sc == 2 * limit then more = 1 end
for i = 1, #sc, 2 do
  local sid = sc[i]
  local at = tonumber(sc[i+1])
  local def = redis.call('HGET', KEYS[5], sid)
  if not def then
    redis.call('ZREM', KEYS[4], sid)
  else
    local iv, kind, payload = string.match(def, '^(%d+)|([^|]*)|(.*)$')
    iv = tonumber(iv)
    if payload == '' then payload = '{}' end
    local n = 0
    while at <= now do
      if (not paused) and n < catch then
        local id = sid .. '@' .. s(at)
        local msg = '{"k":"' .. kind .. '","p":' .. payload .. ',"s":"' .. sid .. '","d":' .. s(at) .. ',"t":' .. s(now) .. '}'
        if redis.call('HSETNX', KEYS[6], id, msg) == 1 then
          redis.call('RPUSH', KEYS[2], id)
          redis.call('HINCRBY', KEYS[7], kind, 1)
          fired = fired + 1
        end
        n = n + 1
      end
      at = at + iv
    end
    redis.call('ZADD', KEYS[4], s(at), sid)
  end
end
local nxt = -1
for _, k in ipairs({KEYS[1], KEYS[3], KEYS[4]}) do
  local r = redis.call('ZRANGE', k, 0, 0, 'WITHSCORES')
  if r[2] then
    local v = tonumber(r[2])
    if nxt < 0 or v < nxt then nxt = v end
  end
end
return {nxt, redis.call('LLEN', KEYS[2]), #exp, #due, fired, more}
`)

// upsertScheduleScript stores a schedule. An unchanged interval keeps the
// current next run (so a rebuild or an edit does not shift or repeat runs);
// a new schedule or a new interval starts at firstDue.
// KEYS: sched, scheddef
// ARGV: id, def, intervalMs, firstDueMs
// Returns the next due time.
var upsertScheduleScript = redis.NewScript(`
local old = redis.call('HGET', KEYS[2], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
local cur = redis.call('ZSCORE', KEYS[1], ARGV[1])
if old and cur and string.match(old, '^(%d+)|') == ARGV[3] then
  return cur
end
redis.call('ZADD', KEYS[1], ARGV[4], ARGV[1])
return ARGV[4]
`)

// removeSchedulesScript deletes schedules.
// KEYS: sched, scheddef
// ARGV: ids
var removeSchedulesScript = redis.NewScript(`
local n = 0
for i = 1, #ARGV do
  redis.call('ZREM', KEYS[1], ARGV[i])
  n = n + redis.call('HDEL', KEYS[2], ARGV[i])
end
return n
`)

// retryDeadScript puts dead jobs back on the ready queue with a fresh
// attempt count.
// KEYS: dead, ready, attempts, errors, depth, jobs
// ARGV: ids
var retryDeadScript = redis.NewScript(`
local n = 0
for i = 1, #ARGV do
  local id = ARGV[i]
  if redis.call('ZREM', KEYS[1], id) == 1 then
    local msg = redis.call('HGET', KEYS[6], id)
    redis.call('HDEL', KEYS[3], id)
    redis.call('HDEL', KEYS[4], id)
    if msg then
      local kind = string.match(msg, '^{"k":"([^"]*)"')
      if kind then redis.call('HINCRBY', KEYS[5], kind, 1) end
      redis.call('RPUSH', KEYS[2], id)
      n = n + 1
    end
  end
end
return {n, redis.call('ZCARD', KEYS[1])}
`)

// purgeDeadScript deletes dead jobs for good.
// KEYS: dead, jobs, attempts, errors
// ARGV: ids
var purgeDeadScript = redis.NewScript(`
local n = 0
for i = 1, #ARGV do
  local id = ARGV[i]
  if redis.call('ZREM', KEYS[1], id) == 1 then
    redis.call('HDEL', KEYS[2], id)
    redis.call('HDEL', KEYS[3], id)
    redis.call('HDEL', KEYS[4], id)
    n = n + 1
  end
end
return {n, redis.call('ZCARD', KEYS[1])}
`)

// renewLeaseScript extends the lease only if this instance holds it.
// KEYS: leader
// ARGV: instance, ttlMs
var renewLeaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`)

// releaseLeaseScript gives the lease up if this instance holds it.
var releaseLeaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`)

var allScripts = []*redis.Script{
	enqueueScript, fetchScript, ackScript, retryScript, deadScript,
	requeueScript, extendScript, promoteScript, upsertScheduleScript,
	removeSchedulesScript, retryDeadScript, purgeDeadScript,
	renewLeaseScript, releaseLeaseScript,
}
