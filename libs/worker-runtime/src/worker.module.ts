import { DynamicModule, Module } from '@nestjs/common';
import { AuthModule } from '@falaj/auth';
import { HealthController, HealthService, READINESS_CHECKS, type ReadinessCheck } from '@falaj/http';
import { createKafka } from '@falaj/messaging';
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
      imports: [AuthModule.forRoot(config.auth)],
      controllers: [HealthController, WorkerStatusController],
      providers: [
        { provide: WORKER_CONFIG, useValue: config },
        { provide: EXECUTION_PROVIDER, useValue: provider },
        { provide: WORKER_KAFKA, useValue: createKafka(config.workerId, config.kafka) },
        WorkerRuntime,
        HealthService,
        {
          provide: READINESS_CHECKS,
          inject: [WorkerRuntime],
          useFactory: (runtime: WorkerRuntime): ReadinessCheck[] => [
            {
              name: 'pool',
              check: async () => {
                const status = runtime.status();
                if (!status.pool) throw new Error(`not in the ${status.hardware} pool: ${status.reason}`);
                // Ready only once it reads its pool: its versions are loaded and warmed by then.
                const join = runtime.joinState();
                if (!join.joined) throw new Error(join.reason);
                return { pool: status.pool, executionProvider: status.executionProvider };
              },
            },
          ],
        },
      ],
    };
  }
}
