import { Controller, Get, NotFoundException, Param, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { RequireScopes, SCOPES } from '@falaj/auth';
import { ArtifactStore } from './artifact-store';

/** Workers fetch the artifacts they serve here, with a service token; users never see this path. */
@Controller('internal/artifacts')
export class ArtifactsController {
  constructor(private readonly store: ArtifactStore) {}

  @Get(':sha256')
  @RequireScopes(SCOPES.artifactsRead)
  async download(@Param('sha256') sha256: string, @Res() reply: FastifyReply): Promise<void> {
    const stream = await this.store.open(sha256);
    if (!stream) throw new NotFoundException(`artifact ${sha256} not found`);
    await reply.header('content-type', 'application/octet-stream').header('x-content-sha256', sha256).send(stream);
  }
}
