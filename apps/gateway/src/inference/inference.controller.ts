import { Controller, Get, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { requestTrace } from '@falaj/tracing';
import { CurrentPrincipal, RequireScopes, SCOPES, type Principal } from '@falaj/auth';
import { INFERENCE_HEADER_CONTENT_LENGTH, OipError, decodeJsonInferRequest, encodeHttpInferResponse, splitInferBody, wantsBinaryOutput } from '@falaj/oip';
import { IdempotencyService } from '../idempotency/idempotency.service';
import { idempotentCallOf, sendAnswer } from '../idempotency/http-idempotency';
import type { KeptAnswer } from '../idempotency/idempotency.policy';
import { InferenceService, type ModelMetadata } from './inference.service';
import { servedHeaders, trafficHeaders } from './traffic-headers';

/**
 * Open Inference Protocol v2 over REST: model metadata, readiness and inference, with Triton's
 * binary tensor data extension. Bodies arrive as raw bytes (see main.ts), already inflated when
 * they came with `Content-Encoding: gzip` or `deflate`.
 */
@Controller('v2/models/:name')
@RequireScopes(SCOPES.infer)
export class InferenceController {
  constructor(
    private readonly inference: InferenceService,
    private readonly idempotency: IdempotencyService,
  ) {}

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

  @Post('infer')
  @HttpCode(200)
  infer(@CurrentPrincipal() principal: Principal, @Param('name') name: string, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<Buffer> {
    return this.run(principal, name, undefined, request, reply);
  }

  @Post('versions/:version/infer')
  @HttpCode(200)
  inferVersion(
    @CurrentPrincipal() principal: Principal,
    @Param('name') name: string,
    @Param('version') version: string,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Buffer> {
    return this.run(principal, name, version, request, reply);
  }

  private async run(principal: Principal, model: string, version: string | undefined, request: FastifyRequest, reply: FastifyReply): Promise<Buffer> {
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const headerLength = request.headers[INFERENCE_HEADER_CONTENT_LENGTH];
    const same = idempotentCallOf(request, principal, ['rest', model, version ?? '', String(headerLength ?? ''), body]);
    return sendAnswer(reply, await this.idempotency.once(same, () => this.answer(principal, model, version, request, body)));
  }

  private async answer(principal: Principal, model: string, version: string | undefined, request: FastifyRequest, body: Buffer): Promise<KeptAnswer> {
    const result = await this.inference.infer({
      principal,
      requestId: String(request.id),
      model,
      version,
      protocol: 'rest',
      ...trafficHeaders(request),
      trace: requestTrace(request),
      decode: (signature) => {
        const { header, binary } = splitInferBody(body, request.headers[INFERENCE_HEADER_CONTENT_LENGTH]);
        return decodeJsonInferRequest(header, signature, binary, this.inference.tensorLimits);
      },
    });
    const response = encodeHttpInferResponse({ modelName: model, modelVersion: String(result.version), id: result.request.id, outputs: result.outputs }, (output) =>
      wantsBinaryOutput(result.request, output),
    );
    const headers: Record<string, string> = { ...servedHeaders(String(request.id), result) };
    if (response.headerLength === undefined) {
      headers['content-type'] = 'application/json; charset=utf-8';
    } else {
      headers['content-type'] = 'application/octet-stream';
      headers[INFERENCE_HEADER_CONTENT_LENGTH] = String(response.headerLength);
    }
    return { status: 200, headers, body: response.body };
  }

  private readiness(principal: Principal, name: string, version?: string): { name: string; ready: true } {
    // OIP: 200 means ready; a 4xx means not.
    if (!this.inference.isModelReady(principal, name, version)) throw new OipError(400, `model '${name}' is not ready`);
    return { name, ready: true };
  }
}
