import type { Hardware } from '@falaj/contracts';
import { runMain, startHttpApp } from '@falaj/http';
import { detectExecutionProvider } from './execution-provider';
import { WorkerModule } from './worker.module';
import { loadWorkerConfig } from './worker.config';

/** The main of both worker apps. */
export function bootstrapWorker(hardware: Hardware): void {
  runMain(`${hardware}-worker`, async () => {
    const config = loadWorkerConfig(hardware);
    const provider = await detectExecutionProvider(hardware, config.gpu);
    return startHttpApp(WorkerModule.forRoot(config, provider), {
      name: config.app,
      ...config.http,
      tls: config.tls,
      logLevel: config.logLevel,
    });
  });
}
