import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type Redis from 'ioredis';
import { REGION_STORES_ALL_FIELD, regionStoreField, regionStoresChangedChannel, regionStoresKey } from '@falaj/contracts';
import { RedisHashWriter } from '@falaj/messaging';
import { REGISTRY_CONFIG, REGISTRY_REDIS, type RegistryConfig } from '../registry.config';
import { RegionStoreConnections } from './region-store.connections';

/**
 * The regions with a store, for the edges (RegionStoreGate in every inference pipeline): they
 * refuse a call of any other region before it is served, so its audit event is never made.
 * The map is this registry's configuration; the hash is rewritten from it at boot and when lost.
 */
@Injectable()
export class RegionStoresMirror extends RedisHashWriter implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(RegionStoreConnections) private readonly stores: RegionStoreConnections,
    @Inject(REGISTRY_REDIS) redis: Redis,
    @Inject(REGISTRY_CONFIG) config: RegistryConfig,
  ) {
    super(redis, regionStoresKey(config.prefix), regionStoresChangedChannel(config.prefix));
  }

  onApplicationBootstrap(): Promise<void> {
    return this.start();
  }

  onApplicationShutdown(): void {
    this.stop();
  }

  protected async records(): Promise<[string, string][]> {
    const regions = this.stores.acceptedRegions();
    return regions === null ? [[REGION_STORES_ALL_FIELD, '1']] : regions.map((region): [string, string] => [regionStoreField(region), '1']);
  }
}
