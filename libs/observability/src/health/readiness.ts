import { Controller, Get, HttpCode, Inject, Injectable, Res, ServiceUnavailableException, type FactoryProvider, type Provider } from '@nestjs/common';
import { HealthCheckService, type HealthCheckResult, type HealthIndicatorFunction } from '@nestjs/terminus';
import type { FastifyReply } from 'fastify';
import { Public } from '@falaj/auth';
import { HealthIndicators } from './health.indicators';
import { readinessReport, type ReadinessReport } from './readiness-report.policy';

export type LivenessReport = Omit<ReadinessReport, 'ready'> & { live: boolean };

/** The app's readiness indicators (HealthIndicators' checks), provided by each app's module. */
export const READINESS_INDICATORS = Symbol('READINESS_INDICATORS');

/** Liveness and readiness through Terminus; the controllers only map `ready` to 200 or 503. */
@Injectable()
export class Readiness {
  constructor(
    private readonly terminus: HealthCheckService,
    private readonly indicators: HealthIndicators,
    @Inject(READINESS_INDICATORS) private readonly checks: HealthIndicatorFunction[],
  ) {}

  /** Ready: every dependency the app needs to serve answers (see each app's module for which). */
  ready(): Promise<ReadinessReport> {
    return this.run(this.checks);
  }

  /** Live: the process answers and its event loop is not wedged; never a dependency (a restart cures none). */
  async live(): Promise<LivenessReport> {
    const { ready, ...report } = await this.run([this.indicators.eventLoop()]);
    return { live: ready, ...report };
  }

  private async run(checks: HealthIndicatorFunction[]): Promise<ReadinessReport> {
    let result: HealthCheckResult;
    try {
      result = await this.terminus.check(checks);
    } catch (error) {
      // Terminus answers a failed check with a 503 exception carrying the whole result.
      if (!(error instanceof ServiceUnavailableException)) throw error;
      result = error.getResponse() as HealthCheckResult;
    }
    return readinessReport(result);
  }
}

/** The app's health providers: the indicators, Readiness, and its checks from `checks`. */
export function healthProviders(
  checks: Omit<FactoryProvider<HealthIndicatorFunction[]>, 'provide' | 'useFactory'> & { useFactory: (indicators: HealthIndicators, ...deps: never[]) => HealthIndicatorFunction[] },
): Provider[] {
  return [
    HealthIndicators,
    Readiness,
    { provide: READINESS_INDICATORS, inject: [HealthIndicators, ...(checks.inject ?? [])], useFactory: checks.useFactory as (...deps: unknown[]) => HealthIndicatorFunction[] },
  ];
}

/** `/health/live` and `/health/ready` for the internal apps (the gateway answers OIP's own paths). */
@Controller('health')
export class HealthController {
  constructor(private readonly health: Readiness) {}

  @Public()
  @Get('live')
  @HttpCode(200)
  async live(@Res({ passthrough: true }) reply: FastifyReply): Promise<LivenessReport> {
    const report = await this.health.live();
    if (!report.live) void reply.status(503);
    return report;
  }

  @Public()
  @Get('ready')
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<ReadinessReport> {
    const report = await this.health.ready();
    // The report itself is the body either way: an operator sees which check failed and why.
    if (!report.ready) void reply.status(503);
    return report;
  }
}
