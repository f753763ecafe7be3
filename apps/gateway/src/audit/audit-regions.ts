import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type Redis from 'ioredis';
import { RegionStoreGate } from '@falaj/dispatch';
import { createRedis } from '@falaj/messaging';
import { GATEWAY_CONFIG, type GatewayConfig } from '../gateway.config';

/**
 * Which audit topic an event goes to (RegionStoreGate.auditTopicOf): its region's own once the
 * registry keeps regions in stores of their own, else the shared one. Started before the sink
 * sends anything; until the registry's map is read, events take the shared topic, which the
 * registry drains into the same region stores.
 */
@Injectable()
export class AuditRegions implements OnModuleInit, OnApplicationShutdown {
  private readonly redis: Redis;
  private readonly gate: RegionStoreGate;

  constructor(@Inject(GATEWAY_CONFIG) config: GatewayConfig) {
    this.redis = createRedis(config.redis, `${config.gatewayId}:audit-regions`);
    this.gate = new RegionStoreGate(this.redis, config.prefix);
  }

  onModuleInit(): Promise<void> {
    return this.gate.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.gate.stop();
    await this.redis.quit().catch(() => undefined);
  }

  auditTopicOf(region: string): string {
    return this.gate.auditTopicOf(region);
  }
}
