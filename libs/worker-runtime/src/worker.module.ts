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
      imports: [AuthModule.forRoot(config.jwtSecret)],
      controllers: [HealthController, WorkerStatusController],
      providers: [
        { provide: WORKER_CONFIG, useValue: config },
        { provide: EXECUTION_PROVIDER, useValue: provider },
        { provide: WORKER_KAFKA, useValue: createKafka(config.workerId, config.kafka.brokers) },
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
                return { pool: status.pool, executionProvider: status.executionProvider };
              },
            },
          ],
        },
      ],
    };
  }
}
