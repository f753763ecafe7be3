import { DynamicModule, Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuthModule, RedisApiKeyVerifier } from '@falaj/auth';
import { platformTopics, quarantineTopicSpec, regionAuditTopicSpec } from '@falaj/contracts';
import { TerminusModule } from '@nestjs/terminus';
import { KAFKA, KafkaModule, createRedis } from '@falaj/messaging';
import { HealthController, MetricsModule, healthProviders } from '@falaj/observability';
import type Redis from 'ioredis';
import type { Kafka } from 'kafkajs';
import { AliasesModule } from './aliases/aliases.module';
import { ApiKeysModule } from './api-keys/api-keys.module';
import { AuditModule } from './audit/audit.module';
import { AuditWriter } from './audit/audit.writer';
import { BatchModule } from './batch/batch.module';
import type { DatabaseConnection } from './database/database-connection';
import { dataSourceOptions } from './database/data-source.options';
import { DeploymentsModule } from './deployments/deployments.module';
import { ImportsModule } from './imports/imports.module';
import { LoadStateModule } from './load-state/load-state.module';
import { RegistryMetricsModule } from './metrics/metrics.module';
import { ModelsModule } from './models/models.module';
import { OAuthModule } from './oauth/oauth.module';
import { QuotasModule } from './quotas/quotas.module';
import { REGISTRY_CONFIG, REGISTRY_REDIS, type RegistryConfig } from './registry.config';
import { RegionStoreConnections } from './region-stores/region-store.connections';
import { RegionStoresModule } from './region-stores/region-stores.module';
import { RetentionModule } from './retention/retention.module';
import { ErasureModule } from './erasure/erasure.module';
import { RolloutsModule } from './rollouts/rollouts.module';
import { SigningModule } from './signing/signing.module';
import { TenantsModule } from './tenants/tenants.module';
import { TransitionsModule } from './transitions/transitions.module';
import { VersionsModule } from './versions/versions.module';

@Injectable()
class RedisCloser implements OnApplicationShutdown {
  constructor(@Inject(REGISTRY_REDIS) private readonly redis: Redis) {}

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => undefined);
  }
}

@Module({})
export class RegistryModule {
  static forRoot(config: RegistryConfig, database: DatabaseConnection): DynamicModule {
    const topics = platformTopics(config.prefix);
    return {
      module: RegistryModule,
      global: true,
      imports: [
        AuthModule.forRoot({
          ...config.auth,
          revocations: { redis: config.redis, prefix: config.prefix, issuer: config.auth.builtInIssuer, connectionName: 'registry' },
          apiKeys: { useFactory: () => new RedisApiKeyVerifier(createRedis(config.redis, 'registry:apikeys'), config.prefix, { ownsConnection: true }) },
        }),
        KafkaModule.forRoot({
          clientId: 'registry',
          connection: config.kafka,
          topics: [
            topics.lifecycle,
            topics.commands,
            topics.audit,
            quarantineTopicSpec(topics.audit.topic),
            topics.rollouts,
            // Each region with a store of its own has its own audit topic (docs/audit.md#regional-audit-stores-each-regions-audit-in-its-own-database).
            ...[...(config.regionStores?.keys() ?? [])].map((region) => regionAuditTopicSpec(config.prefix, region)),
          ],
        }),
        TypeOrmModule.forRoot(dataSourceOptions(database)),
        RegionStoresModule,
        TenantsModule,
        OAuthModule,
        ModelsModule,
        VersionsModule,
        ImportsModule,
        SigningModule,
        AliasesModule,
        TransitionsModule,
        DeploymentsModule,
        LoadStateModule,
        ApiKeysModule,
        AuditModule,
        BatchModule,
        RolloutsModule,
        QuotasModule,
        TerminusModule.forRoot({ logger: false }),
        MetricsModule.forRoot({ app: 'registry', access: 'operators' }),
        RegistryMetricsModule,
        RetentionModule,
        ErasureModule,
      ],
      controllers: [HealthController],
      providers: [
        { provide: REGISTRY_CONFIG, useValue: config },
        { provide: REGISTRY_REDIS, useFactory: () => createRedis(config.redis, 'registry') },
        RedisCloser,
        ...healthProviders({
          inject: [DataSource, KAFKA, AuditWriter, RegionStoreConnections],
          // Ready: Postgres (every record) and Kafka (lifecycle events it publishes, audit events
          // it writes). Not Redis: the admin API and the token endpoint serve without it (batch
          // chunks wait in Postgres), and every app needs tokens.
          useFactory: (health, db: DataSource, kafka: Kafka, audit: AuditWriter, stores: RegionStoreConnections) => [
            health.postgres('postgres', db),
            // Reported, never a reason to be unready: a region's store away holds only its own audit and rows.
            health.check('regionStores', () =>
              Promise.race([stores.states(), new Promise<Record<string, string>>((resolve) => setTimeout(() => resolve({ answer: 'not within 1500 ms' }), 1500).unref())]),
            ),
            health.kafka('kafka', kafka),
            // Running, and no batch held past the bound; its state (quarantined, retrying since) either way.
            health.check('auditConsumer', () => audit.readiness()),
          ],
        }),
      ],
      exports: [REGISTRY_CONFIG, REGISTRY_REDIS],
    };
  }
}
