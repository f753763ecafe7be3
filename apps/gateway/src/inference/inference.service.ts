import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type Redis from 'ioredis';
import { SCOPES, type Principal } from '@falaj/auth';
import { type AuditEvent, type ModelSignature, type RouteEntry, type TensorPayload } from '@falaj/contracts';
import {
  InferenceError,
  InferencePipeline,
  PayloadRecorder,
  answerOf,
  inferenceAuditEvent,
  type InferenceCall,
  type InferenceFacts,
  type InferenceOutcome,
  type InferenceSteps,
  type PoolMonitor,
} from '@falaj/dispatch';
import { createRedis } from '@falaj/messaging';
import { InferenceMetrics } from '@falaj/observability';
import type { DecodedInferRequest, TensorLimits } from '@falaj/oip';
import { ResidencyError, resolveTarget, type RoutingTableReader } from '@falaj/routing';
import { endSpan, recordedTraceId, tracing } from '@falaj/tracing';
import { AuditSink, type AuditTicket } from '../audit/audit.sink';
import { AuditPolicyReader } from '../audit/audit-policy.reader';
import { QuotaService } from '../quota/quota.service';
import { ShadowMirror } from '../shadow/shadow-mirror';
import { LoadShedder } from '../shedding/load-shedder';
import { InFlightLimiter } from '../shedding/in-flight.limiter';
import { GatewayMetrics } from '../metrics/gateway.metrics';
import { GATEWAY_CONFIG, type GatewayConfig } from '../gateway.config';

/**
 * One protocol's request: REST JSON, REST binary, gRPC and KServe v1 each bring their own
 * `decode`, all giving the same request; `routingKey` is `x-routing-key`.
 */
export interface InferCall extends InferenceCall {
  /** The version in the path or message, if any. */
  version?: string;
  protocol: AuditEvent['protocol'];
  /** A version pinned by header (`x-falaj-pin-version`): only for `versions:pin` or platform admins. */
  pin?: string;
}

export interface InferResult {
  request: DecodedInferRequest;
  outputs: TensorPayload[];
  version: number;
  pool: string;
  /** Why that pool: the placement's one-line explanation (`x-falaj-placement`). */
  placement: string;
}

export interface ModelMetadata {
  name: string;
  versions: string[];
  platform: string;
  inputs: ModelSignature['inputs'];
  outputs: ModelSignature['outputs'];
}

/** A request refused before it reached the pipeline (a pin it may not use): placed nowhere. */
const UNPLACED: InferenceFacts = { version: null, pool: null, placement: null };

/**
 * The synchronous inference path every protocol shares: the pipeline (@falaj/dispatch) with the
 * gateway's own steps around it — pinning by header, quotas with a per-gateway concurrency limit,
 * load shedding, the shadow mirror — and one audit event per request, success or failure.
 * Decoding is the protocol's, and so is encoding the answer.
 */
@Injectable()
export class InferenceService implements OnModuleInit, OnApplicationShutdown {
  private readonly pipeline: InferencePipeline;
  private readonly steps: InferenceSteps;
  private readonly redis: Redis;
  private readonly limiter: InFlightLimiter;
  private readonly payloads: PayloadRecorder;
  /** What one request tensor may hold (FALAJ_MAX_TENSOR_ELEMENTS, FALAJ_MAX_BYTES_ELEMENT_BYTES): every protocol decodes within it. */
  readonly tensorLimits: TensorLimits;

  constructor(
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
    private readonly audit: AuditSink,
    private readonly policies: AuditPolicyReader,
    quotas: QuotaService,
    shedder: LoadShedder,
    private readonly shadow: ShadowMirror,
    metrics: GatewayMetrics,
    private readonly calls: InferenceMetrics,
  ) {
    this.tensorLimits = config.tensorLimits;
    this.limiter = new InFlightLimiter(config.inFlight, (limit) => metrics.refused.inc({ limit }));
    metrics.readInFlight(() => this.limiter.inFlight);
    this.redis = createRedis(config.redis, `${config.gatewayId}`, { autoPipelining: true });
    this.pipeline = new InferencePipeline({
      redis: this.redis,
      routesSubscriber: createRedis(config.redis, `${config.gatewayId}:routes`),
      repliesReader: createRedis(config.redis, `${config.gatewayId}:replies`),
      prefix: config.prefix,
      replyTo: config.gatewayId,
      timeoutMs: config.inferTimeoutMs,
      watchShadowPools: true,
      // The budget every gateway and router shares in Redis; its refusals count beside the in-flight caps'.
      streams: { limits: config.poolStreams, onStreamFull: (limit) => metrics.refused.inc({ limit: `stream_${limit}` }) },
    });
    this.payloads = new PayloadRecorder(this.redis, createRedis(config.redis, `${config.gatewayId}:payload-policies`), config.prefix, config.payloadKey);
    this.steps = {
      // The gateway's own in-flight caps first: refused at once, before any Redis work.
      admit: async (tenantId, model) => {
        const leave = this.limiter.enter(tenantId);
        try {
          const release = await quotas.admit(tenantId, model);
          return () => {
            release();
            leave();
          };
        } catch (error) {
          leave();
          throw error;
        }
      },
      beforeDispatch: (pool, route, request) => {
        let bytes = 0;
        for (const input of request.inputs) bytes += input.data.length;
        const unreserve = this.limiter.reserveBytes(bytes);
        try {
          // Shed (503) rather than queue when the pool would answer past the route's SLA.
          const answered = shedder.admit(pool, this.pools.live(pool).length, route.slaP95Ms);
          return (latencyMs) => {
            unreserve();
            answered(latencyMs);
          };
        } catch (error) {
          unreserve();
          throw error;
        }
      },
    };
  }

  /** Requests and request bytes held now, for the metrics. */
  get inFlight(): { requests: number; bytes: number } {
    return this.limiter.inFlight;
  }

  get routes(): RoutingTableReader {
    return this.pipeline.routes;
  }

  get pools(): PoolMonitor {
    return this.pipeline.pools;
  }

  async onModuleInit(): Promise<void> {
    await this.pipeline.start();
    await this.payloads.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pipeline.stop();
    await this.payloads.stop();
    await this.redis.quit().catch(() => undefined);
  }

  async infer(call: InferCall): Promise<InferResult> {
    const started = performance.now();
    // A must-audit tenant's call takes its event's room in the spool first: 503 before anything runs.
    const ticket = this.policies.mustAudit(call.principal.tenantId) ? this.admitAudited(call, started) : undefined;
    let asked: string | undefined;
    try {
      asked = call.version ?? this.pinned(call);
    } catch (error) {
      await this.record(call, error as Error, UNPLACED, started, ticket);
      throw error;
    }
    let outcome: InferenceOutcome;
    try {
      outcome = await this.pipeline.infer(call, asked, this.steps);
    } catch (error) {
      if (ticket) this.audit.release(ticket);
      throw error;
    }
    // Its answer leaves only once its event is on disk (a 503 instead when it could not be written).
    const audited = tracing().enabled ? tracing().startSpan('audit', call.trace, { attributes: { 'falaj.must_audit': ticket !== undefined } }) : undefined;
    await this.record(call, outcome, outcome, started, ticket).finally(() => endSpan(audited));
    if (!outcome.ok) throw outcome.error;
    this.mirror(call, outcome.route, outcome.request, outcome.reply.outputs, performance.now() - outcome.dispatchedAt);
    return { request: outcome.request, outputs: outcome.reply.outputs, version: outcome.reply.version, pool: outcome.pool, placement: outcome.placement };
  }

  /** The deployment's shadow share, mirrored after the caller's answer (never awaited). */
  private mirror(call: InferCall, route: RouteEntry, request: DecodedInferRequest, outputs: TensorPayload[], latencyMs: number): void {
    if (!this.shadow.selected(route, call.requestId)) return;
    this.shadow.mirror({
      route,
      requestId: call.requestId,
      tenantId: call.principal.tenantId,
      residency: call.principal.residency,
      inputs: request.inputs,
      outputs: request.outputs,
      primary: { outputs, latencyMs },
      dispatch: (pool, dispatched, timeoutMs) => this.pipeline.dispatcher.dispatch(pool, dispatched, timeoutMs),
      isReady: (pool, version) => this.pools.isReady(pool, call.principal.tenantId, call.model, version),
    });
  }

  metadata(principal: Principal, model: string, version?: string): ModelMetadata {
    const { route, target, signature } = resolveTarget(model, this.route(principal, model), version, undefined, this.routes.present);
    return {
      name: model,
      versions: version ? [String(target.version)] : route.targets.map((t) => String(t.version)),
      platform: 'onnxruntime_onnx',
      inputs: signature.inputs,
      outputs: signature.outputs,
    };
  }

  isModelReady(principal: Principal, model: string, version?: string): boolean {
    const { route, target } = resolveTarget(model, this.route(principal, model), version, undefined, this.routes.present);
    // Ready means ready where this caller may be served: in its residency region (either pool for `auto`).
    try {
      return this.pipeline.place(route, target, principal.residency).pool !== null;
    } catch (error) {
      if (error instanceof ResidencyError) return false;
      throw error;
    }
  }

  private pinned(call: InferCall): string | undefined {
    if (call.pin === undefined) return undefined;
    const { scopes } = call.principal;
    if (!scopes.includes(SCOPES.versionsPin) && !scopes.includes(SCOPES.platformAdmin)) {
      throw InferenceError.forbidden(`pinning a version requires scope ${SCOPES.versionsPin}`);
    }
    if (!/^[1-9][0-9]{0,9}$/.test(call.pin)) throw InferenceError.badRequest(`x-falaj-pin-version must be a version number, not '${call.pin}'`);
    return call.pin;
  }

  async ping(): Promise<void> {
    await this.redis.ping();
  }

  private route(principal: Principal, model: string): RouteEntry | undefined {
    return this.routes.lookup(principal.tenantId, model);
  }

  private async record(call: InferCall, outcome: InferenceOutcome | Error, facts: InferenceFacts, started: number, ticket?: AuditTicket): Promise<void> {
    const latencyMs = performance.now() - started;
    const answer = answerOf(outcome);
    const tenantId = call.principal.tenantId;
    // Counted where the audit event is made: the metrics and the audit log tell one story.
    this.calls.observe(
      tenantId,
      call.model,
      this.routes.lookup(tenantId, call.model) !== undefined,
      facts.version,
      facts.pool,
      call.protocol,
      answer.status,
      latencyMs / 1000,
      recordedTraceId(call.trace),
    );
    const plain = inferenceAuditEvent(call, answer, facts, latencyMs);
    // A payload record only for a call answered: its request as decoded and the model's outputs.
    const answered = !(outcome instanceof Error) && outcome.ok;
    const event = answered ? this.payloads.attach(plain, outcome.request.inputs, outcome.reply.outputs) : plain;
    if (ticket) await this.audit.recordDurable(event, ticket);
    else this.audit.record(event);
  }

  /** The room for a must-audit call's event, or its refusal: recorded as any call is (counted as dropped if it cannot be). */
  private admitAudited(call: InferCall, started: number): AuditTicket {
    try {
      return this.audit.admitDurable();
    } catch (error) {
      void this.record(call, error as Error, UNPLACED, started);
      throw error;
    }
  }
}
