import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { parsePoolName, unavailableOnRedisLoss, type RouteEntry, type RouteTarget } from '@falaj/contracts';
import { RoutingTableReader, hybridPools, placeRequest, readyTarget, resolveTarget, type Placement, type ResolvedTarget, type TargetPlacement } from '@falaj/routing';
import { SpanKind, endSpan, tracing, type Span } from '@falaj/tracing';
import { DispatchTimeoutError, PoolDispatcher, type PoolDispatcherOptions } from '../pool-dispatcher';
import { PoolMonitor } from '../pool-monitor';
import type { InferenceCall, InferenceOutcome, InferenceSteps } from './inference-call';
import { InferenceError } from './inference.error';
import { RegionStoreGate } from './region-store.gate';

export interface InferencePipelineOptions {
  /** Commands: heartbeats, stream writes (and the routing table's reads). */
  redis: Redis;
  /** Connections of their own: the routing-table subscription, the blocking read of workers' replies. */
  routesSubscriber: Redis;
  repliesReader: Redis;
  prefix: string;
  /** This process's id: workers answer on its reply stream. */
  replyTo: string;
  timeoutMs: number;
  /** Watch the routes' shadow pools too (for an edge that mirrors to them). */
  watchShadowPools: boolean;
  /** The pool streams' budget and the edge's count of refusals past it. */
  streams?: PoolDispatcherOptions;
}

const NO_RELEASE = (): void => undefined;

/**
 * The one sequence every inference request takes, whether a gateway protocol or the Kafka
 * bridge brought it: check that its region keeps an audit store, resolve the target (split, asked version), place it (residency, readiness,
 * the blue-green fallback), admit it, decode it against the served version's signature,
 * dispatch it to the pool's stream and map the worker's answer. It never throws: the outcome
 * says what was served or why not, with the facts for the audit event; each edge turns it into
 * its own answer (an exception, a Kafka response). Route lookup and placement are in memory.
 */
export class InferencePipeline {
  private readonly logger = new Logger(InferencePipeline.name);
  readonly routes: RoutingTableReader;
  readonly pools: PoolMonitor;
  readonly dispatcher: PoolDispatcher;
  /** Regions whose audit has a store: a call of any other is refused before anything is resolved. */
  readonly regionStores: RegionStoreGate;
  /** Pools requests were placed on (by residency, by `auto`), watched beside the routes' own pools. */
  private readonly placedPools = new Set<string>();

  constructor(private readonly options: InferencePipelineOptions) {
    const { redis, prefix } = options;
    this.routes = new RoutingTableReader(redis, options.routesSubscriber, prefix);
    this.dispatcher = new PoolDispatcher(redis, options.repliesReader, prefix, options.replyTo, options.streams);
    this.pools = new PoolMonitor(redis, prefix, () => this.watchedPools());
    this.regionStores = new RegionStoreGate(redis, prefix);
  }

  async start(): Promise<void> {
    await this.routes.start();
    await this.dispatcher.start();
    await this.pools.start();
    await this.regionStores.start();
  }

  async stop(): Promise<void> {
    await this.regionStores.stop();
    this.pools.stop();
    await this.dispatcher.stop();
    await this.routes.stop();
  }

  /** `asked`: the version the caller asked for or pinned; never falls back from it. */
  async infer(call: InferenceCall, asked: string | undefined, steps: InferenceSteps): Promise<InferenceOutcome> {
    const { tenantId, residency } = call.principal;
    let version: number | null = null;
    let pool: string | null = null;
    let placement: string | null = null;
    let release = NO_RELEASE;
    // Off (the default), no span is made and the traced path costs one property read.
    const tracer = tracing();
    let hop: Span | undefined;
    try {
      if (!this.regionStores.accepts(residency)) throw InferenceError.regionStoreMissing(residency ?? 'unknown');
      hop = tracer.enabled ? tracer.startSpan('resolve and place', call.trace, { attributes: { 'falaj.model': call.model, 'falaj.tenant': tenantId } }) : undefined;
      const resolved = resolveTarget(call.model, this.routes.lookup(tenantId, call.model), asked, call.routingKey ?? call.principal.subject, this.routes.present);
      version = resolved.target.version;
      // Placement (residency, readiness) first: a request that cannot be served takes no token.
      const { target, placement: chosen } = await this.readyTarget(resolved, residency, asked === undefined);
      version = target.version;
      if (chosen.pool !== null) ({ pool, explanation: placement } = chosen);
      else if (steps.awaitReady === undefined) throw this.notReady(call, target, chosen);
      hop?.setAttributes({ 'falaj.version': target.version, 'falaj.pool': chosen.pool ?? '', 'falaj.placement': chosen.explanation ?? '' });
      hop = this.nextHop(hop, 'admit', call);
      release = await steps.admit(tenantId, call.model);
      const request = call.decode(resolved.route.signatures[String(target.version)]);
      let served = chosen;
      if (served.pool === null) {
        // Decoded against that version's signature: the wait is for it, never a fallback.
        served = await steps.awaitReady!(chosen, () => this.place(resolved.route, target, residency));
        if (served.pool === null) throw this.notReady(call, target, served);
        ({ pool, explanation: placement } = served);
      }
      const answered = steps.beforeDispatch?.(served.pool, resolved.route, request);
      hop = this.nextHop(hop, 'dispatch', call, SpanKind.PRODUCER, { 'falaj.pool': served.pool, 'falaj.version': target.version });
      const traceparent = hop === undefined ? tracer.traceparentOf(call.trace) : tracer.traceparentOf(hop);
      const dispatchedAt = performance.now();
      const reply = await this.dispatcher
        .dispatch(
          served.pool,
          {
            requestId: call.requestId,
            tenantId,
            model: call.model,
            version: target.version,
            deadline: Date.now() + this.options.timeoutMs,
            inputs: request.inputs,
            outputs: request.outputs,
            // The worker's spans join this trace; a `traceparent` nobody here records is handed on as it came.
            ...(traceparent === undefined ? {} : { traceparent }),
          },
          this.options.timeoutMs,
        )
        .catch((error: Error) => {
          throw error instanceof DispatchTimeoutError ? InferenceError.timeout(error.message) : error;
        })
        .finally(() => answered?.(performance.now() - dispatchedAt));
      if (!reply.ok) {
        const error = InferenceError.fromWorker(reply.status, reply.error, call.requestId);
        // What the caller is not told is logged, under the request id it is told.
        if (error.message !== reply.error)
          this.logger.error(
            { requestId: call.requestId, model: call.model, version: target.version, pool: served.pool, status: reply.status, detail: reply.error },
            'the model failed to run a request',
          );
        throw error;
      }
      hop?.setAttribute('falaj.worker', reply.workerId);
      endSpan(hop);
      return { ok: true, version: target.version, pool: served.pool, placement: served.explanation, route: resolved.route, request, reply, dispatchedAt };
    } catch (error) {
      endSpan(hop, error);
      // A refusal before placement names no version, on every edge: the rollout analysis counts
      // a version's 5xx from the audit log, and a request no pool took is not that version's failure.
      // Redis away (a command refused, a connection closed): a retryable 503 on every edge, never a 500.
      return { ok: false, error: unavailableOnRedisLoss(error) as Error, version: pool === null ? null : version, pool, placement };
    } finally {
      release();
    }
  }

  /** Ends the hop's span (the step it timed is done) and starts the next one under the call's edge span. */
  private nextHop(hop: Span | undefined, name: string, call: InferenceCall, kind = SpanKind.INTERNAL, attributes: Record<string, string | number> = {}): Span | undefined {
    if (hop === undefined) return undefined;
    hop.end();
    return tracing().startSpan(name, call.trace, { kind, attributes });
  }

  /** placeRequest over the in-memory heartbeats; the pools it considered are watched from now on. */
  place(route: RouteEntry, target: RouteTarget, residency: string | undefined): Placement {
    const placement = placeRequest(route, target, residency, (pool) => this.pools.live(pool));
    for (const pool of placement.candidates) this.placedPools.add(pool);
    return placement;
  }

  /**
   * The resolved target on a pool that has it ready, else (see readyTarget) another target of
   * the route that is ready; residency first: a request is only ever placed in its tenant's
   * region (ResidencyError, 503, otherwise).
   */
  private async readyTarget(resolved: ResolvedTarget, residency: string | undefined, mayFallBack: boolean): Promise<TargetPlacement> {
    const { route, target } = resolved;
    const placement = this.place(route, target, residency);
    if (placement.pool !== null) return { target, placement };
    // The pool view is refreshed every second; right after a route switches to a new version it
    // may not show that version ready yet, so a miss is checked once more against Redis.
    await this.pools.refresh(placement.candidates);
    const again = this.place(route, target, residency);
    return readyTarget(route, { target, placement: again }, mayFallBack, (other) => this.place(route, other, residency));
  }

  private notReady(call: InferenceCall, target: RouteTarget, missed: Placement): InferenceError {
    return InferenceError.noWorker(missed.candidates.join(' or '), call.model, target.version, call.principal.residency);
  }

  private watchedPools(): Set<string> {
    const pools = new Set<string>(this.placedPools);
    for (const route of this.routes.all()) {
      for (const target of route.targets) pools.add(target.pool);
      if (this.options.watchShadowPools && route.shadow) pools.add(route.shadow.pool);
      // `auto` runs on either pool of the region: both are watched before its first request.
      const region = route.hardware === 'auto' ? parsePoolName(route.targets[0].pool)?.region : undefined;
      if (region !== undefined) for (const pool of hybridPools(region)) pools.add(pool);
    }
    return pools;
  }
}
