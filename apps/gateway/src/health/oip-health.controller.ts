import { Controller, Get, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Public, RequireScopes, SCOPES } from '@falaj/auth';
import { Readiness, type LivenessReport, type ReadinessReport } from '@falaj/observability';
import { SERVER_METADATA } from './server-metadata';

/**
 * OIP server health and metadata. Health answers without credentials (Kubernetes probes): OIP's
 * `{ "live": bool }` (exactly) and `{ "ready": bool }` (with Terminus' report of each check
 * beside it; see GatewayModule for what ready needs), 200 when true and 503 when not.
 */
@Controller('v2')
export class OipHealthController {
  constructor(private readonly health: Readiness) {}

  @Public()
  @Get('health/live')
  async live(@Res({ passthrough: true }) reply: FastifyReply): Promise<{ live: boolean }> {
    const report: LivenessReport = await this.health.live();
    if (!report.live) void reply.status(503);
    // Exactly OIP's shape: Triton's and KServe's clients compare the body.
    return { live: report.live };
  }

  @Public()
  @Get('health/ready')
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<ReadinessReport> {
    const report = await this.health.ready();
    if (!report.ready) void reply.status(503);
    return report;
  }

  @Get()
  @RequireScopes(SCOPES.infer)
  metadata() {
    return { name: SERVER_METADATA.name, version: SERVER_METADATA.version, extensions: [...SERVER_METADATA.extensions] };
  }
}
