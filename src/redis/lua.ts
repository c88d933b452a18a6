/**
 * The Lua side of the Redis store: every change of a key's state is one script, so it is one
 * atomic step on the server however many processes share the key. The scripts mirror
 * `LocalKeyPacer` (src/pacer/local-key-pacer.ts) rule for rule — rolling logs ageing from arrival,
 * the server budget with in-flight correction, probe first, the gate with episodes and doubling —
 * except the token-bucket refill detection, which stays local (docs/distributed.md).
 *
 * Time is the Redis server's (`TIME`), never a process's own clock, so machines with skewed
 * clocks agree; it is kept from going backwards with a floor stored in the key's hash.
 *
 * One script for both operations, so that Redis knows both or neither: after a restart or a
 * failover (NOSCRIPT), the commands of a connection are then re-sent in the order they were made,
 * and a release is never overtaken by the acquire that followed it.
 *
 * KEYS: [1] meta hash, [2] in-flight set, [3..] one log per limit.
 * ARGV: [1] number of limits k, then (windowMs, limit) per limit, then the index of the limit the
 * headers describe (1-based), probe-first (1/0), the reservation grace in ms, the most arrivals a
 * log keeps one by one (`RollingWindow`'s `maxLogged`), the operation (`acquire` or `release`);
 * then the operation's own.
 */

const PRELUDE = `
if redis.replicate_commands then pcall(redis.replicate_commands) end
local INF = math.huge
local meta, inflight = KEYS[1], KEYS[2]
local k = tonumber(ARGV[1])
local W, L, LOG = {}, {}, {}
local maxW = 0
for i = 1, k do
  W[i] = tonumber(ARGV[2 * i])
  L[i] = tonumber(ARGV[2 * i + 1])
  LOG[i] = KEYS[2 + i]
  if W[i] > maxW then maxW = W[i] end
end
local described = tonumber(ARGV[2 * k + 2])
local probeFirst = ARGV[2 * k + 3] == '1'
local grace = tonumber(ARGV[2 * k + 4])
local maxLogged = tonumber(ARGV[2 * k + 5])
local op = ARGV[2 * k + 6]
local A = 2 * k + 7

local function fmt(x)
  if x == INF then return 'inf' end
  if x == -INF then return '-inf' end
  return string.format('%.3f', x)
end

local M = {}
do
  local raw = redis.call('HGETALL', meta)
  for i = 1, #raw, 2 do M[raw[i]] = raw[i + 1] end
end
local function num(f, d)
  local v = M[f]
  if v then return tonumber(v) end
  return d
end
local function set(f, s)
  M[f] = s
  redis.call('HSET', meta, f, s)
end
local function del(f)
  M[f] = nil
  redis.call('HDEL', meta, f)
end

local now
do
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
  local floor = num('now', 0)
  if now < floor then now = floor end
  set('now', fmt(now))
end

local function sentSeq() return num('seq', 0) end
local function grantedOf(m) return tonumber(string.match(m, ':(.*)$')) end

-- A reservation whose process never reported back (it died) stops counting after its window plus
-- the grace; past the longest window it is dropped.
while true do
  local first = redis.call('ZRANGE', inflight, 0, 0)[1]
  if not first or grantedOf(first) + maxW + grace > now then break end
  redis.call('ZREM', inflight, first)
end

-- Reservations still counting against limit i, and when the oldest of them stops counting.
local function inflightFor(i)
  local total = redis.call('ZCARD', inflight)
  local horizon = now - W[i] - grace
  local r = 0
  while r < total do
    local g = grantedOf(redis.call('ZRANGE', inflight, r, r)[1])
    if g > horizon then return total - r, g + W[i] + grace end
    r = r + 1
  end
  return 0, INF
end

local function limitOf(i) return num('l:' .. W[i], L[i]) end

-- Arrivals older than every logged one, counted instead of logged beyond 'maxLogged' (RollingWindow's
-- 'unlogged'); they leave the window together, when the newest of them ('uu:') does.
local function unlogged(i) return num('u:' .. W[i], 0) end
local function setUnlogged(i, n, newest)
  if n <= 0 then
    del('u:' .. W[i])
    del('uu:' .. W[i])
    return
  end
  set('u:' .. W[i], tostring(n))
  if newest then set('uu:' .. W[i], fmt(newest)) end
end
-- Counted arrivals in window i, logged one by one or not.
local function countedIn(i) return redis.call('ZCARD', LOG[i]) + unlogged(i) end

-- The log keeps the arrivals younger than the window, at most the newest 'limit' of them, and of
-- those at most 'maxLogged' one by one. Ranks are counted up from the size, never down from a
-- limit: a server may announce any limit.
local function trimLog(i)
  local horizon = fmt(now - W[i])
  if unlogged(i) > 0 and num('uu:' .. W[i]) <= tonumber(horizon) then setUnlogged(i, 0) end
  redis.call('ZREMRANGEBYSCORE', LOG[i], '-inf', horizon)
  local size = redis.call('ZCARD', LOG[i])
  local excess = size + unlogged(i) - limitOf(i)
  if excess > 0 then
    local older = math.min(excess, unlogged(i))
    if older > 0 then setUnlogged(i, unlogged(i) - older) end
    excess = excess - older
    if excess > 0 then
      redis.call('ZREMRANGEBYRANK', LOG[i], 0, excess - 1)
      size = size - excess
    end
  end
  local beyond = size - maxLogged
  if beyond > 0 then
    local newest = tonumber(redis.call('ZRANGE', LOG[i], beyond - 1, beyond - 1, 'WITHSCORES')[2])
    redis.call('ZREMRANGEBYRANK', LOG[i], 0, beyond - 1)
    setUnlogged(i, unlogged(i) + beyond, newest)
  end
end

-- RollingWindow.nextFreeAt, and when to look again where only responses in flight can free a slot.
local function windowFreeAt(i)
  trimLog(i)
  local older = unlogged(i)
  local size = older + redis.call('ZCARD', LOG[i])
  local fl, expiry = inflightFor(i)
  local over = size + fl - limitOf(i) + 1
  if over <= 0 then return now, now end
  if over > size then return INF, expiry end
  local t
  if over <= older then
    t = num('uu:' .. W[i]) + W[i]
  else
    t = tonumber(redis.call('ZRANGE', LOG[i], over - 1 - older, over - 1 - older, 'WITHSCORES')[2]) + W[i]
  end
  return t, t
end

local function budget()
  if not M['b:seq'] then return nil end
  return { seq = num('b:seq'), obs = num('b:obs'), rem = num('b:rem'), reset = num('b:reset'), exp = M['b:exp'] == '1' }
end
local function resetAt(b) return b.obs + b.reset end
local function isFresh(b) return b ~= nil and now < resetAt(b) end
-- Sends the observation may not have counted yet: every later one, and earlier ones still in flight.
local function spentSince(b)
  return sentSeq() - b.seq - 1 + redis.call('ZCOUNT', inflight, '-inf', '(' .. b.seq)
end
local function available(b)
  if b == nil then return INF end
  return b.rem - spentSince(b)
end

local function probeInFlight()
  local p = M['probe']
  if not p then return false end
  local m = redis.call('ZRANGEBYSCORE', inflight, p, p)[1]
  return m ~= nil and grantedOf(m) + W[described] + grace > now
end

-- LocalKeyPacer.verdict: true, probe | false, reason, at (may be INF), wake (when to look again).
local function verdict()
  local openAt = num('g:open', -INF)
  if now < openAt then return false, 'gate', openAt, openAt end
  local learning = probeFirst and M['hs'] == nil and M['nh'] == nil
  if learning and redis.call('ZCARD', inflight) > 0 then
    local _, e = inflightFor(described)
    return false, 'probe', INF, e
  end
  local b = budget()
  local fresh = isFresh(b)
  local at, wake, reason, probe = now, now, 'window', learning
  for i = 1, k do
    if not (i == described and fresh) then
      local f, w = windowFreeAt(i)
      if f > now then
        -- The server said its window has reset since: one probe may look, overriding the log,
        -- unless more were sent since than the server had left.
        if i == described and b ~= nil and not fresh and available(b) >= 0 then
          if probeInFlight() then
            local _, e = inflightFor(described)
            return false, 'probe', INF, e
          end
          probe = true
        else
          if f > at then at = f end
          if w > wake then wake = w end
        end
      end
    end
  end
  if fresh then
    local f, w = now, now
    if available(b) < 1 then
      f = resetAt(b)
      w = f
      -- Reset comes in whole seconds: when our sends explain the server's count, the exact log may free sooner.
      if b.exp then
        local lf, lw = windowFreeAt(described)
        if lf < f then f = lf end
        if lw < w then w = lw end
      end
    end
    if f > at then
      at = f
      reason = 'budget'
    end
    if w > wake then wake = w end
  end
  if at > now then return false, reason, at, wake end
  return true, probe
end

-- Idle keys disappear: logs after their window, the hash after the longest window twice or its gate.
-- A TTL is capped (a century) so that no announced wait makes PEXPIRE refuse it.
local function ttl(ms)
  if ms > 3e12 then ms = 3e12 end
  return math.ceil(ms)
end
local function expire()
  for i = 1, k do redis.call('PEXPIRE', LOG[i], ttl(W[i] + grace)) end
  redis.call('PEXPIRE', inflight, ttl(maxW + grace))
  local keep = 2 * maxW + grace
  local openAt = num('g:open', -INF)
  if openAt - now + maxW > keep then keep = openAt - now + maxW end
  redis.call('PEXPIRE', meta, ttl(keep))
end
`;

/**
 * `acquire`: grants up to ARGV[A] permits, oldest waiter first, while the key may send. Returns
 * `[now, reason, at, wake, ...grants]`: `reason` is empty when every permit asked for was
 * granted; each grant is `seq:alive`, or `seq:alive:p` for the probe, where `alive` is the
 * described window's sends alive at the grant, this one included.
 */
const ACQUIRE = `
local n = tonumber(ARGV[A])
local grants = {}
local ok, r, at, wake
while #grants < n do
  ok, r, at, wake = verdict()
  if not ok then break end
  local seq = sentSeq()
  set('seq', tostring(seq + 1))
  redis.call('ZADD', inflight, seq, seq .. ':' .. fmt(now))
  -- Our sends the server can hold when it counts this one, this one included (LocalKeyPacer's
  -- aliveAtGrant): the grant carries it to the release, which compares the server's count with it.
  trimLog(described)
  local alive = countedIn(described) + inflightFor(described)
  local grant = seq .. ':' .. alive
  if r then
    set('probe', tostring(seq))
    grant = grant .. ':p'
  end
  grants[#grants + 1] = grant
end
local reply
if #grants < n then
  reply = { fmt(now), r, fmt(at), fmt(wake) }
  -- Someone waits until at least 'wake': releases announce themselves until then.
  local mark = wake
  if mark == INF then mark = now + maxW + grace end
  if mark > num('w', -INF) then set('w', fmt(mark)) end
else
  reply = { fmt(now), '', '', '' }
end
expire()
for _, g in ipairs(grants) do reply[#reply + 1] = g end
return reply
`;

/**
 * `release`: takes the outcome of send ARGV[A] in: the reservation leaves the in-flight set, the send is
 * stamped into every log at its arrival (now), the headers update the budget, a 429 closes the
 * gate. The last argument is the `alive` count its grant carried. Returns `[gateWaitMs, gateReason,
 * consecutive429, episodeLastSeq, wakeAt]`; where someone waits, publishes `wakeAt` (when the key
 * may send next) on the key's channel.
 */
const RELEASE = `
local seq = tonumber(ARGV[A])
local kind = ARGV[A + 1]
local status = tonumber(ARGV[A + 2])
local counted = ARGV[A + 3] == '1'
local hasSnap = ARGV[A + 4] == '1'
local rem = tonumber(ARGV[A + 5])
local resetMs = tonumber(ARGV[A + 6])
local snapLimit = tonumber(ARGV[A + 7])
local snapW = tonumber(ARGV[A + 8])
local retryAfter = tonumber(ARGV[A + 9])
local u = tonumber(ARGV[A + 10])
local base = tonumber(ARGV[A + 11])
local cap = tonumber(ARGV[A + 12])
local factor = tonumber(ARGV[A + 13])
local jitter = tonumber(ARGV[A + 14])
local channel = ARGV[A + 15]
local aliveAtGrant = tonumber(ARGV[A + 16])

local m = redis.call('ZRANGEBYSCORE', inflight, seq, seq)[1]
if m then redis.call('ZREM', inflight, m) end
if M['probe'] == tostring(seq) then del('probe') end

local function stamp()
  for i = 1, k do
    redis.call('ZADD', LOG[i], fmt(now), tostring(seq))
    trimLog(i)
  end
end

local function windowFor(w)
  for i = 1, k do
    if W[i] == w then return i end
  end
  return described
end

local function clearBudget()
  for _, f in ipairs({ 'b:seq', 'b:obs', 'b:rem', 'b:reset', 'b:exp', 'b:gb' }) do del(f) end
end

-- LocalKeyPacer.learn and ServerBudget.observe (without the refill detector).
local function learn()
  if not hasSnap then
    if counted then
      set('nh', '1')
      local b = budget()
      if b ~= nil and not isFresh(b) then clearBudget() end
    end
    return
  end
  set('hs', '1')
  local wi = windowFor(snapW)
  if snapLimit >= 1 then set('l:' .. W[wi], tostring(math.floor(snapLimit))) end
  -- The server counted this send between its grant and its response, holding at most our sends
  -- alive at the grant and those granted since; not the log now, which ages each send from its
  -- response and may have let go of a burst during this one's round trip (LocalKeyPacer.learn).
  local ours
  if wi == described then
    ours = aliveAtGrant + sentSeq() - 1 - seq
  else
    trimLog(wi)
    ours = countedIn(wi) + inflightFor(wi)
  end
  local explained = limitOf(wi) - rem <= ours
  local o = { seq = seq, obs = now, rem = rem, reset = resetMs, exp = explained }
  local prev = budget()
  local take = false
  -- A reset more than a whole window beyond what a send answered after it says is bogus (a
  -- hostile header): it must not outlive the server's next answer.
  local window = snapW
  if window < 0 then window = W[described] end
  local bogus = prev ~= nil and seq >= num('b:gb', 0) and resetAt(prev) - resetAt(o) > window + 1000
  if prev == nil or bogus or resetAt(o) > resetAt(prev) + 1000 then
    take = true
  elseif resetAt(o) >= resetAt(prev) - 1000 then
    -- Responses come back out of order: within one window the most restrictive word wins.
    local mine, theirs = o.rem - spentSince(o), available(prev)
    take = mine < theirs or (mine == theirs and o.seq > prev.seq)
  end
  if take then
    set('b:gb', tostring(sentSeq()))
    set('b:seq', tostring(seq))
    set('b:obs', fmt(now))
    set('b:rem', tostring(rem))
    set('b:reset', fmt(resetMs))
    set('b:exp', explained and '1' or '0')
  end
end

-- src/retry/backoff.ts rateLimitWait, with the random draw u made by the caller.
local function exponential(seed, attempt)
  if seed <= 0 or cap <= 0 then return 0 end
  local v = seed * (factor ^ attempt)
  if v > cap then v = cap end
  return v
end
local function rateLimitWait(n)
  local given, why = nil, nil
  if retryAfter >= 0 then
    given, why = retryAfter, 'retry-after'
  elseif hasSnap and resetMs >= 0 then
    given, why = resetMs, 'reset'
  end
  if given == nil then
    local w = exponential(base, n - 1) * u
    if w < 1 then w = 1 end
    return w, 'backoff'
  end
  local seed = given
  if n > 1 and base > given then seed = base end
  local grown = exponential(seed, n - 1)
  if grown < given then grown = given end
  return grown + jitter * u, why
end

-- A server without headers refused us: lower the limit to what the window really held.
local function lowerLimit()
  if M['hs'] then return end
  trimLog(described)
  local held = countedIn(described) - 1
  if held >= 1 and held < limitOf(described) then
    set('l:' .. W[described], tostring(held))
    trimLog(described)
  end
end

local gateWait, gateReason = -1, ''
if kind == 'f' then
  stamp()
elseif kind == 'r' then
  if counted then stamp() end
  learn()
  local ep = num('g:ep', -1)
  if status == 429 then
    -- 429s answering sends granted before the episode began are one refusal, not many.
    local n = num('g:n', 0)
    local newEpisode = seq > ep
    if newEpisode then
      n = n + 1
      set('g:n', tostring(n))
      set('g:ep', tostring(sentSeq() - 1))
    end
    local w, why = rateLimitWait(n)
    local openAt = num('g:open', -INF)
    if now + w > openAt then
      openAt = now + w
      set('g:open', fmt(openAt))
    end
    gateWait, gateReason = openAt - now, why
    if newEpisode then lowerLimit() end
  elseif seq > ep then
    set('g:n', '0')
  end
end

local wakeAt = ''
if num('w', -INF) >= now then
  local ok, _, at = verdict()
  if ok then wakeAt = fmt(now) elseif at ~= INF then wakeAt = fmt(at) end
  if wakeAt ~= '' then redis.call('PUBLISH', channel, wakeAt) end
end
expire()
return { fmt(gateWait), gateReason, tostring(num('g:n', 0)), tostring(num('g:ep', -1)), wakeAt }
`;

/** The pacer's one script: the shared prelude, then the operation ARGV names. */
export const PACER_LUA = `${PRELUDE}
if op == 'acquire' then
${ACQUIRE}
end
${RELEASE}`;
