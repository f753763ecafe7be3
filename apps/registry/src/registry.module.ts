import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuthModule } from '@falaj/auth';
import { platformTopics } from '@falaj/contracts';
import { HealthController, HealthService, READINESS_CHECKS, type ReadinessCheck } from '@falaj/http';
import { KAFKA, KafkaModule, probeKafka } from '@falaj/messaging';
import type { Kafka } from 'kafkajs';
import { AliasesModule } from './aliases/aliases.module';
import { AuditModule } from './audit/audit.module';
import { dataSourceOptions } from './database/data-source.options';
import { DeploymentsModule } from './deployments/deployments.module';
import { LifecycleModule } from './lifecycle/lifecycle.module';
import { ModelsModule } from './models/models.module';
import { REGISTRY_CONFIG, type RegistryConfig } from './registry.config';
import { TenantsModule } from './tenants/tenants.module';
import { TransitionsModule } from './transitions/transitions.module';
import { VersionsModule } from './versions/versions.module';

@Module({})
export class RegistryModule {
  static forRoot(config: RegistryConfig): DynamicModule {
    const topics = platformTopics(config.prefix);
    return {
      module: RegistryModule,
      global: true,
      imports: [
        AuthModule.forRoot(config.jwtSecret),
        KafkaModule.forRoot({ clientId: 'registry', brokers: config.kafka.brokers, topics: [topics.lifecycle, topics.commands, topics.audit] }),
        TypeOrmModule.forRoot(dataSourceOptions(config.databaseUrl)),
        LifecycleModule,
        TenantsModule,
        ModelsModule,
        VersionsModule,
        AliasesModule,
        TransitionsModule,
        DeploymentsModule,
        AuditModule,
      ],
      controllers: [HealthController],
      providers: [
        { provide: REGISTRY_CONFIG, useValue: config },
        HealthService,
        {
          provide: READINESS_CHECKS,
          inject: [DataSource, KAFKA],
          useFactory: (db: DataSource, kafka: Kafka): ReadinessCheck[] => [
            { name: 'postgres', check: async () => void (await db.query('SELECT 1')) },
            { name: 'kafka', check: () => probeKafka(kafka) },
          ],
        },
      ],
      exports: [REGISTRY_CONFIG],
    };
  }
}
