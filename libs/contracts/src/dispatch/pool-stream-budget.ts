/**
 * The budget of a pool's request stream, shared by every gateway and router: nothing accepted
 * is ever trimmed; an enqueue past the budget is refused instead (503 with Retry-After).
 *
 * Entries are counted by Redis itself (XLEN). Bytes are a counter beside the stream, kept exact
 * by one rule: an entry enters only through POOL_STREAM_ENQUEUE_LUA and leaves only through
 * POOL_STREAM_REMOVE_LUA, each of which moves the counter in the same atomic script as the XADD
 * or XDEL. An entry's bytes (entryBytes) are the lengths of its field names and values: what the
 * script measures on the way in (`#ARGV[i]`) and what a worker measures on the fields it read,
 * the same bytes, so no size is stored in the entry and no payload is read back to decrement.
 * Whenever the stream is empty the counter is set to exactly 0 (a lost stream, a flushed key or
 * a direct XADD cannot leave it drifted past the next drain).
 */
export const poolStreamBytesKey = (prefix: string, pool: string): string => `${prefix}:pool:${pool}:requests:bytes`;

/** Default of FALAJ_POOL_STREAM_MAX_ENTRIES: entries one pool stream holds (waiting or being served). */
export const DEFAULT_POOL_STREAM_MAX_ENTRIES = 10_000;
/** Default of FALAJ_POOL_STREAM_MAX_BYTES: bytes of those entries. */
export const DEFAULT_POOL_STREAM_MAX_BYTES = 512 * 1024 * 1024;

/** The bytes an entry counts for: its field names and values, as read back from the stream. */
export function entryBytes(fields: readonly Buffer[]): number {
  let total = 0;
  for (const field of fields) total += field.length;
  return total;
}

/** Refusals of POOL_STREAM_ENQUEUE_LUA: [reason, entries, bytes, entryBytes], what the stream held. */
export const POOL_STREAM_FULL_ENTRIES = 0;
export const POOL_STREAM_FULL_BYTES = 2;

/**
 * KEYS: the stream, its bytes counter. ARGV: max entries, max bytes, then the entry's field/value
 * pairs. Refused when the stream already holds max entries, or when the entry's bytes would take
 * it past max bytes (an entry larger than the whole budget still enters an empty stream, alone,
 * so it is never refused for good). The mirror of poolStreamAdmission (@falaj/dispatch).
 * Answers the new entry's id, or a refusal (above). Three commands on the hot path (XLEN, INCRBY,
 * XADD): the counter is raised first and lowered back on a refusal, all inside the one script.
 */
export const POOL_STREAM_ENQUEUE_LUA = `
local size = 0
for i = 3, #ARGV do size = size + #ARGV[i] end
local entries = redis.call('XLEN', KEYS[1])
if entries >= tonumber(ARGV[1]) then return {0, entries, tonumber(redis.call('GET', KEYS[2]) or '0'), size} end
if entries == 0 then
  redis.call('SET', KEYS[2], size)
else
  local bytes = redis.call('INCRBY', KEYS[2], size)
  if bytes > tonumber(ARGV[2]) then
    redis.call('DECRBY', KEYS[2], size)
    return {2, entries, bytes - size, size}
  end
end
return redis.call('XADD', KEYS[1], '*', unpack(ARGV, 3))
`;

/**
 * KEYS: the stream, its bytes counter. ARGV: the consumer group, then id/bytes pairs of the
 * entries served (or dropped: past their deadline, undecodable). Acknowledges them, deletes them,
 * and takes off the bytes of those this call really deleted: an entry removed twice (its
 * reclaimer and a slow first worker both finishing it) is counted once. Removal acknowledges in
 * the same script, so an entry still pending has not been removed: when XACK acknowledges every
 * id (the usual case) one XDEL deletes them all and all their bytes go; otherwise each is deleted
 * alone and counted when XDEL answers 1. (An entry deleted by hand, outside these scripts, while
 * pending would be counted again: the counter is floored at 0 and set right at the next drain.)
 * Answers the bytes freed.
 */
export const POOL_STREAM_REMOVE_LUA = `
local ids = {}
local total = 0
for i = 2, #ARGV, 2 do
  ids[#ids + 1] = ARGV[i]
  total = total + tonumber(ARGV[i + 1])
end
local freed = 0
if redis.call('XACK', KEYS[1], ARGV[1], unpack(ids)) == #ids then
  redis.call('XDEL', KEYS[1], unpack(ids))
  freed = total
else
  for i = 2, #ARGV, 2 do
    if redis.call('XDEL', KEYS[1], ARGV[i]) == 1 then freed = freed + tonumber(ARGV[i + 1]) end
  end
end
if redis.call('XLEN', KEYS[1]) == 0 then
  redis.call('SET', KEYS[2], 0)
elseif freed > 0 then
  if redis.call('DECRBY', KEYS[2], freed) < 0 then redis.call('SET', KEYS[2], 0) end
end
return freed
`;
