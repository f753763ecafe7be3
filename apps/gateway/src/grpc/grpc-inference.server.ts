import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { Authenticator, InvalidTokenError, SCOPES, hasScopes, type Principal } from '@falaj/auth';
import { HealthService } from '@falaj/http';
import {
  OIP_GRPC_LOADER_OPTIONS,
  OIP_GRPC_PROTO_PATH,
  decodeGrpcInferRequest,
  encodeGrpcInferResponse,
  type GrpcModelInferRequest,
} from '@falaj/oip';
import { GATEWAY_CONFIG, type GatewayConfig } from '../gateway.config';
import { SERVER_METADATA } from '../health/server-metadata';
import { servedHeaders } from '../inference/traffic-headers';
import { InferenceService } from '../inference/inference.service';
import { grpcStatusOf } from './grpc-status';

/** A handler's failure, as the shared path throws it: an HTTP-like status and a message for the caller. */
class GrpcCallError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

type Handler = (call: grpc.ServerUnaryCall<Record<string, unknown>, unknown>) => Promise<unknown>;

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

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly inference: InferenceService,
    private readonly health: HealthService,
    private readonly authenticator: Authenticator,
  ) {
    this.server = new grpc.Server({
      // Over the limit, grpc-js answers RESOURCE_EXHAUSTED before the message is decoded.
      'grpc.max_receive_message_length': config.maxRequestBytes,
      'grpc.max_send_message_length': -1,
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    const definition = protoLoader.loadSync(OIP_GRPC_PROTO_PATH, OIP_GRPC_LOADER_OPTIONS);
    const loaded = grpc.loadPackageDefinition(definition) as unknown as {
      inference: { GRPCInferenceService: grpc.ServiceClientConstructor };
    };
    this.server.addService(loaded.inference.GRPCInferenceService.service, {
      ServerLive: this.unary(async () => ({ live: true })),
      ServerReady: this.unary(async () => ({ ready: (await this.health.readiness()).ready })),
      ServerMetadata: this.unary(async (call) => {
        await this.authorize(call);
        return { ...SERVER_METADATA, extensions: [...SERVER_METADATA.extensions] };
      }),
      ModelReady: this.unary(async (call) => {
        const principal = await this.authorize(call);
        return { ready: this.inference.isModelReady(principal, String(call.request.name ?? ''), versionOf(call.request)) };
      }),
      ModelMetadata: this.unary(async (call) => {
        const principal = await this.authorize(call);
        return this.inference.metadata(principal, String(call.request.name ?? ''), versionOf(call.request));
      }),
      ModelInfer: this.unary(async (call) => {
        const principal = await this.authorize(call);
        const message = call.request as GrpcModelInferRequest;
        const model = message.model_name ?? '';
        const requestId = requestIdOf(call.metadata);
        const result = await this.inference.infer({
          principal,
          requestId,
          model,
          version: message.model_version || undefined,
          protocol: 'grpc',
          routingKey: metadataOf(call.metadata, 'x-routing-key'),
          pin: metadataOf(call.metadata, 'x-falaj-pin-version'),
          decode: (signature) => decodeGrpcInferRequest(message, signature),
        });
        // What served it and why, as on REST: the response's initial metadata.
        const served = new grpc.Metadata();
        for (const [key, value] of Object.entries(servedHeaders(requestId, result))) served.set(key, value);
        call.sendMetadata(served);
        return encodeGrpcInferResponse({ modelName: model, modelVersion: String(result.version), id: result.request.id, outputs: result.outputs });
      }),
    });
    const address = `${this.config.grpc.host}:${this.config.grpc.port}`;
    await new Promise<void>((resolve, reject) =>
      this.server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (error) => (error ? reject(error) : resolve())),
    );
    this.logger.log({ address }, `gRPC listening on ${address}`);
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
  private async authorize(call: grpc.ServerUnaryCall<unknown, unknown>): Promise<Principal> {
    const values = call.metadata.get('authorization').map(String);
    let principal: Principal;
    try {
      principal = await this.authenticator.authenticate(values.length > 0 ? values : undefined);
    } catch (error) {
      if (error instanceof InvalidTokenError) throw new GrpcCallError(401, error.message);
      throw error;
    }
    if (!hasScopes(principal, [SCOPES.infer])) throw new GrpcCallError(403, `requires scope ${SCOPES.infer}`);
    return principal;
  }

  /** Wraps a handler: its result is the reply; a thrown status becomes the mapped gRPC status. */
  private unary(handler: Handler): grpc.handleUnaryCall<Record<string, unknown>, unknown> {
    return (call, callback) => {
      handler(call).then(
        (reply) => callback(null, reply),
        (error: unknown) => {
          const status = (error as { status?: unknown }).status;
          if (typeof status === 'number' && status >= 400 && status < 600) {
            callback({ code: grpcStatusOf(status), details: (error as Error).message });
            return;
          }
          this.logger.error({ err: String(error) }, 'gRPC call failed');
          callback({ code: grpc.status.INTERNAL, details: 'internal error' });
        },
      );
    };
  }
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
