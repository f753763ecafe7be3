import { DynamicModule, Module } from '@nestjs/common';
import type Redis from 'ioredis';
import { AuthModule } from '@falaj/auth';
import { platformTopics } from '@falaj/contracts';
import { HealthController, HealthService, READINESS_CHECKS, type ReadinessCheck } from '@falaj/http';
import { KafkaModule, createRedis } from '@falaj/messaging';
import { LifecycleConsumer } from './lifecycle/lifecycle.consumer';
import { ROUTER_CONFIG, type RouterConfig } from './router.config';
import { ROUTER_REDIS, RoutingTableWriter } from './routing-table/routing-table.writer';
import { StreamingModule } from './streaming/streaming.module';

@Module({})
export class RouterModule {
  static forRoot(config: RouterConfig): DynamicModule {
    return {
      module: RouterModule,
      global: true,
      imports: [
        AuthModule.forRoot(config.jwtSecret),
        KafkaModule.forRoot({
          clientId: 'router',
          brokers: config.kafka.brokers,
          topics: [platformTopics(config.prefix).lifecycle, platformTopics(config.prefix).audit],
        }),
        StreamingModule,
      ],
      controllers: [HealthController],
      providers: [
        { provide: ROUTER_CONFIG, useValue: config },
        { provide: ROUTER_REDIS, useFactory: () => createRedis(config.redisUrl, 'router') },
        RoutingTableWriter,
        LifecycleConsumer,
        HealthService,
        {
          provide: READINESS_CHECKS,
          inject: [ROUTER_REDIS],
          useFactory: (redis: Redis): ReadinessCheck[] => [{ name: 'redis', check: async () => void (await redis.ping()) }],
        },
      ],
      exports: [ROUTER_CONFIG],
    };
  }
}
