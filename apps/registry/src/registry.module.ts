import { DynamicModule, Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuthModule, RedisApiKeyVerifier } from '@falaj/auth';
import { platformTopics } from '@falaj/contracts';
import { HealthController, HealthService, READINESS_CHECKS, type ReadinessCheck } from '@falaj/http';
import { KAFKA, KafkaModule, createRedis, probeKafka } from '@falaj/messaging';
import type Redis from 'ioredis';
import type { Kafka } from 'kafkajs';
import { AliasesModule } from './aliases/aliases.module';
import { ApiKeysModule } from './api-keys/api-keys.module';
import { AuditModule } from './audit/audit.module';
import { BatchModule } from './batch/batch.module';
import { dataSourceOptions } from './database/data-source.options';
import { DeploymentsModule } from './deployments/deployments.module';
import { LifecycleModule } from './lifecycle/lifecycle.module';
import { LoadStateModule } from './load-state/load-state.module';
import { ModelsModule } from './models/models.module';
import { QuotaMirrorModule } from './quotas/quota-mirror.module';
import { QuotasModule } from './quotas/quotas.module';
import { REGISTRY_CONFIG, REGISTRY_REDIS, type RegistryConfig } from './registry.config';
import { RolloutsModule } from './rollouts/rollouts.module';
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
  static forRoot(config: RegistryConfig): DynamicModule {
    const topics = platformTopics(config.prefix);
    return {
      module: RegistryModule,
      global: true,
      imports: [
        AuthModule.forRoot(config.jwtSecret, {
          apiKeys: { useFactory: () => new RedisApiKeyVerifier(createRedis(config.redisUrl, 'registry:apikeys'), config.prefix, { ownsConnection: true }) },
        }),
        KafkaModule.forRoot({ clientId: 'registry', brokers: config.kafka.brokers, topics: [topics.lifecycle, topics.commands, topics.audit, topics.rollouts] }),
        TypeOrmModule.forRoot(dataSourceOptions(config.databaseUrl)),
        LifecycleModule,
        TenantsModule,
        ModelsModule,
        VersionsModule,
        AliasesModule,
        TransitionsModule,
        DeploymentsModule,
        LoadStateModule,
        ApiKeysModule,
        AuditModule,
        BatchModule,
        RolloutsModule,
        QuotaMirrorModule,
        QuotasModule,
      ],
      controllers: [HealthController],
      providers: [
        { provide: REGISTRY_CONFIG, useValue: config },
        { provide: REGISTRY_REDIS, useFactory: () => createRedis(config.redisUrl, 'registry') },
        RedisCloser,
        HealthService,
        {
          provide: READINESS_CHECKS,
          inject: [DataSource, KAFKA, REGISTRY_REDIS],
          useFactory: (db: DataSource, kafka: Kafka, redis: Redis): ReadinessCheck[] => [
            { name: 'postgres', check: async () => void (await db.query('SELECT 1')) },
            { name: 'redis', check: async () => void (await redis.ping()) },
            { name: 'kafka', check: () => probeKafka(kafka) },
          ],
        },
      ],
      exports: [REGISTRY_CONFIG, REGISTRY_REDIS],
    };
  }
}
