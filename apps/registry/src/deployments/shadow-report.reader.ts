import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { shadowLatencyKey, shadowReportKey } from '@falaj/contracts';
import { shadowReport, type ShadowReport } from '@falaj/routing';
import { REGISTRY_CONFIG, REGISTRY_REDIS, type RegistryConfig } from '../registry.config';

/** Reads the shadow comparisons the gateways aggregate in Redis into a deployment's report. */
@Injectable()
export class ShadowReportReader {
  constructor(
    @Inject(REGISTRY_REDIS) private readonly redis: Redis,
    @Inject(REGISTRY_CONFIG) private readonly config: RegistryConfig,
  ) {}

  async read(tenantId: string, model: string, shadowVersion: number): Promise<ShadowReport> {
    const { prefix } = this.config;
    const results = await this.redis
      .multi()
      .hgetall(shadowReportKey(prefix, tenantId, model, shadowVersion))
      .lrange(shadowLatencyKey(prefix, tenantId, model, shadowVersion, 'primary'), 0, -1)
      .lrange(shadowLatencyKey(prefix, tenantId, model, shadowVersion, 'shadow'), 0, -1)
      .exec();
    const [counters, primary, shadow] = (results ?? []).map(([, value]) => value) as [Record<string, string>, string[], string[]];
    const n = (field: string) => Number(counters?.[field] ?? 0);
    return shadowReport(
      shadowVersion,
      { pairs: n('pairs'), exact: n('exact'), argmax: n('argmax'), shadowErrors: n('shadowErrors'), maxAbsDiff: n('maxAbsDiff') },
      (primary ?? []).map(Number),
      (shadow ?? []).map(Number),
    );
  }
}
