import { Controller, Get, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Public, RequireScopes, SCOPES } from '@falaj/auth';
import { HealthService } from '@falaj/http';
import { SERVER_METADATA } from './server-metadata';

/** OIP server health and metadata. Health answers without credentials (Kubernetes probes). */
@Controller('v2')
export class OipHealthController {
  constructor(private readonly health: HealthService) {}

  @Public()
  @Get('health/live')
  live(): { live: true } {
    return { live: true };
  }

  @Public()
  @Get('health/ready')
  async ready(@Res({ passthrough: true }) reply: FastifyReply) {
    const report = await this.health.readiness();
    if (!report.ready) void reply.status(503);
    return report;
  }

  @Get()
  @RequireScopes(SCOPES.infer)
  metadata() {
    return { name: SERVER_METADATA.name, version: SERVER_METADATA.version, extensions: [...SERVER_METADATA.extensions] };
  }
}
