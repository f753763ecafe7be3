import { Controller, Get, Header } from '@nestjs/common';
import { RequireScopes, SCOPES } from '@falaj/auth';
import { metricsWithLimits } from '@falaj/http';
import { GatewayMetrics } from './gateway.metrics';
import { InferenceService } from '../inference/inference.service';
import { AuditSink } from '../audit/audit.sink';

@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: GatewayMetrics,
    private readonly inference: InferenceService,
    private readonly audit: AuditSink,
  ) {}

  /** Prometheus text format. The gateway is the public door: operators only (workers:read), unlike the internal router's. */
  @RequireScopes(SCOPES.workersRead)
  @Get()
  @Header('content-type', 'text/plain; version=0.0.4')
  scrape(): Promise<string> {
    const { requests, bytes } = this.inference.inFlight;
    this.metrics.inFlight.set(requests);
    this.metrics.inFlightBytes.set(bytes);
    const { spooledBytes, spooledEvents } = this.audit.state;
    this.metrics.auditSpoolBytes.set(spooledBytes);
    this.metrics.auditSpoolEvents.set(spooledEvents);
    return metricsWithLimits(this.metrics.registry);
  }
}
