import { Controller, Get } from '@nestjs/common';
import { Public } from '@falaj/auth';
import { WorkerRuntime, type WorkerStatus } from './worker.runtime';

@Controller('health')
export class WorkerStatusController {
  constructor(private readonly runtime: WorkerRuntime) {}

  /** Pool, execution provider and hosted versions: what an operator asks first of a worker. */
  @Public()
  @Get('status')
  status(): WorkerStatus {
    return this.runtime.status();
  }
}
