import {
  BATCH_RUNS_QUEUE,
  answeredStreamRequestKey,
  answeredStreamRequestsPattern,
  apiKeysKey,
  auditPoliciesChangedChannel,
  auditPoliciesKey,
  bullKeysPattern,
  bullPrefix,
  idempotencyRecordKey,
  modelQuotaBucket,
  payloadPoliciesChangedChannel,
  payloadPoliciesKey,
  poolStreamBytesKey,
  poolStreamKey,
  poolWorkersKey,
  quotaBucketKey,
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
  shadowLatencyKey,
  shadowReportKey,
  shadowReportsPattern,
  tenantQuotaBucket,
  workerHeartbeatKey,
  workerLeaseKey,
} from './index';

/**
 * Pins every Redis key, key pattern and channel name: a running deployment's data, and the
 * instances of the previous release during a rolling update, are found by these exact strings.
 * A change here is a migration, not a rename.
 */
describe('Redis keys', () => {
  const p = 'falaj';

  it('names the dispatch streams and their budget', () => {
    expect(poolStreamKey(p, 'cpu.ae')).toBe('falaj:pool:cpu.ae:requests');
    expect(poolStreamBytesKey(p, 'cpu.ae')).toBe('falaj:pool:cpu.ae:requests:bytes');
    expect(replyStreamKey(p, 'gateway-1')).toBe('falaj:replies:gateway-1:stream');
  });

  it('names the workers: pool members, heartbeats and leases', () => {
    expect(poolWorkersKey(p, 'cpu.ae')).toBe('falaj:pool:cpu.ae:workers');
    expect(poolWorkersKey(p, '*')).toBe('falaj:pool:*:workers');
    expect(workerHeartbeatKey(p, 'w1')).toBe('falaj:worker:w1');
    expect(workerLeaseKey(p, 'cpu.ae', 'w1')).toBe('falaj:pool:cpu.ae:lease:w1');
  });

  it('names the mirrored records and their change channels', () => {
    expect(routingTableKey(p)).toBe('falaj:routing:v1');
    expect(routingChangedChannel(p)).toBe('falaj:routing:v1:changed');
    expect(apiKeysKey(p)).toBe('falaj:apikeys:v1');
    expect(revocationsKey(p)).toBe('falaj:revocations:v1');
    expect(revocationsChangedChannel(p)).toBe('falaj:revocations:v1:changed');
    expect(quotasKey(p)).toBe('falaj:quotas:v1');
    expect(quotasChangedChannel(p)).toBe('falaj:quotas:v1:changed');
    expect(payloadPoliciesKey(p)).toBe('falaj:payload-policy:v1');
    expect(payloadPoliciesChangedChannel(p)).toBe('falaj:payload-policy:v1:changed');
    expect(auditPoliciesKey(p)).toBe('falaj:audit-policies:v1');
    expect(auditPoliciesChangedChannel(p)).toBe('falaj:audit-policies:v1:changed');
    expect(regionStoresKey(p)).toBe('falaj:region-stores:v1');
    expect(regionStoresChangedChannel(p)).toBe('falaj:region-stores:v1:changed');
  });

  it('names the quota token buckets of a tenant and of a model', () => {
    expect(quotaBucketKey(p, tenantQuotaBucket('acme'))).toBe('falaj:quota:v1:t:acme');
    expect(quotaBucketKey(p, modelQuotaBucket('acme', 'resnet'))).toBe('falaj:quota:v1:m:acme/resnet');
    expect(quotaBucketsPattern(p)).toBe('falaj:quota:v1:*');
  });

  it('names the shadow comparisons of a deployment', () => {
    expect(shadowReportKey(p, 'acme', 'resnet', 3)).toBe('falaj:shadow:v1:acme/resnet/3');
    expect(shadowLatencyKey(p, 'acme', 'resnet', 3, 'primary')).toBe('falaj:shadow:v1:acme/resnet/3:primaryMs');
    expect(shadowLatencyKey(p, 'acme', 'resnet', 3, 'shadow')).toBe('falaj:shadow:v1:acme/resnet/3:shadowMs');
    expect(shadowReportsPattern(p)).toBe('falaj:shadow:v1:*');
  });

  it('names the streaming bridge’s answered requests per tenant', () => {
    expect(answeredStreamRequestKey(p, 'acme', 'req-1')).toBe('falaj:stream:answered:acme:req-1');
    expect(answeredStreamRequestsPattern(p)).toBe('falaj:stream:answered:*');
  });

  it('names idempotency records and the job queues', () => {
    expect(idempotencyRecordKey(p, 'acme', 'ab12')).toBe('falaj:idempotency:v1:acme:ab12');
    expect(bullPrefix(p)).toBe('falaj:bull');
    expect(BATCH_RUNS_QUEUE).toBe('batch-runs-v1');
    expect(bullKeysPattern(p)).toBe('falaj:bull:*');
  });

  it('puts every pattern around the keys it stands for', () => {
    const glob = (pattern: string) =>
      new RegExp(
        `^${pattern
          .split('*')
          .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
          .join('.*')}$`,
      );
    expect(glob(quotaBucketsPattern(p)).test(quotaBucketKey(p, modelQuotaBucket('a', 'm')))).toBe(true);
    expect(glob(shadowReportsPattern(p)).test(shadowLatencyKey(p, 'a', 'm', 1, 'shadow'))).toBe(true);
    expect(glob(answeredStreamRequestsPattern(p)).test(answeredStreamRequestKey(p, 'a', 'r'))).toBe(true);
    expect(glob(bullKeysPattern(p)).test(`${bullPrefix(p)}:${BATCH_RUNS_QUEUE}:wait`)).toBe(true);
  });
});
