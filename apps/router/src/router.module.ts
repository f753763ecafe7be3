import { DynamicModule, Module } from '@nestjs/common';
import type Redis from 'ioredis';
import { AuthModule, RedisApiKeyVerifier } from '@falaj/auth';
import { platformTopics } from '@falaj/contracts';
import { HealthController, HealthService, READINESS_CHECKS, type ReadinessCheck } from '@falaj/http';
import { KafkaModule, createRedis } from '@falaj/messaging';
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
        StreamingModule,
      ],
      controllers: [HealthController],
      providers: [
        { provide: ROUTER_CONFIG, useValue: config },
        { provide: ROUTER_REDIS, useFactory: () => createRedis(config.redis, 'router') },
        RoutingTableWriter,
        LifecycleConsumer,
        HealthService,
        {
          provide: READINESS_CHECKS,
          inject: [ROUTER_REDIS, StreamingBridge],
          useFactory: (redis: Redis, bridge: StreamingBridge): ReadinessCheck[] => [
            { name: 'redis', check: async () => void (await redis.ping()) },
            // Not ready while the Kafka bridge's consumer is down (crashed, restarting).
            { name: 'streaming', check: async () => bridge.readiness() },
          ],
        },
      ],
      exports: [ROUTER_CONFIG],
    };
  }
}
