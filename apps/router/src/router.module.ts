import { DynamicModule, Module } from '@nestjs/common';
import type Redis from 'ioredis';
import { AuthModule, RedisApiKeyVerifier } from '@falaj/auth';
import { platformTopics } from '@falaj/contracts';
import { TerminusModule } from '@nestjs/terminus';
import { KAFKA, KafkaModule, createRedis } from '@falaj/messaging';
import { HealthController, MetricsModule, healthProviders } from '@falaj/observability';
import type { Kafka } from 'kafkajs';
import { LifecycleConsumer } from './lifecycle/lifecycle.consumer';
import { ROUTER_CONFIG, type RouterConfig } from './router.config';
import { ROUTER_REDIS, RoutingTableWriter } from './routing-table/routing-table.writer';
import { StreamingBridge } from './streaming/streaming.bridge';
import { StreamingModule } from './streaming/streaming.module';

@Module({})
export class RouterModule {
  static forRoot(config: RouterConfig): DynamicModule {
    return {
      module: RouterModule,
      global: true,
      imports: [
        AuthModule.forRoot({
          ...config.auth,
          revocations: { redis: config.redis, prefix: config.prefix, issuer: config.auth.builtInIssuer, connectionName: config.routerId },
          // API keys on Kafka as on REST and gRPC, verified against the registry's Redis mirror.
          apiKeys: { useFactory: () => new RedisApiKeyVerifier(createRedis(config.redis, `${config.routerId}:apikeys`), config.prefix, { ownsConnection: true }) },
        }),
        KafkaModule.forRoot({
          clientId: 'router',
          connection: config.kafka,
          topics: [platformTopics(config.prefix).lifecycle, platformTopics(config.prefix).audit],
        }),
        TerminusModule.forRoot({ logger: false }),
        // Inside the cluster only (k8s/network-policies.yaml): open, as it always was.
        MetricsModule.forRoot({ app: 'router', access: 'open' }),
        StreamingModule,
      ],
      controllers: [HealthController],
      providers: [
        { provide: ROUTER_CONFIG, useValue: config },
        { provide: ROUTER_REDIS, useFactory: () => createRedis(config.redis, 'router') },
        RoutingTableWriter,
        LifecycleConsumer,
        ...healthProviders({
          inject: [ROUTER_REDIS, KAFKA, StreamingBridge],
          // Ready: Redis (the routing table it writes) and Kafka (the lifecycle it follows, the
          // bridge it runs), and the bridge's consumer running (not crashed, not restarting).
          useFactory: (health, redis: Redis, kafka: Kafka, bridge: StreamingBridge) => [
            health.redis('redis', redis),
            health.kafka('kafka', kafka),
            health.check('streaming', () => bridge.readiness()),
          ],
        }),
      ],
      exports: [ROUTER_CONFIG],
    };
  }
}
