import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { QuotaConfigSchema, QuotaError, resolveTarget } from '@falaj/routing';
import type { GatewayConfig } from '../gateway.config';
import { QuotaService } from './quota.service';

/** Real Redis: the token-bucket script as every gateway runs it. */
describe(QuotaService.name, () => {
  const prefix = `falajtest-quota-${randomBytes(3).toString('hex')}`;
  const redisUrl = process.env.FALAJ_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const quotas = QuotaConfigSchema.parse({
    default: { rps: 1000, burst: 100_000 },
    tenants: { acme: { rps: 2, burst: 5, concurrency: 2 } },
    models: { 'globex/slow': { rps: 1, burst: 3 } },
  });
  const config = { prefix, redis: { url: redisUrl }, gatewayId: 'quota-spec', quotas } as unknown as GatewayConfig;
  const service = new QuotaService(config);
  const other = new QuotaService(config);

  afterAll(async () => {
    const redis = new Redis(redisUrl);
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    await service.onApplicationShutdown();
    await other.onApplicationShutdown();
  });

  const outcome = async (quota: QuotaService, tenant: string, model: string) => {
    try {
      (await quota.admit(tenant, model))();
      return 'ok';
    } catch (error) {
      return error as QuotaError;
    }
  };

  it('admits a burst across gateways, then refuses with 429 and a retry time', async () => {
    const results = [];
    for (let i = 0; i < 6; i++) results.push(await outcome(i % 2 ? other : service, 'acme', 'm'));
    expect(results.slice(0, 5)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
    const refused = results[5] as QuotaError;
    expect(refused.status).toBe(429);
    // The bucket has a token again within 0.5 s; every refusal says so in whole seconds, never 0
    // (retryAfterOf, the one rounding of the gateway, the bridge and jobs), and the message agrees.
    expect(refused.retryAfterSeconds).toBe(1);
    expect(refused.message).toMatch(/; retry after 1 s$/);
  });

  it('refills at the configured rate', async () => {
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(await outcome(service, 'acme', 'm')).toBe('ok');
  });

  it('keeps a per-model bucket beside the tenant default', async () => {
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await outcome(service, 'globex', 'slow'));
    expect(results.slice(0, 3)).toEqual(['ok', 'ok', 'ok']);
    expect((results[3] as QuotaError).status).toBe(429);
    expect(await outcome(service, 'globex', 'fast')).toBe('ok');
  });

  it('limits requests in flight per tenant, and frees the slot on release', async () => {
    const local = new QuotaService({ ...config, prefix: `${prefix}-c`, quotas: QuotaConfigSchema.parse({ tenants: { acme: { concurrency: 2 } } }) });
    const a = await local.admit('acme', 'm');
    const b = await local.admit('acme', 'm');
    await expect(local.admit('acme', 'm')).rejects.toMatchObject({ status: 429 });
    a();
    a();
    (await local.admit('acme', 'm'))();
    b();
    await local.onApplicationShutdown();
  });

  it('costs little per request: resolve + quota p50 and p99 (printed for docs/benchmarks.md)', async () => {
    const route = {
      tenantId: 'globex',
      model: 'fast',
      updatedAt: new Date().toISOString(),
      targets: [
        { version: 1, pool: 'cpu.ae', weight: 90 },
        { version: 2, pool: 'cpu.ae', weight: 10 },
      ],
      signatures: { '1': { inputs: [], outputs: [] }, '2': { inputs: [], outputs: [] } },
    };
    const times: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const t0 = performance.now();
      resolveTarget('fast', route, undefined, `user-${i}`);
      (await service.admit('globex', 'fast'))();
      times.push(performance.now() - t0);
    }
    times.sort((x, y) => x - y);
    const p50 = times[Math.floor(times.length * 0.5)];
    const p99 = times[Math.floor(times.length * 0.99)];
    process.stdout.write(`routing+quota added latency: p50 ${p50.toFixed(3)} ms, p99 ${p99.toFixed(3)} ms\n`);
    expect(p50).toBeLessThan(20);
  });
});
