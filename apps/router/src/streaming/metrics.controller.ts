import { Controller, Get, Header } from '@nestjs/common';
import { Public } from '@falaj/auth';
import { metricsWithLimits } from '@falaj/http';
import { StreamingMetrics } from './streaming.metrics';

@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: StreamingMetrics) {}

  /** Prometheus text format; open like health (the house rule allows both without credentials). */
  @Public()
  @Get()
  @Header('content-type', 'text/plain; version=0.0.4')
  scrape(): Promise<string> {
    return metricsWithLimits(this.metrics.registry);
  }
}
