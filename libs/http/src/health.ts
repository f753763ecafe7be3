import { Controller, Get, HttpCode, Inject, Injectable, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Public } from '@falaj/auth';

/** A dependency an app needs to be ready; `check` resolves with details or throws why not. */
export interface ReadinessCheck {
  name: string;
  check(): Promise<Record<string, unknown> | void>;
}
export const READINESS_CHECKS = Symbol('READINESS_CHECKS');

@Injectable()
export class HealthService {
  constructor(@Inject(READINESS_CHECKS) private readonly checks: ReadinessCheck[]) {}

  async readiness(): Promise<{ ready: boolean; checks: Record<string, unknown> }> {
    const results = await Promise.all(
      this.checks.map(async (c) => {
        try {
          return [c.name, { ok: true, ...((await c.check()) ?? {}) }] as const;
        } catch (error) {
          // A check may say what it saw (a stuck consumer's state) beside why it is not ready.
          const details = (error as { details?: Record<string, unknown> }).details;
          return [c.name, { ...details, ok: false, error: (error as Error).message }] as const;
        }
      }),
    );
    return { ready: results.every(([, r]) => r.ok), checks: Object.fromEntries(results) };
  }
}

/** `/health/live` and `/health/ready` for the internal apps (the gateway speaks OIP's own). */
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Public()
  @Get('live')
  @HttpCode(200)
  live(): { live: true } {
    return { live: true };
  }

  @Public()
  @Get('ready')
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<{ ready: boolean; checks: Record<string, unknown> }> {
    const report = await this.health.readiness();
    // The report itself is the body either way: an operator sees which check failed and why.
    if (!report.ready) void reply.status(503);
    return report;
  }
}
