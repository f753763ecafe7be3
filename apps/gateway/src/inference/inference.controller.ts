import { Body, Controller, Get, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CurrentPrincipal, RequireScopes, SCOPES, type Principal } from '@falaj/auth';
import { OipError, type JsonInferResponse } from '@falaj/oip';
import { InferenceService, type ModelMetadata } from './inference.service';

/** Open Inference Protocol v2: model metadata, readiness and inference. */
@Controller('v2/models/:name')
@RequireScopes(SCOPES.infer)
export class InferenceController {
  constructor(private readonly inference: InferenceService) {}

  @Get()
  metadata(@CurrentPrincipal() principal: Principal, @Param('name') name: string): ModelMetadata {
    return this.inference.metadata(principal, name);
  }

  @Get('versions/:version')
  versionMetadata(
    @CurrentPrincipal() principal: Principal,
    @Param('name') name: string,
    @Param('version') version: string,
  ): ModelMetadata {
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

  @Post('infer')
  @HttpCode(200)
  infer(
    @CurrentPrincipal() principal: Principal,
    @Param('name') name: string,
    @Body() body: unknown,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<JsonInferResponse> {
    return this.run(principal, name, undefined, body, request, reply);
  }

  @Post('versions/:version/infer')
  @HttpCode(200)
  inferVersion(
    @CurrentPrincipal() principal: Principal,
    @Param('name') name: string,
    @Param('version') version: string,
    @Body() body: unknown,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<JsonInferResponse> {
    return this.run(principal, name, version, body, request, reply);
  }

  private async run(
    principal: Principal,
    model: string,
    version: string | undefined,
    body: unknown,
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<JsonInferResponse> {
    const result = await this.inference.infer({ principal, requestId: String(request.id), model, version, body });
    void reply
      .header('x-request-id', String(request.id))
      .header('x-falaj-model-version', String(result.version))
      .header('x-falaj-pool', result.pool);
    return result.response;
  }

  private readiness(principal: Principal, name: string, version?: string): { name: string; ready: true } {
    // OIP: 200 means ready; a 4xx means not.
    if (!this.inference.isModelReady(principal, name, version)) throw new OipError(400, `model '${name}' is not ready`);
    return { name, ready: true };
  }
}
