/**
 * Records one shadow comparison atomically. KEYS: the report hash, the primary and shadow latency
 * lists. ARGV: ok (1/0), exact (1/0), argmax (1/0), max abs diff, primary ms, shadow ms, samples kept.
 */
export const RECORD_PAIR_LUA = `
if ARGV[1] == '0' then
  redis.call('HINCRBY', KEYS[1], 'shadowErrors', 1)
  return 0
end
redis.call('HINCRBY', KEYS[1], 'pairs', 1)
redis.call('HINCRBY', KEYS[1], 'exact', tonumber(ARGV[2]))
redis.call('HINCRBY', KEYS[1], 'argmax', tonumber(ARGV[3]))
local diff = tonumber(ARGV[4])
local current = tonumber(redis.call('HGET', KEYS[1], 'maxAbsDiff') or '0')
if diff > current then redis.call('HSET', KEYS[1], 'maxAbsDiff', ARGV[4]) end
local keep = tonumber(ARGV[7])
redis.call('LPUSH', KEYS[2], ARGV[5])
redis.call('LTRIM', KEYS[2], 0, keep - 1)
redis.call('LPUSH', KEYS[3], ARGV[6])
redis.call('LTRIM', KEYS[3], 0, keep - 1)
return 1
`;
