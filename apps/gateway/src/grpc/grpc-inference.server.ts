import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { Authenticator, InvalidTokenError, SCOPES, hasScopes, type Principal } from '@falaj/auth';
import { DomainError, unavailableOnRedisLoss } from '@falaj/contracts';
import { countLimitRefusal } from '@falaj/http';
import { Readiness } from '@falaj/observability';
import { SpanKind, TRACEPARENT_HEADER, TRACERESPONSE_HEADER, endSpan, tracing } from '@falaj/tracing';
import { OIP_GRPC_LOADER_OPTIONS, OIP_GRPC_PROTO_PATH, decodeGrpcInferRequest, encodeGrpcInferResponse, type GrpcModelInferRequest, type GrpcModelInferResponse, type TensorLimits } from '@falaj/oip';
import { GATEWAY_CONFIG, type GatewayConfig } from '../gateway.config';
import { SERVER_METADATA } from '../health/server-metadata';
import { servedHeaders } from '../inference/traffic-headers';
import { InferenceService } from '../inference/inference.service';
import { IdempotencyService, replayedRefusal } from '../idempotency/idempotency.service';
import { IDEMPOTENCY_KEY_HEADER, IDEMPOTENT_REPLAYED_HEADER, requestFingerprint } from '../idempotency/idempotency.policy';
import { INTERNAL_DETAILS, grpcErrorOf } from './grpc-status';
import { grpcServerCredentials } from './grpc-server-credentials';

/** What a GrpcCallError says went wrong: its `code`, in every protocol's error answer. */
export const GRPC_CALL_ERROR_CODES = ['unauthorized', 'forbidden', 'undecodable_message'] as const;
export type GrpcCallErrorCode = (typeof GRPC_CALL_ERROR_CODES)[number];

/** A handler's failure, as the shared path throws it: an HTTP-like status and a message for the caller. */
class GrpcCallError extends DomainError<GrpcCallErrorCode> {}

/**
 * What the handler gets instead of a message grpc-js could not decode: grpc-js answers a throwing
 * deserializer with INTERNAL itself, before any handler or interceptor could say it is the caller's.
 */
class UndecodableMessage {
  constructor(readonly reason: string) {}
}

type Handler = (call: grpc.ServerUnaryCall<Record<string, unknown>, unknown>) => Promise<unknown>;

/** Answered without credentials, as REST's health. */
const PUBLIC_METHODS: ReadonlySet<string> = new Set(['ServerLive', 'ServerReady']);

/** Graceful shutdown waits this long for calls in flight, then cuts the rest. */
const SHUTDOWN_GRACE_MS = 5_000;

/**
 * `inference.GRPCInferenceService` on its own port, over the same authentication (the
 * `authorization` metadata through the Authenticator), validation, routing and audit as REST:
 * ModelInfer decodes into the shared request and goes through InferenceService.
 */
@Injectable()
export class GrpcInferenceServer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(GrpcInferenceServer.name);
  private readonly server: grpc.Server;
  /** The principal of each call, keyed by its metadata (the object the handler gets as `call.metadata`). */
  private readonly principals = new WeakMap<grpc.Metadata, Principal>();

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly inference: InferenceService,
    private readonly idempotency: IdempotencyService,
    private readonly health: Readiness,
    private readonly authenticator: Authenticator,
  ) {
    this.server = new grpc.Server({
      // Over the limit, grpc-js answers RESOURCE_EXHAUSTED before the message is decoded.
      'grpc.max_receive_message_length': config.maxRequestBytes,
      'grpc.max_send_message_length': -1,
      interceptors: [this.authenticateBeforeReading],
    });
  }

  /**
   * Authentication on the call's metadata, before its message is read: grpc-js pauses the
   * stream until the handler starts reading, which it does only once this passes the metadata
   * on. A refused call is answered here, so its message is never read, inflated
   * (`grpc-encoding: gzip`) or decoded; HTTP/2 flow control bounds what the peer can send meanwhile.
   */
  private readonly authenticateBeforeReading: grpc.ServerInterceptor = (method, call) => {
    if (PUBLIC_METHODS.has(method.path.slice(method.path.lastIndexOf('/') + 1))) return new grpc.ServerInterceptingCall(call);
    const listener = new grpc.ServerListenerBuilder()
      .withOnReceiveMetadata((metadata, next) => {
        this.authorize(metadata).then(
          (principal) => {
            this.principals.set(metadata, principal);
            next(metadata);
          },
          (error: unknown) => call.sendStatus(this.statusOf(error)),
        );
      })
      .build();
    return new grpc.ServerInterceptingCall(call, new grpc.ResponderBuilder().withStart((next) => next(listener)).build());
  };

  async onApplicationBootstrap(): Promise<void> {
    const definition = protoLoader.loadSync(OIP_GRPC_PROTO_PATH, OIP_GRPC_LOADER_OPTIONS);
    const loaded = grpc.loadPackageDefinition(definition) as unknown as {
      inference: { GRPCInferenceService: grpc.ServiceClientConstructor };
    };
    this.server.addService(tolerantOf(loaded.inference.GRPCInferenceService.service), {
      ServerLive: this.unary(async () => ({ live: true })),
      ServerReady: this.unary(async () => ({ ready: (await this.health.ready()).ready })),
      ServerMetadata: this.unary(async (call) => {
        this.principalOf(call);
        return { ...SERVER_METADATA, extensions: [...SERVER_METADATA.extensions] };
      }),
      ModelReady: this.unary(async (call) => {
        const principal = this.principalOf(call);
        return { ready: this.inference.isModelReady(principal, nameOf(call.request), versionOf(call.request)) };
      }),
      ModelMetadata: this.unary(async (call) => {
        const principal = this.principalOf(call);
        return this.inference.metadata(principal, nameOf(call.request), versionOf(call.request));
      }),
      ModelInfer: this.unary(async (call) => {
        const principal = this.principalOf(call);
        const message = call.request as GrpcModelInferRequest;
        const model = message.model_name ?? '';
        const requestId = requestIdOf(call.metadata);
        const key = metadataOf(call.metadata, IDEMPOTENCY_KEY_HEADER);
        const same =
          key === undefined
            ? undefined
            : { tenantId: principal.tenantId, key, fingerprint: requestFingerprint(['grpc', model, message.model_version ?? '', requestBytes.get(message) ?? Buffer.alloc(0)]) };
        // The call's edge span (SERVER, child of the caller's `traceparent` metadata); off, the
        // caller's context is handed on as it came.
        const tracer = tracing();
        const incoming = metadataOf(call.metadata, TRACEPARENT_HEADER);
        const span = tracer.enabled
          ? tracer.startTrace('grpc ModelInfer', incoming, { kind: SpanKind.SERVER, attributes: { 'rpc.system': 'grpc', 'rpc.method': 'ModelInfer', 'falaj.request_id': requestId } })
          : undefined;
        const trace = span ?? incoming;
        const answer = await this.idempotency
          .once(same, async () => {
            const result = await this.inference.infer({
              principal,
              requestId,
              model,
              version: message.model_version || undefined,
              protocol: 'grpc',
              routingKey: metadataOf(call.metadata, 'x-routing-key'),
              pin: metadataOf(call.metadata, 'x-falaj-pin-version'),
              decode: (signature) => decodeOrRefuse(message, signature, this.config.tensorLimits),
              trace,
            });
            const response = encodeGrpcInferResponse({ modelName: model, modelVersion: String(result.version), id: result.request.id, outputs: result.outputs });
            return { status: 200, headers: servedHeaders(requestId, result), body: keepableResponse(response) };
          })
          .catch((error: unknown) => {
            endSpan(span, error);
            throw error;
          });
        endSpan(span);
        if (answer.status >= 400) throw replayedRefusal(answer);
        // What served it and why, as on REST: the response's initial metadata.
        const served = new grpc.Metadata();
        for (const [name, value] of Object.entries(answer.headers)) served.set(name, value);
        const traceresponse = tracer.traceparentOf(trace);
        if (traceresponse !== undefined) served.set(TRACERESPONSE_HEADER, traceresponse);
        if (answer.replayed) served.set(IDEMPOTENT_REPLAYED_HEADER, 'true');
        call.sendMetadata(served);
        return responseOf(answer.body);
      }),
    });
    const address = `${this.config.grpc.host}:${this.config.grpc.port}`;
    await new Promise<void>((resolve, reject) => this.server.bindAsync(address, grpcServerCredentials(this.config.tls, this.config.grpc.clientAuth), (error) => (error ? reject(error) : resolve())));
    this.logger.log({ address }, `gRPC listening on ${address} (${this.config.tls.enabled ? `TLS; client certificates: ${this.config.grpc.clientAuth}` : 'plaintext'})`);
  }

  /** Before the shared path closes: calls in flight still find their Redis and Kafka. */
  async beforeApplicationShutdown(): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, SHUTDOWN_GRACE_MS);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Same credential, same scope as the REST routes. */
  private async authorize(metadata: grpc.Metadata): Promise<Principal> {
    const values = metadata.get('authorization').map(String);
    let principal: Principal;
    try {
      principal = await this.authenticator.authenticate(values.length > 0 ? values : undefined);
    } catch (error) {
      if (error instanceof InvalidTokenError) throw new GrpcCallError(401, error.message, 'unauthorized');
      throw error;
    }
    if (!hasScopes(principal, [SCOPES.infer])) throw new GrpcCallError(403, `requires scope ${SCOPES.infer}`, 'forbidden');
    return principal;
  }

  /** The principal the interceptor established for this call (every method but the public ones). */
  private principalOf(call: grpc.ServerUnaryCall<unknown, unknown>): Principal {
    const principal = this.principals.get(call.metadata);
    // The interceptor runs before every non-public handler; reaching here without one is a wiring bug.
    if (!principal) throw new Error(`gRPC call to a guarded method without a principal`);
    return principal;
  }

  /** Wraps a handler: its result is the reply; a thrown status becomes the mapped gRPC status. */
  private unary(handler: Handler): grpc.handleUnaryCall<Record<string, unknown>, unknown> {
    return (call, callback) => {
      const refused = call.request instanceof UndecodableMessage ? call.request : undefined;
      const answer = refused ? Promise.reject(new GrpcCallError(400, refused.reason, 'undecodable_message')) : handler(call);
      answer.then(
        (reply) => callback(null, reply),
        (error: unknown) => callback(this.statusOf(error)),
      );
    };
  }

  /**
   * A thrown error as its gRPC status (grpcErrorOf), a named limit's refusal counted; an error
   * that carries no status is a bug, logged here and answered INTERNAL without its text.
   */
  private statusOf(thrown: unknown): grpc.StatusObject {
    // Redis away: UNAVAILABLE with retry-after, as REST's 503.
    const error = unavailableOnRedisLoss(thrown);
    const limited = countLimitRefusal(error) !== undefined;
    const answer = grpcErrorOf(error, limited);
    if (answer.code === grpc.status.INTERNAL && answer.details === INTERNAL_DETAILS) this.logger.error({ err: String(error) }, 'gRPC call failed');
    return answer;
  }
}

/** Each decoded request message's bytes on the wire, while the message lives. */
const requestBytes = new WeakMap<object, Buffer>();

/** A response as kept for an Idempotency-Key's retries: JSON, its raw tensors as base64. */
function keepableResponse(response: GrpcModelInferResponse): Buffer {
  return Buffer.from(JSON.stringify({ ...response, raw_output_contents: response.raw_output_contents.map((b) => Buffer.from(b).toString('base64')) }));
}

function responseOf(kept: Buffer): GrpcModelInferResponse {
  const parsed = JSON.parse(kept.toString('utf8')) as Omit<GrpcModelInferResponse, 'raw_output_contents'> & { raw_output_contents: string[] };
  return { ...parsed, raw_output_contents: parsed.raw_output_contents.map((b) => Buffer.from(b, 'base64')) };
}

/** The service with deserializers that hand an undecodable message to the handler rather than throw. */
function tolerantOf(service: grpc.ServiceDefinition): grpc.ServiceDefinition {
  const methods = Object.entries(service).map(([name, method]) => {
    const requestDeserialize = (bytes: Buffer): unknown => {
      try {
        const message = method.requestDeserialize(bytes) as object;
        // The bytes as sent: an Idempotency-Key's fingerprint, computed only for a call that has one.
        if (message !== null && typeof message === 'object') requestBytes.set(message, bytes);
        return message;
      } catch (error) {
        return new UndecodableMessage(`the ${name} message does not decode: ${(error as Error).message}`);
      }
    };
    return [name, { ...method, requestDeserialize }];
  });
  return Object.fromEntries(methods) as grpc.ServiceDefinition;
}

/**
 * The codec's own refusals carry a 400; anything else it throws on a decoded message (a field of
 * an unexpected shape) is the message's fault too, so INVALID_ARGUMENT rather than INTERNAL.
 */
function decodeOrRefuse(message: GrpcModelInferRequest, signature: Parameters<typeof decodeGrpcInferRequest>[1], limits: TensorLimits) {
  try {
    return decodeGrpcInferRequest(message, signature, limits);
  } catch (error) {
    if (typeof (error as { status?: unknown }).status === 'number') throw error;
    throw new GrpcCallError(400, `the ModelInfer message does not decode: ${(error as Error).message}`, 'undecodable_message');
  }
}

function nameOf(request: Record<string, unknown>): string {
  return typeof request.name === 'string' ? request.name : '';
}

function versionOf(request: Record<string, unknown>): string | undefined {
  return typeof request.version === 'string' && request.version !== '' ? request.version : undefined;
}

function metadataOf(metadata: grpc.Metadata, name: string): string | undefined {
  const given = metadata.get(name)[0];
  return typeof given === 'string' && given !== '' ? given.slice(0, 256) : undefined;
}

function requestIdOf(metadata: grpc.Metadata): string {
  const given = metadata.get('x-request-id')[0];
  return typeof given === 'string' && /^[\w.-]{1,200}$/.test(given) ? given : randomUUID();
}
