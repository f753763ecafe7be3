import { countLimitRefusal, metricsWithLimits } from './limit-refusals';
import { DomainError } from '@falaj/contracts';

const countOf = async (limit: string): Promise<number> => {
  const text = await metricsWithLimits();
  const line = text.split('\n').find((l) => l.startsWith(`falaj_limit_refusals_total{limit="${limit}"}`));
  return line === undefined ? 0 : Number(line.split(' ').pop());
};

describe(countLimitRefusal.name, () => {
  it('counts an error carrying a named limit under that limit, and returns it', async () => {
    const before = await countOf('batch_tenant_jobs');
    expect(countLimitRefusal(new DomainError(429, 'over', 'x', { limit: 'batch_tenant_jobs' }))).toBe('batch_tenant_jobs');
    expect(await countOf('batch_tenant_jobs')).toBe(before + 1);
  });

  it("counts Fastify's body limit (counted after inflation) as request_bytes", async () => {
    const before = await countOf('request_bytes');
    expect(countLimitRefusal(Object.assign(new Error('Request body is too large'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 }))).toBe('request_bytes');
    expect(await countOf('request_bytes')).toBe(before + 1);
  });

  it('counts nothing for an error of no limit, or of a name no limit has', async () => {
    const before = await metricsWithLimits();
    expect(countLimitRefusal(new DomainError(400, 'bad', 'bad_request'))).toBeUndefined();
    expect(countLimitRefusal(Object.assign(new Error('x'), { limit: 'made_up' }))).toBeUndefined();
    expect(countLimitRefusal(null)).toBeUndefined();
    expect(await metricsWithLimits()).toBe(before);
  });
});
