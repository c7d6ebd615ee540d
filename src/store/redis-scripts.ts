/**
 * Lua scripts RedisStore registers with ioredis (EVALSHA, EVAL on NOSCRIPT).
 * Each runs atomically and answers in one round trip however many keys it gets.
 *
 * TAKE_TOKENS mirrors token-bucket.ts exactly (keep the two in step):
 * KEYS = bucket keys; ARGV = nowMs, then perSecond, burst, cost for each key.
 * Returns {0, 0} when every bucket paid, else {i, waitMs} for the first bucket
 * (1-based) that could not pay, and then no bucket is touched.
 * A bucket is a hash {t = tokens, u = last update ms} that expires when it would
 * be full again, so idle buckets cost no memory.
 */
export const TAKE_TOKENS = `
local now = tonumber(ARGV[1])
local available = {}
local updated = {}
for i = 1, #KEYS do
  local base = 1 + (i - 1) * 3
  local rate = tonumber(ARGV[base + 1])
  local burst = tonumber(ARGV[base + 2])
  local cost = tonumber(ARGV[base + 3])
  local state = redis.call('HMGET', KEYS[i], 't', 'u')
  local tokens = burst
  local at = now
  if state[1] and state[2] then
    local last = tonumber(state[2])
    tokens = math.min(burst, tonumber(state[1]) + math.max(0, now - last) * rate / 1000)
    at = math.max(now, last)
  end
  local need = math.min(cost, burst)
  if tokens + 1e-9 < need then
    return {i, math.max(1, math.ceil((need - tokens) * 1000 / rate))}
  end
  available[i] = tokens
  updated[i] = at
end
for i = 1, #KEYS do
  local base = 1 + (i - 1) * 3
  local rate = tonumber(ARGV[base + 1])
  local burst = tonumber(ARGV[base + 2])
  local left = available[i] - tonumber(ARGV[base + 3])
  redis.call('HSET', KEYS[i], 't', string.format('%.17g', left), 'u', string.format('%.17g', updated[i]))
  redis.call('PEXPIRE', KEYS[i], math.max(1, math.ceil((burst - left) * 1000 / rate)))
end
return {0, 0}
`

/** KEYS = marks to set; ARGV[1] = ttl in ms. One command instead of one SET per key. */
export const SET_KEYS = `
for i = 1, #KEYS do
  redis.call('SET', KEYS[i], '1', 'PX', ARGV[1])
end
return #KEYS
`
