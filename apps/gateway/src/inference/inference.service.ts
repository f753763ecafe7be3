import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type Redis from 'ioredis';
import { SCOPES, type Principal } from '@falaj/auth';
import { auditEventOf, parsePoolName, type AuditEvent, type ModelSignature, type RouteEntry, type RouteTarget, type TensorPayload } from '@falaj/contracts';
import { DispatchTimeoutError, PoolDispatcher, PoolMonitor } from '@falaj/dispatch';
import { createRedis } from '@falaj/messaging';
import type { DecodedInferRequest } from '@falaj/oip';
import {
  ResidencyError,
  RoutingTableReader,
  fallbackTargets,
  hybridPools,
  placeRequest,
  resolveTarget,
  type Placement,
  type ResolvedTarget,
} from '@falaj/routing';
import { AuditSink } from '../audit/audit.sink';
import { QuotaService } from '../quota/quota.service';
import { ShadowMirror } from '../shadow/shadow-mirror';
import { LoadShedder } from '../shedding/load-shedder';
import { GATEWAY_CONFIG, type GatewayConfig } from '../gateway.config';
import { InferenceError } from './inference.exception';

export interface InferCall {
  principal: Principal;
  requestId: string;
  model: string;
  version?: string;
  protocol: AuditEvent['protocol'];
  /** The caller's sticky key (`x-routing-key`); the token's subject when absent. */
  routingKey?: string;
  /** A version pinned by header (`x-falaj-pin-version`): only for `versions:pin` or platform admins. */
  pin?: string;
  /**
   * Decodes the protocol's request and checks it against the version's signature (REST JSON,
   * REST binary, gRPC and KServe v1 each bring their own decoder; all give the same request).
   */
  decode(signature: ModelSignature): DecodedInferRequest;
}

export interface InferResult {
  request: DecodedInferRequest;
  outputs: TensorPayload[];
  version: number;
  pool: string;
  /** Why that pool: the placement's one-line explanation (`x-falaj-placement`). */
  placement: string;
}

/** A target placed on a pool that has its version ready. */
interface PlacedTarget {
  version: number;
  pool: string;
  placement: string;
}

export interface ModelMetadata {
  name: string;
  versions: string[];
  platform: string;
  inputs: ModelSignature['inputs'];
  outputs: ModelSignature['outputs'];
}

/**
 * The synchronous inference path every protocol shares: route lookup (in memory), the
 * protocol's decoding and validation against the version's signature, dispatch to the pool's
 * stream, reply, and one audit event — success or failure. Encoding the answer is the caller's.
 */
@Injectable()
export class InferenceService implements OnModuleInit, OnApplicationShutdown {
  readonly routes: RoutingTableReader;
  readonly pools: PoolMonitor;
  private readonly dispatcher: PoolDispatcher;
  private readonly redis: Redis;
  /** Pools requests were placed on (by residency, by `auto`), watched beside the routes' own pools. */
  private readonly placedPools = new Set<string>();

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly audit: AuditSink,
    private readonly quotas: QuotaService,
    private readonly shedder: LoadShedder,
    private readonly shadow: ShadowMirror,
  ) {
    this.redis = createRedis(config.redisUrl, `${config.gatewayId}`, { autoPipelining: true });
    this.routes = new RoutingTableReader(this.redis, createRedis(config.redisUrl, `${config.gatewayId}:routes`), config.prefix);
    this.dispatcher = new PoolDispatcher(
      this.redis,
      createRedis(config.redisUrl, `${config.gatewayId}:replies`),
      config.prefix,
      config.gatewayId,
    );
    this.pools = new PoolMonitor(this.redis, config.prefix, () => this.routedPools());
  }

  async onModuleInit(): Promise<void> {
    await this.routes.start();
    await this.dispatcher.start();
    await this.pools.start();
  }

  async onApplicationShutdown(): Promise<void> {
    this.pools.stop();
    await this.dispatcher.stop();
    await this.routes.stop();
    await this.redis.quit().catch(() => undefined);
  }

  async infer(call: InferCall): Promise<InferResult> {
    const started = performance.now();
    let version: number | null = null;
    let pool: string | null = null;
    let placement: string | null = null;
    let release = (): void => undefined;
    try {
      const asked = call.version ?? this.pinned(call);
      const resolved = resolveTarget(call.model, this.route(call.principal, call.model), asked, call.routingKey ?? call.principal.subject);
      // Placement (residency, readiness) first: a request that cannot be served takes no token.
      const target = await this.readyTarget(call, resolved, asked !== undefined);
      ({ version, pool, placement } = target);
      release = await this.quotas.admit(call.principal.tenantId, call.model);
      const request = call.decode(resolved.route.signatures[String(target.version)]);
      const answered = this.shedder.admit(target.pool, this.pools.live(target.pool).length, resolved.route.slaP95Ms);
      const dispatched = performance.now();
      const reply = await this.dispatcher
        .dispatch(
          target.pool,
          {
            requestId: call.requestId,
            tenantId: call.principal.tenantId,
            model: call.model,
            version: target.version,
            deadline: Date.now() + this.config.inferTimeoutMs,
            inputs: request.inputs,
            outputs: request.outputs,
          },
          this.config.inferTimeoutMs,
        )
        .catch((error: Error) => {
          throw error instanceof DispatchTimeoutError ? InferenceError.timeout(error.message) : error;
        })
        .finally(() => answered(performance.now() - dispatched));
      if (!reply.ok) throw InferenceError.fromWorker(reply.status, reply.error);
      this.record(call, 200, null, { version, pool, placement }, started);
      this.mirror(call, resolved.route, request, reply.outputs, performance.now() - dispatched);
      return { request, outputs: reply.outputs, version: reply.version, pool: target.pool, placement: target.placement };
    } catch (error) {
      const status = (error as { status?: number }).status ?? 500;
      this.record(call, status, (error as Error).message, { version, pool, placement }, started);
      throw error;
    } finally {
      release();
    }
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
      dispatch: (pool, dispatched, timeoutMs) => this.dispatcher.dispatch(pool, dispatched, timeoutMs),
      isReady: (pool, version) => this.pools.isReady(pool, call.principal.tenantId, call.model, version),
    });
  }

  metadata(principal: Principal, model: string, version?: string): ModelMetadata {
    const { route, target, signature } = resolveTarget(model, this.route(principal, model), version);
    return {
      name: model,
      versions: version ? [String(target.version)] : route.targets.map((t) => String(t.version)),
      platform: 'onnxruntime_onnx',
      inputs: signature.inputs,
      outputs: signature.outputs,
    };
  }

  isModelReady(principal: Principal, model: string, version?: string): boolean {
    const { route, target } = resolveTarget(model, this.route(principal, model), version);
    // Ready means ready where this caller may be served: in its residency region (either pool for `auto`).
    try {
      return this.place(route, target, principal.residency).pool !== null;
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

  /**
   * The split's target when a worker has it ready; otherwise, unless the caller asked for that
   * version, another target of the route that is ready. A version the router just moved traffic
   * to may still be loading (a blue-green switch): its requests go to the version it replaces
   * until a worker reports it ready, so no request fails during the switch.
   */
  private async readyTarget(call: InferCall, resolved: ResolvedTarget, asked: boolean): Promise<PlacedTarget> {
    const { residency } = call.principal;
    const { target, route } = resolved;
    // Residency first: a request is only ever placed in its tenant's region (503 otherwise).
    let chosen = this.place(route, target, residency);
    if (chosen.pool === null) {
      // The pool view is refreshed every second; right after a route switches to a new version
      // it may not show that version ready yet, so a miss is checked once more against Redis.
      await this.pools.refresh(chosen.candidates);
      chosen = this.place(route, target, residency);
    }
    if (chosen.pool !== null) return { version: target.version, pool: chosen.pool, placement: chosen.explanation };
    if (!asked) {
      for (const other of fallbackTargets(route, target)) {
        const fallback = this.place(route, other, residency);
        if (fallback.pool !== null) return { version: other.version, pool: fallback.pool, placement: fallback.explanation };
      }
    }
    throw InferenceError.noWorker(chosen.candidates.join(' or '), call.model, target.version, residency);
  }

  /** placeRequest over the in-memory heartbeats; the pools it considered are watched from now on. */
  private place(route: RouteEntry, target: RouteTarget, residency: string | undefined): Placement {
    const placement = placeRequest(route, target, residency, (pool) => this.pools.live(pool));
    for (const pool of placement.candidates) this.placedPools.add(pool);
    return placement;
  }

  async ping(): Promise<void> {
    await this.redis.ping();
  }

  private route(principal: Principal, model: string): RouteEntry | undefined {
    return this.routes.lookup(principal.tenantId, model);
  }

  private routedPools(): Set<string> {
    const pools = new Set<string>(this.placedPools);
    for (const route of this.routes.all()) {
      for (const target of route.targets) pools.add(target.pool);
      if (route.shadow) pools.add(route.shadow.pool);
      // `auto` runs on either pool of the region: both are watched before its first request.
      const region = route.hardware === 'auto' ? parsePoolName(route.targets[0].pool)?.region : undefined;
      if (region !== undefined) for (const pool of hybridPools(region)) pools.add(pool);
    }
    return pools;
  }

  private record(
    call: InferCall,
    status: number,
    error: string | null,
    placed: { version: number | null; pool: string | null; placement: string | null },
    started: number,
  ): void {
    const event = auditEventOf({
      requestId: call.requestId,
      tenantId: call.principal.tenantId,
      subject: call.principal.subject,
      residency: call.principal.residency,
      model: call.model,
      ...placed,
      protocol: call.protocol,
      status,
      error,
      latencyMs: performance.now() - started,
    });
    this.audit.record(event);
  }
}
