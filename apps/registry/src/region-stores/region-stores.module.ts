import { Global, Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { REGISTRY_CONFIG, type RegistryConfig } from '../registry.config';
import { RegionStoreConnections } from './region-store.connections';
import { RegionStoresMirror } from './region-stores.mirror';

@Injectable()
class RegionStoresCloser implements OnApplicationShutdown {
  constructor(@Inject(RegionStoreConnections) private readonly stores: RegionStoreConnections) {}

  onApplicationShutdown(): Promise<void> {
    return this.stores.close();
  }
}

/**
 * The regions' stores (FALAJ_REGION_STORES): connected and migrated before any provider that
 * writes regional rows is made (an async factory), and the accepted regions mirrored to Redis
 * for the edges. Global: the audit, jobs, retention, erasure and rollouts all reach rows through it.
 */
@Global()
@Module({
  providers: [
    {
      provide: RegionStoreConnections,
      inject: [getDataSourceToken(), REGISTRY_CONFIG],
      useFactory: (catalog: DataSource, config: RegistryConfig) => RegionStoreConnections.open(catalog, config.regionStores, config.database),
    },
    RegionStoresCloser,
    RegionStoresMirror,
  ],
  exports: [RegionStoreConnections],
})
export class RegionStoresModule {}
