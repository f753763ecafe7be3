import { Controller, Get } from '@nestjs/common';
import { RequireScopes, SCOPES } from '@falaj/auth';
import { WorkerRuntime, type WorkerStatus } from './worker.runtime';

@Controller('health')
export class WorkerStatusController {
  constructor(private readonly runtime: WorkerRuntime) {}

  /**
   * Pool, execution provider and hosted versions: what an operator asks first of a worker. It
   * names tenants' models, so only operators and the platform's apps may read it.
   */
  @RequireScopes(SCOPES.workersRead)
  @Get('status')
  status(): WorkerStatus {
    return this.runtime.status();
  }
}
