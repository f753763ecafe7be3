import { DynamicModule, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { AuthModule } from '@falaj/auth';
import { createKafka } from '@falaj/messaging';
import { HealthController, MetricsModule, healthProviders } from '@falaj/observability';
import type { ExecutionProviderReport } from './execution-provider';
import { WorkerStatusController } from './worker-status.controller';
import { EXECUTION_PROVIDER, WORKER_KAFKA, WorkerRuntime } from './worker.runtime';
import { WORKER_CONFIG, type WorkerConfig } from './worker.config';

/** The whole of a worker app; cpu-worker and gpu-worker differ only in hardware and provider. */
@Module({})
export class WorkerModule {
  static forRoot(config: WorkerConfig, provider: ExecutionProviderReport): DynamicModule {
    return {
      module: WorkerModule,
      // Only operators and the platform's apps call a worker (its status): no revocation list needed
      // beyond the tokens' short lifetimes, and no API keys.
      imports: [
        AuthModule.forRoot(config.auth),
        TerminusModule.forRoot({ logger: false }),
        // Names the tenants' models it hosts: operators only, as /health/status.
        MetricsModule.forRoot({ app: `${config.hardware}-worker`, access: 'operators' }),
      ],
      controllers: [HealthController, WorkerStatusController],
      providers: [
        { provide: WORKER_CONFIG, useValue: config },
        { provide: EXECUTION_PROVIDER, useValue: provider },
        { provide: WORKER_KAFKA, useValue: createKafka(config.workerId, config.kafka) },
        WorkerRuntime,
        ...healthProviders({
          inject: [WorkerRuntime],
          // Ready: Redis (its pool's stream) and its models: in the pool, joined (every version
          // it serves loaded and warmed), at least one loaded (see modelsReadiness). Not Kafka:
          // a worker serves what it loaded while the lifecycle topic is away.
          useFactory: (health, runtime: WorkerRuntime) => [
            health.check('redis', () => runtime.ping()),
            health.models('pool', () => {
              const status = runtime.status();
              const join = runtime.joinState();
              return { pool: status.pool, reason: status.pool === null ? `not in the ${status.hardware} pool: ${status.reason}` : join.reason, joined: join.joined, models: status.models };
            }),
          ],
        }),
      ],
    };
  }
}
