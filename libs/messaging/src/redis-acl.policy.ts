import {
  answeredStreamRequestsPattern,
  apiKeysKey,
  authorizationCodesPrefix,
  auditPoliciesChangedChannel,
  auditPoliciesKey,
  bullKeysPattern,
  idempotencyRecordKey,
  poolStreamBytesKey,
  poolStreamKey,
  poolWorkersKey,
  payloadPoliciesChangedChannel,
  payloadPoliciesKey,
  quotaBucketsPattern,
  quotasChangedChannel,
  quotasKey,
  regionStoresChangedChannel,
  regionStoresKey,
  replyStreamKey,
  revocationsChangedChannel,
  revocationsKey,
  routingChangedChannel,
  routingTableKey,
  shadowReportsPattern,
  workerHeartbeatKey,
  workerLeaseKey,
} from '@falaj/contracts';

/**
 * Who may do what on Redis: one ACL user per app class, limited to the key families, channels and
 * commands its code uses. A grant becomes one Redis 7 selector, `(%R~keys +cmd &channel)`, so a
 * command is allowed only on the keys of the grant that names it: the gateway may XADD to pool
 * streams but not to reply streams, a worker may XREADGROUP a pool stream but never XADD to one.
 *
 * Every key family the code builds is listed here (redis-acl.policy.spec.ts fails on one that is
 * not); a new family, or a new command on an old one, is added here or the app is refused it.
 */
export type RedisAppRole = 'gateway' | 'router' | 'registry' | 'worker';
export const REDIS_APP_ROLES: readonly RedisAppRole[] = ['gateway', 'router', 'registry', 'worker'];

export type KeyAccess = 'R' | 'W' | 'RW';

export interface RedisGrant {
  /** What the grant is for: the capability that uses these keys. */
  purpose: string;
  keys: { pattern: string; access: KeyAccess }[];
  channels?: string[];
  commands: string[];
}

/** What every connection needs: AUTH/HELLO, ioredis' name and ready check (INFO), MULTI around a selector's commands. */
const CONNECTION_COMMANDS = [
  '+auth',
  '+hello',
  '+ping',
  '+echo',
  '+quit',
  '+reset',
  '+select',
  '+info',
  '+client|setname',
  '+client|getname',
  '+client|id',
  '+client|info',
  '+multi',
  '+exec',
  '+discard',
  // ioredis loads a pipeline's Lua scripts first; running one is still checked key by key.
  '+script|load',
  '+script|exists',
];

/**
 * BullMQ's queues: its Lua scripts touch most data types on the queue's own keys. Only the
 * registry holds them: it adds the chunks of batch jobs and runs them (workers see job rows only
 * as pool-stream entries, like any call).
 * Keyless commands that would reach beyond the queue's keys are taken away (-@dangerous removes
 * KEYS, FLUSHALL, CONFIG, DEBUG and the like).
 */
const BULLMQ_COMMANDS = ['+@read', '+@write', '+@blocking', '+eval', '+evalsha', '-@dangerous', '-scan', '-randomkey', '-dbsize'];

const grants = (p: string): Record<RedisAppRole, RedisGrant[]> => {
  const R = (pattern: string) => ({ pattern, access: 'R' as const });
  const W = (pattern: string) => ({ pattern, access: 'W' as const });
  const RW = (pattern: string) => ({ pattern, access: 'RW' as const });

  const routingRead: RedisGrant = {
    purpose: 'routing table, read and followed',
    keys: [R(routingTableKey(p))],
    channels: [routingChangedChannel(p)],
    commands: ['+hgetall', '+subscribe', '+unsubscribe'],
  };
  const apiKeysRead: RedisGrant = { purpose: 'API-key records, read', keys: [R(apiKeysKey(p))], commands: ['+hget', '+hmget'] };
  const revocationsRead: RedisGrant = {
    purpose: 'revocation mirror, read and followed',
    keys: [R(revocationsKey(p))],
    channels: [revocationsChangedChannel(p)],
    commands: ['+hgetall', '+subscribe', '+unsubscribe'],
  };
  const quotasRead: RedisGrant = { purpose: 'quota records, read and followed', keys: [R(quotasKey(p))], channels: [quotasChangedChannel(p)], commands: ['+hgetall', '+subscribe', '+unsubscribe'] };
  const payloadPoliciesRead: RedisGrant = {
    purpose: 'payload policies, read and followed',
    keys: [R(payloadPoliciesKey(p))],
    channels: [payloadPoliciesChangedChannel(p)],
    commands: ['+hgetall', '+subscribe', '+unsubscribe'],
  };
  // Read every few seconds by the inference pipeline (RegionStoreGate); no subscription.
  const regionStoresRead: RedisGrant = { purpose: 'regions with an audit store, read', keys: [R(regionStoresKey(p))], commands: ['+hgetall'] };
  const poolMonitor: RedisGrant = {
    purpose: 'pool monitor: live workers and their heartbeats',
    keys: [R(poolWorkersKey(p, '*')), R(workerHeartbeatKey(p, '*'))],
    commands: ['+zrangebyscore', '+mget'],
  };
  // The budget's enqueue script (pool-stream-budget.ts): XLEN and the byte counter checked, then XADD, in one EVALSHA.
  const dispatch: RedisGrant = {
    purpose: 'dispatch: requests onto a pool stream, within its budget',
    keys: [RW(poolStreamKey(p, '*')), RW(poolStreamBytesKey(p, '*'))],
    commands: ['+evalsha', '+eval', '+xlen', '+xadd', '+get', '+set', '+incrby', '+decrby'],
  };
  // Made and kept alive by its reader (XGROUP CREATE MKSTREAM, PEXPIRE: never an XADD), read, then deleted entry by entry.
  const replies: RedisGrant = { purpose: "dispatch: the instance's reply stream", keys: [RW(replyStreamKey(p, '*'))], commands: ['+xgroup|create', '+pexpire', '+xread', '+xdel', '+del'] };
  const tokenBuckets: RedisGrant = { purpose: 'quota token buckets (Lua)', keys: [RW(quotaBucketsPattern(p))], commands: ['+evalsha', '+eval', '+time', '+hmget', '+hset', '+pexpire'] };
  const bull: RedisGrant = { purpose: 'BullMQ batch queues', keys: [RW(bullKeysPattern(p))], commands: BULLMQ_COMMANDS };

  // What every inference edge needs (the gateway's and the router's Kafka bridge): one pipeline, one set of grants.
  const inferenceEdge: RedisGrant[] = [dispatch, replies, routingRead, poolMonitor, tokenBuckets, quotasRead, apiKeysRead, revocationsRead, payloadPoliciesRead, regionStoresRead];

  return {
    gateway: [
      ...inferenceEdge,
      { purpose: 'shadow comparisons (Lua)', keys: [RW(shadowReportsPattern(p))], commands: ['+evalsha', '+eval', '+hincrby', '+hget', '+hset', '+lpush', '+ltrim'] },
      { purpose: 'audit policies, read and followed', keys: [R(auditPoliciesKey(p))], channels: [auditPoliciesChangedChannel(p)], commands: ['+hgetall', '+subscribe', '+unsubscribe'] },
      // SET NX claims a key for the first call, SET XX keeps its answer, DEL frees a retryable failure.
      { purpose: 'idempotency keys: first answers kept for retries', keys: [RW(idempotencyRecordKey(p, '*', '*'))], commands: ['+set', '+get', '+del'] },
    ],
    router: [
      ...inferenceEdge,
      { purpose: 'routing table, written', keys: [RW(routingTableKey(p))], channels: [routingChangedChannel(p)], commands: ['+hset', '+hdel', '+hkeys', '+publish'] },
      { purpose: 'streaming bridge: requests already answered', keys: [RW(answeredStreamRequestsPattern(p))], commands: ['+set', '+mget'] },
    ],
    registry: [
      // The batch runner: job rows run through the inference pipeline, as the gateway's calls do.
      dispatch,
      replies,
      poolMonitor,
      tokenBuckets,
      quotasRead,
      routingRead,
      { purpose: 'API-key records, written and read', keys: [RW(apiKeysKey(p))], commands: ['+hget', '+hmget', '+hset', '+hdel', '+hkeys', '+hexists'] },
      { purpose: 'one-time authorization codes of the built-in issuer, kept and redeemed', keys: [RW(`${authorizationCodesPrefix(p)}*`)], commands: ['+set', '+getdel'] },
      {
        purpose: 'revocation mirror, written and followed',
        keys: [RW(revocationsKey(p))],
        channels: [revocationsChangedChannel(p)],
        commands: ['+hgetall', '+hset', '+hdel', '+hkeys', '+publish', '+subscribe', '+unsubscribe'],
      },
      { purpose: 'quota records, written', keys: [RW(quotasKey(p))], channels: [quotasChangedChannel(p)], commands: ['+exists', '+hexists', '+del', '+hset', '+hdel', '+publish'] },
      {
        purpose: 'payload policies, written',
        keys: [RW(payloadPoliciesKey(p))],
        channels: [payloadPoliciesChangedChannel(p)],
        commands: ['+exists', '+hexists', '+del', '+hset', '+hdel', '+publish'],
      },
      {
        purpose: "regions with an audit store, written (and read by its jobs' pipeline)",
        keys: [RW(regionStoresKey(p))],
        channels: [regionStoresChangedChannel(p)],
        commands: ['+exists', '+hexists', '+del', '+hset', '+hdel', '+publish', '+hgetall'],
      },
      { purpose: 'audit policies, written', keys: [RW(auditPoliciesKey(p))], channels: [auditPoliciesChangedChannel(p)], commands: ['+exists', '+hexists', '+del', '+hset', '+hdel', '+publish'] },
      // SCAN names keys of any prefix (names only: it reads no value); the pools are not known in advance.
      { purpose: 'worker heartbeats, read for load state', keys: [R(poolWorkersKey(p, '*')), R(workerHeartbeatKey(p, '*'))], commands: ['+scan', '+zrangebyscore', '+mget'] },
      { purpose: 'shadow comparisons, read', keys: [R(shadowReportsPattern(p))], commands: ['+hgetall', '+lrange'] },
      bull,
    ],
    worker: [
      // The budget's remove script: XACK, XDEL and the entry's bytes off the counter, in one EVALSHA.
      // The leases sit in the same selector: the claim script checks a lease and takes its holder's entries in one EVALSHA.
      {
        purpose: "serving: a pool stream's consumer group, and the workers' liveness leases",
        keys: [RW(poolStreamKey(p, '*')), RW(poolStreamBytesKey(p, '*')), RW(workerLeaseKey(p, '*', '*'))],
        commands: ['+xgroup|create', '+xgroup|delconsumer', '+xreadgroup', '+xack', '+xdel', '+xclaim', '+xautoclaim', '+xpending', '+evalsha', '+eval', '+xlen', '+set', '+decrby', '+del', '+exists'],
      },
      // NOMKSTREAM: a worker adds only to a reply stream its reader made.
      { purpose: 'serving: replies onto the asking instance’s stream', keys: [W(replyStreamKey(p, '*'))], commands: ['+xadd'] },
      { purpose: 'heartbeats', keys: [W(poolWorkersKey(p, '*')), W(workerHeartbeatKey(p, '*'))], commands: ['+set', '+del', '+zadd', '+zrem', '+zremrangebyscore'] },
    ],
  };
};

/** The grants of one app class under a prefix. */
export function redisGrants(prefix: string, role: RedisAppRole): RedisGrant[] {
  return grants(prefix)[role];
}

const selectorKey = ({ pattern, access }: { pattern: string; access: KeyAccess }) => `${access === 'RW' ? '' : `%${access}`}~${pattern}`;

/**
 * The rules of `ACL SETUSER <name> ...` for an app class, after `reset`: on, its password (as
 * the SHA-256 Redis keeps, so the password itself never crosses to Redis), no keys, channels or
 * commands of its own beyond the connection's, and one selector per grant.
 */
export function redisAclRules(prefix: string, role: RedisAppRole, passwordSha256: string): string[] {
  if (!/^[0-9a-f]{64}$/.test(passwordSha256)) throw new Error('passwordSha256 must be 64 lowercase hex digits');
  const selectors = redisGrants(prefix, role).map((grant) => `(${[...grant.keys.map(selectorKey), ...(grant.channels ?? []).map((c) => `&${c}`), ...grant.commands].join(' ')})`);
  return ['reset', 'on', `#${passwordSha256}`, 'resetkeys', 'resetchannels', '-@all', ...CONNECTION_COMMANDS, ...selectors];
}

/** The ACL user name of an app class under a prefix: `falaj-gateway` for `npm start`. */
export const redisUsername = (prefix: string, role: RedisAppRole): string => `${prefix}-${role}`;

/** Which Redis app class an app runs as (both workers are one class). */
export function redisRoleOf(app: 'gateway' | 'registry' | 'router' | 'cpu-worker' | 'gpu-worker'): RedisAppRole {
  return app === 'cpu-worker' || app === 'gpu-worker' ? 'worker' : app;
}
