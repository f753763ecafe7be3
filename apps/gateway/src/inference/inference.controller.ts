import { Controller, Get, Param } from '@nestjs/common';
import { CurrentPrincipal, RequireScopes, SCOPES, type Principal } from '@falaj/auth';
import { OipError } from '@falaj/oip';
import { InferenceService, type ModelMetadata } from './inference.service';

/**
 * Open Inference Protocol v2 over REST: model metadata and readiness. Inference itself is served
 * by plain Fastify routes beside this controller (rest-infer.routes.ts), off Nest's pipeline.
 */
@Controller('v2/models/:name')
@RequireScopes(SCOPES.infer)
export class InferenceController {
  constructor(private readonly inference: InferenceService) {}

  @Get()
  metadata(@CurrentPrincipal() principal: Principal, @Param('name') name: string): ModelMetadata {
    return this.inference.metadata(principal, name);
  }

  @Get('versions/:version')
  versionMetadata(@CurrentPrincipal() principal: Principal, @Param('name') name: string, @Param('version') version: string): ModelMetadata {
    return this.inference.metadata(principal, name, version);
  }

  @Get('ready')
  ready(@CurrentPrincipal() principal: Principal, @Param('name') name: string) {
    return this.readiness(principal, name);
  }

  @Get('versions/:version/ready')
  versionReady(@CurrentPrincipal() principal: Principal, @Param('name') name: string, @Param('version') version: string) {
    return this.readiness(principal, name, version);
  }

  private readiness(principal: Principal, name: string, version?: string): { name: string; ready: true } {
    // OIP: 200 means ready; a 4xx means not.
    if (!this.inference.isModelReady(principal, name, version)) throw new OipError(400, `model '${name}' is not ready`);
    return { name, ready: true };
  }
}
