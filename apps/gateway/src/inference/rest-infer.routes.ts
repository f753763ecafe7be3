import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SCOPES, authorize, type Authenticator, type Principal } from '@falaj/auth';
import { sendError } from '@falaj/http';
import { INFERENCE_HEADER_CONTENT_LENGTH, decodeJsonInferRequest, encodeHttpInferResponse, splitInferBody, wantsBinaryOutput } from '@falaj/oip';
import { requestTrace } from '@falaj/tracing';
import type { IdempotencyService } from '../idempotency/idempotency.service';
import { idempotentCallOf, sendAnswer } from '../idempotency/http-idempotency';
import type { KeptAnswer } from '../idempotency/idempotency.policy';
import type { InferenceService } from './inference.service';
import { servedHeaders, trafficHeaders } from './traffic-headers';

export interface RestInferDeps {
  inference: InferenceService;
  idempotency: IdempotencyService;
  authenticator: Authenticator;
}

interface InferRoute {
  Params: { name: string; version?: string };
}
type InferRequest = FastifyRequest<InferRoute>;

const INFER_SCOPES = [SCOPES.infer];

/**
 * Open Inference Protocol v2 inference over REST, with Triton's binary tensor data extension:
 * `POST /v2/models/{name}[/versions/{version}]/infer`. These two routes are the hot path, so they
 * are plain Fastify routes rather than a Nest controller: Nest's router (guards, interceptors,
 * pipes, the Observable that wraps each handler) measured about a tenth of the gateway's CPU per
 * request. They keep its contract exactly: the principal from the onRequest authentication and the
 * guard's scope check (`authorize`), the one error filter's shapes (`sendError`), and the route
 * table the security spec walks (every Fastify route is recorded). Bodies arrive as raw bytes (see
 * main.ts), already inflated when they came with `Content-Encoding: gzip` or `deflate`.
 */
export function registerRestInferRoutes(fastify: FastifyInstance, deps: RestInferDeps): void {
  const handler = async (request: InferRequest, reply: FastifyReply) => {
    try {
      const principal = await authorize(request, deps.authenticator, INFER_SCOPES);
      const body = await run(deps, principal, request, reply);
      return await reply.send(body);
    } catch (error) {
      return sendError(error, request, reply);
    }
  };
  fastify.post<InferRoute>('/v2/models/:name/infer', handler);
  fastify.post<InferRoute>('/v2/models/:name/versions/:version/infer', handler);
}

async function run(deps: RestInferDeps, principal: Principal, request: InferRequest, reply: FastifyReply): Promise<Buffer> {
  const { name: model, version } = request.params;
  const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
  const headerLength = request.headers[INFERENCE_HEADER_CONTENT_LENGTH];
  const same = idempotentCallOf(request, principal, ['rest', model, version ?? '', String(headerLength ?? ''), body]);
  return sendAnswer(reply, await deps.idempotency.once(same, () => answer(deps.inference, principal, model, version, request, body)));
}

async function answer(inference: InferenceService, principal: Principal, model: string, version: string | undefined, request: FastifyRequest, body: Buffer): Promise<KeptAnswer> {
  const result = await inference.infer({
    principal,
    requestId: String(request.id),
    model,
    version,
    protocol: 'rest',
    ...trafficHeaders(request),
    trace: requestTrace(request),
    decode: (signature) => {
      const { header, binary } = splitInferBody(body, request.headers[INFERENCE_HEADER_CONTENT_LENGTH]);
      return decodeJsonInferRequest(header, signature, binary, inference.tensorLimits);
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
