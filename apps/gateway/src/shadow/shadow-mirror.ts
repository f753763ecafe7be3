import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type Redis from 'ioredis';
import { shadowLatencyKey, shadowReportKey, type DispatchReply, type DispatchRequest, type RouteEntry, type TensorPayload } from '@falaj/contracts';
import { createRedis } from '@falaj/messaging';
import { ResidencyError, SHADOW_SAMPLES, compareOutputs, placeTarget, stickyPoint } from '@falaj/routing';
import { GATEWAY_CONFIG, type GatewayConfig } from '../gateway.config';
import { RECORD_PAIR_LUA } from './record-pair.lua';

type PairRedis = Redis & { recordShadowPair(keys: number, ...args: (string | number)[]): Promise<number> };

export interface MirrorCall {
  route: RouteEntry;
  requestId: string;
  tenantId: string;
  residency?: string;
  inputs: DispatchRequest['inputs'];
  outputs: DispatchRequest['outputs'];
  primary: { outputs: TensorPayload[]; latencyMs: number };
  dispatch(pool: string, request: Omit<DispatchRequest, 'replyTo' | 'dispatchId'>, timeoutMs: number): Promise<DispatchReply>;
  isReady(pool: string, version: number): boolean;
}

/**
 * Shadow traffic: after the caller has its answer, the deployment's share of requests is sent
 * again to the shadow version, and the pair is compared (exact, argmax, max abs difference,
 * latency) into the deployment's report in Redis. Never awaited by the caller; never throws.
 */
@Injectable()
export class ShadowMirror implements OnApplicationShutdown {
  private readonly logger = new Logger(ShadowMirror.name);
  private readonly redis: PairRedis;

  constructor(@Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig) {
    this.redis = createRedis(config.redis, `${config.gatewayId}:shadow`) as PairRedis;
    this.redis.defineCommand('recordShadowPair', { lua: RECORD_PAIR_LUA });
  }

  /** Whether this request is in the mirrored share (by request id, so the share is exact on average). */
  selected(route: RouteEntry, requestId: string): boolean {
    return route.shadow !== undefined && stickyPoint(route.model, requestId) < route.shadow.percent;
  }

  mirror(call: MirrorCall): void {
    void this.run(call).catch((error: Error) => this.logger.warn({ model: call.route.model }, `shadow mirror failed: ${error.message}`));
  }

  private async run(call: MirrorCall): Promise<void> {
    const shadow = call.route.shadow!;
    let pool: string;
    try {
      pool = placeTarget(call.route, { version: shadow.version, pool: shadow.pool, weight: 0 }, call.residency);
    } catch (error) {
      if (error instanceof ResidencyError) return; // the shadow obeys residency like live traffic
      throw error;
    }
    // A shadow still loading is skipped, not counted as failing.
    if (!call.isReady(pool, shadow.version)) return;
    const started = performance.now();
    const reply = await call
      .dispatch(
        pool,
        {
          requestId: `${call.requestId}:shadow`,
          tenantId: call.tenantId,
          model: call.route.model,
          version: shadow.version,
          deadline: Date.now() + this.config.inferTimeoutMs,
          inputs: call.inputs,
          outputs: call.outputs,
        },
        this.config.inferTimeoutMs,
      )
      .catch(() => null);
    const latencyMs = performance.now() - started;
    const key = shadowReportKey(this.config.prefix, call.tenantId, call.route.model, shadow.version);
    const lists = [
      shadowLatencyKey(this.config.prefix, call.tenantId, call.route.model, shadow.version, 'primary'),
      shadowLatencyKey(this.config.prefix, call.tenantId, call.route.model, shadow.version, 'shadow'),
    ];
    if (!reply?.ok) {
      await this.redis.recordShadowPair(3, key, ...lists, 0, 0, 0, 0, 0, 0, SHADOW_SAMPLES);
      return;
    }
    const agreement = compareOutputs(call.primary.outputs, reply.outputs);
    const diff = Number.isFinite(agreement.maxAbsDiff) ? agreement.maxAbsDiff : Number.MAX_VALUE;
    await this.redis.recordShadowPair(3, key, ...lists, 1, agreement.exact ? 1 : 0, agreement.argmax ? 1 : 0, diff, call.primary.latencyMs.toFixed(3), latencyMs.toFixed(3), SHADOW_SAMPLES);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => undefined);
  }
}
