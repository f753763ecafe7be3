import { Controller, Get, Header, Module, type DynamicModule } from '@nestjs/common';
import { Public, RequireScopes, SCOPES } from '@falaj/auth';
import { AppMetrics, OPENMETRICS_CONTENT_TYPE } from './app-metrics';
import { InferenceMetrics } from './inference.metrics';

/**
 * `/metrics` for operators and the platform's apps only (scope `workers:read`): the metrics name
 * every tenant's models, so a tenant's token gets 403 here, and on the public gateway port a
 * tenant never reads another's model names. Prometheus scrapes with a client-credentials token
 * of its own (`oauth2` in its scrape config): see docs/metrics.md.
 */
@Controller('metrics')
export class OperatorMetricsController {
  constructor(private readonly metrics: AppMetrics) {}

  @RequireScopes(SCOPES.workersRead)
  @Get()
  @Header('content-type', OPENMETRICS_CONTENT_TYPE)
  scrape(): Promise<string> {
    return this.metrics.text();
  }
}

/** `/metrics` without credentials: the router's, which was always open and is reachable only inside the cluster (k8s/network-policies.yaml). */
@Controller('metrics')
export class OpenMetricsController {
  constructor(private readonly metrics: AppMetrics) {}

  @Public()
  @Get()
  @Header('content-type', OPENMETRICS_CONTENT_TYPE)
  scrape(): Promise<string> {
    return this.metrics.text();
  }
}

export interface MetricsModuleOptions {
  /** The app's name, as in its logs. */
  app: string;
  /** Who may scrape `/metrics`: operators (scope workers:read), or anyone who can reach the port. */
  access: 'operators' | 'open';
}

/** Every app's metrics: one registry with process metrics, the inference edge's series, and `/metrics`. */
@Module({})
export class MetricsModule {
  static forRoot(options: MetricsModuleOptions): DynamicModule {
    const metrics = new AppMetrics(options.app);
    return {
      module: MetricsModule,
      global: true,
      controllers: [options.access === 'open' ? OpenMetricsController : OperatorMetricsController],
      providers: [
        { provide: AppMetrics, useValue: metrics },
        { provide: InferenceMetrics, useFactory: () => new InferenceMetrics(metrics) },
      ],
      exports: [AppMetrics, InferenceMetrics],
    };
  }
}
