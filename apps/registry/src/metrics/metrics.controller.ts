import { Controller, Get, Header } from '@nestjs/common';
import { RequireScopes, SCOPES } from '@falaj/auth';
import { metricsWithLimits } from '@falaj/http';

@Controller('metrics')
export class MetricsController {
  /**
   * Prometheus text format: the registry's limit refusals (batch jobs, uploads, storage,
   * deployment maxima). Operators only (workers:read), as the gateway's.
   */
  @RequireScopes(SCOPES.workersRead)
  @Get()
  @Header('content-type', 'text/plain; version=0.0.4')
  scrape(): Promise<string> {
    return metricsWithLimits();
  }
}
