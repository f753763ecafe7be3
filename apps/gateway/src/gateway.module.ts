import { DynamicModule, Module } from '@nestjs/common';
import { AuthModule, RedisApiKeyVerifier } from '@falaj/auth';
import { TerminusModule } from '@nestjs/terminus';
import { KafkaModule, createRedis } from '@falaj/messaging';
import { MetricsModule, healthProviders } from '@falaj/observability';
import { AuditPolicyReader } from './audit/audit-policy.reader';
import { AuditRegions } from './audit/audit-regions';
import { AuditSink } from './audit/audit.sink';
import { ConsoleModule } from './console/console.module';
import { GATEWAY_CONFIG, type GatewayConfig } from './gateway.config';
import { OipHealthController } from './health/oip-health.controller';
import { InferenceController } from './inference/inference.controller';
import { IdempotencyService } from './idempotency/idempotency.service';
import { InferenceService } from './inference/inference.service';
import { GrpcInferenceServer } from './grpc/grpc-inference.server';
import { KserveV1Controller } from './kserve-v1/kserve-v1.controller';
import { QuotaService } from './quota/quota.service';
import { LoadShedder } from './shedding/load-shedder';
import { ShadowMirror } from './shadow/shadow-mirror';
import { GatewayMetrics } from './metrics/gateway.metrics';

@Module({})
export class GatewayModule {
  static forRoot(config: GatewayConfig): DynamicModule {
    return {
      module: GatewayModule,
      imports: [
        AuthModule.forRoot({
          ...config.auth,
          revocations: { redis: config.redis, prefix: config.prefix, issuer: config.auth.builtInIssuer, connectionName: config.gatewayId },
          // API keys on every protocol, verified against the registry's Redis mirror.
          apiKeys: { useFactory: () => new RedisApiKeyVerifier(createRedis(config.redis, `${config.gatewayId}:apikeys`), config.prefix, { ownsConnection: true }) },
        }),
        // No producer at boot: the audit sink connects its own whenever Kafka is there (audit.sink.ts).
        KafkaModule.forRoot({ clientId: 'gateway', connection: config.kafka, topics: [], producerAtBoot: false }),
        TerminusModule.forRoot({ logger: false }),
        // The public door: /metrics names every tenant's models, so operators only.
        MetricsModule.forRoot({ app: 'gateway', access: 'operators' }),
        ConsoleModule,
      ],
      controllers: [OipHealthController, InferenceController, KserveV1Controller],
      providers: [
        { provide: GATEWAY_CONFIG, useValue: config },
        AuditRegions,
        AuditSink,
        AuditPolicyReader,
        InferenceService,
        IdempotencyService,
        QuotaService,
        LoadShedder,
        ShadowMirror,
        GatewayMetrics,
        GrpcInferenceServer,
        ...healthProviders({
          inject: [InferenceService, AuditSink, AuditPolicyReader],
          // Ready: Redis (the streams, the routes) and the routing table read. Not Kafka: while it
          // is away the audit events wait in the bounded spool (AuditSink), and inference goes on.
          useFactory: (health, inference: InferenceService, audit: AuditSink, policies: AuditPolicyReader) => [
            health.check('redis', () => inference.ping()),
            health.routingTable('routes', inference.routes),
            // Says where Kafka is and what waits in the spool; down only before the must-audit policies were read.
            health.check('audit', () => ({ ...audit.state, ...policies.readiness() })),
          ],
        }),
      ],
    };
  }
}
