import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type Redis from 'ioredis';
import { SCOPES, type Principal } from '@falaj/auth';
import { auditEventOf, type AuditEvent, type ModelSignature, type RouteEntry, type TensorPayload } from '@falaj/contracts';
import { DispatchTimeoutError, PoolDispatcher, PoolMonitor } from '@falaj/dispatch';
import { createRedis } from '@falaj/messaging';
import type { DecodedInferRequest } from '@falaj/oip';
import { ResidencyError, RoutingTableReader, fallbackTargets, placeTarget, resolveTarget, type ResolvedTarget } from '@falaj/routing';
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
  /** Pools requests were placed on by residency, watched beside the routes' own pools. */
  private readonly placedPools = new Set<string>();

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly audit: AuditSink,
    private readonly quotas: QuotaService,
    private readonly shedder: LoadShedder,
    private readonly shadow: ShadowMirror,
  ) {
    this.redis = createRedis(config.redisUrl, `${config.gatewayId}`);
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
    let release = (): void => undefined;
    try {
      const asked = call.version ?? this.pinned(call);
      const resolved = resolveTarget(call.model, this.route(call.principal, call.model), asked, call.routingKey ?? call.principal.subject);
      // Placement (residency, readiness) first: a request that cannot be served takes no token.
      const target = await this.readyTarget(call, resolved, asked !== undefined);
      version = target.version;
      pool = target.pool;
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
      this.record(call, 200, null, version, pool, started);
      this.mirror(call, resolved.route, request, reply.outputs, performance.now() - dispatched);
      return { request, outputs: reply.outputs, version: reply.version, pool: target.pool };
    } catch (error) {
      const status = (error as { status?: number }).status ?? 500;
      this.record(call, status, (error as Error).message, version, pool, started);
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
    // Ready means ready where this caller may be served: in its residency region.
    let pool: string;
    try {
      pool = placeTarget(route, target, principal.residency);
      this.placedPools.add(pool);
    } catch (error) {
      if (error instanceof ResidencyError) return false;
      throw error;
    }
    return this.pools.isReady(pool, principal.tenantId, model, target.version);
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
  private async readyTarget(call: InferCall, resolved: ResolvedTarget, asked: boolean): Promise<{ version: number; pool: string }> {
    const { tenantId, residency } = call.principal;
    const { target, route } = resolved;
    // Residency first: a request is only ever placed in its tenant's region (503 otherwise).
    const place = (t: typeof target) => {
      const pool = placeTarget(route, t, residency);
      this.placedPools.add(pool);
      return { version: t.version, pool };
    };
    const chosen = place(target);
    if (await this.isReady(chosen.pool, tenantId, call.model, chosen.version)) return chosen;
    if (!asked) {
      const fallback = fallbackTargets(route, target)
        .map(place)
        .find((t) => this.pools.isReady(t.pool, tenantId, call.model, t.version));
      if (fallback) return fallback;
    }
    throw InferenceError.noWorker(chosen.pool, call.model, chosen.version, residency);
  }

  /**
   * The pool view is refreshed every second; right after a route switches to a new version it
   * may not show that version ready yet, so a miss is checked once more against Redis.
   */
  private async isReady(pool: string, tenantId: string, model: string, version: number): Promise<boolean> {
    if (this.pools.isReady(pool, tenantId, model, version)) return true;
    await this.pools.refresh([pool]);
    return this.pools.isReady(pool, tenantId, model, version);
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
    }
    return pools;
  }

  private record(
    call: InferCall,
    status: number,
    error: string | null,
    version: number | null,
    pool: string | null,
    started: number,
  ): void {
    const event = auditEventOf({
      requestId: call.requestId,
      tenantId: call.principal.tenantId,
      subject: call.principal.subject,
      residency: call.principal.residency,
      model: call.model,
      version,
      pool,
      protocol: call.protocol,
      status,
      error,
      latencyMs: performance.now() - started,
    });
    this.audit.record(event);
  }
}
