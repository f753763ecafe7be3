import { Controller, Get, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { requestTrace } from '@falaj/tracing';
import { CurrentPrincipal, RequireScopes, SCOPES, type Principal } from '@falaj/auth';
import { OipError, decodeKserveV1Request, encodeKserveV1Response, splitInferBody } from '@falaj/oip';
import { InferenceService } from '../inference/inference.service';
import { servedHeaders, trafficHeaders } from '../inference/traffic-headers';
import { IdempotencyService } from '../idempotency/idempotency.service';
import { idempotentCallOf, sendAnswer } from '../idempotency/http-idempotency';

const PREDICT = ':predict';

/**
 * KServe's v1 protocol, for clients written against it: model status and `:predict`, served by
 * the same inference path as v2 (see decodeKserveV1Request for how instances map to inputs).
 */
@Controller('v1/models')
@RequireScopes(SCOPES.infer)
export class KserveV1Controller {
  constructor(
    private readonly inference: InferenceService,
    private readonly idempotency: IdempotencyService,
  ) {}

  @Get(':name')
  status(@CurrentPrincipal() principal: Principal, @Param('name') name: string): { name: string; ready: boolean } {
    return { name, ready: this.inference.isModelReady(principal, name) };
  }

  /** `{name}:predict` is one path segment: the verb is split off here. */
  @Post(':target')
  @HttpCode(200)
  async predict(@CurrentPrincipal() principal: Principal, @Param('target') target: string, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    if (!target.endsWith(PREDICT) || target.length === PREDICT.length) {
      throw new OipError(404, `no such route: POST /v1/models/${target} (use /v1/models/{name}:predict)`, 'route_not_found');
    }
    const model = target.slice(0, -PREDICT.length);
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const same = idempotentCallOf(request, principal, ['kserve-v1', model, body]);
    return sendAnswer(
      reply,
      await this.idempotency.once(same, async () => {
        const result = await this.inference.infer({
          principal,
          requestId: String(request.id),
          model,
          protocol: 'rest',
          ...trafficHeaders(request),
          trace: requestTrace(request),
          decode: (signature) => decodeKserveV1Request(splitInferBody(body, undefined).header, signature, this.inference.tensorLimits),
        });
        const answer = Buffer.from(JSON.stringify(encodeKserveV1Response(result.outputs)));
        return { status: 200, headers: { ...servedHeaders(String(request.id), result), 'content-type': 'application/json; charset=utf-8' }, body: answer };
      }),
    );
  }
}
