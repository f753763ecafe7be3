import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorFunction, type HealthIndicatorResult } from '@nestjs/terminus';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { Admin, Kafka } from 'kafkajs';
import { eventLoopAlive } from './event-loop.policy';
import { modelsReadiness, type WorkerModelsView } from './models.policy';
import { indicatorData } from './readiness-report.policy';

/** A dependency that does not answer within this is down: a probe must never hang on it. */
export const CHECK_TIMEOUT_MS = 2_000;

/** The error a check throws may carry what it saw (a stuck consumer's state) beside why. */
type Seen = Record<string, unknown> | void;

/**
 * The platform's health indicators, one home for every app: Redis, Kafka, Postgres, the routing
 * table, a worker's models, the event loop, and `check` for an app's own (a consumer's state).
 * Each is bounded by CHECK_TIMEOUT_MS and never throws: it answers up or down with what it saw.
 */
@Injectable()
export class HealthIndicators implements OnApplicationShutdown {
  private readonly loop: IntervalHistogram = monitorEventLoopDelay({ resolution: 20 });
  /**
   * One Kafka probe at a time per client, kept until it settles (not just until the check's
   * bound): kafkajs retries a broker that is away for up to a minute, and readiness polled
   * meanwhile joins the probe in flight instead of starting another admin client.
   */
  private readonly kafkaProbes = new WeakMap<Kafka, Promise<{ brokers: number }>>();
  /**
   * The admin client each probe asks, kept connected between probes: a SASL_SSL connect (TLS,
   * SCRAM) per probe takes seconds on a loaded machine, a describeCluster on a kept one a round
   * trip. Dropped after a failed probe, so the next one connects afresh.
   */
  private readonly kafkaAdmins = new WeakMap<Kafka, Admin>();
  private readonly openAdmins = new Set<Admin>();

  constructor(private readonly indicators: HealthIndicatorService) {
    this.loop.enable();
  }

  /** An app's own check: resolves with what it saw, or throws why not. */
  check(key: string, probe: () => Promise<Seen> | Seen, timeoutMs = CHECK_TIMEOUT_MS): HealthIndicatorFunction {
    return async (): Promise<HealthIndicatorResult> => {
      const session = this.indicators.check(key);
      try {
        return session.up(indicatorData(await withTimeout(Promise.resolve().then(probe), timeoutMs, key)));
      } catch (error) {
        const seen = (error as { details?: Record<string, unknown> }).details;
        return session.down({ ...indicatorData(seen), message: (error as Error).message });
      }
    };
  }

  redis(key: string, redis: { ping(): Promise<unknown> }): HealthIndicatorFunction {
    return this.check(key, async () => void (await redis.ping()));
  }

  /** The brokers answer (describeCluster through an admin client made for the probe). */
  kafka(key: string, kafka: Kafka): HealthIndicatorFunction {
    return this.check(key, () => {
      let probe = this.kafkaProbes.get(kafka);
      if (!probe) {
        probe = this.probeKafka(kafka).finally(() => this.kafkaProbes.delete(kafka));
        this.kafkaProbes.set(kafka, probe);
      }
      return probe;
    });
  }

  /** Disconnects the admin clients kept for the Kafka probes (the app's shutdown). */
  async onApplicationShutdown(): Promise<void> {
    this.loop.disable();
    await Promise.all([...this.openAdmins].map((admin) => admin.disconnect().catch(() => undefined)));
    this.openAdmins.clear();
  }

  private async probeKafka(kafka: Kafka): Promise<{ brokers: number }> {
    let admin = this.kafkaAdmins.get(kafka);
    try {
      if (!admin) {
        admin = kafka.admin();
        this.kafkaAdmins.set(kafka, admin);
        this.openAdmins.add(admin);
        await admin.connect();
      }
      return { brokers: (await admin.describeCluster()).brokers.length };
    } catch (error) {
      this.kafkaAdmins.delete(kafka);
      if (admin) {
        this.openAdmins.delete(admin);
        await admin.disconnect().catch(() => undefined);
      }
      throw error;
    }
  }

  postgres(key: string, db: { query(sql: string): Promise<unknown> }): HealthIndicatorFunction {
    return this.check(key, async () => void (await db.query('SELECT 1')));
  }

  /**
   * The router's table present in Redis as the router wrote it (RedisHashMirror.present: its
   * field found on the last read; an empty table counts, a cluster with no model yet). Not
   * before the first read, nor while Redis has lost it (a restart) until the router rebuilds it:
   * a miss then is no answer (503), so the gateway is not ready.
   */
  routingTable(key: string, table: { readonly present: boolean; readonly size: number }): HealthIndicatorFunction {
    return this.check(key, () => {
      if (!table.present) throw Object.assign(new Error('no routing table in Redis as the router writes it (not read yet, or lost until the router rebuilds it)'), { details: { models: table.size } });
      return { models: table.size };
    });
  }

  /** A worker: in its pool, joined, with at least one version loaded (see modelsReadiness). */
  models(key: string, view: () => WorkerModelsView): HealthIndicatorFunction {
    return this.check(key, () => {
      const state = view();
      const verdict = modelsReadiness(state);
      const seen = { pool: state.pool, loaded: verdict.loaded, wanted: verdict.wanted };
      if (!verdict.ready) throw Object.assign(new Error(verdict.reason), { details: seen });
      return seen;
    });
  }

  /** Liveness: the loop's worst delay since the last probe within EVENT_LOOP_STALL_MS. */
  eventLoop(key = 'eventLoop'): HealthIndicatorFunction {
    return this.check(key, () => {
      const sample = { maxMs: this.loop.max / 1e6, p99Ms: this.loop.percentile(99) / 1e6 };
      this.loop.reset();
      const verdict = eventLoopAlive(sample);
      const seen = { maxDelayMs: Math.round(sample.maxMs), p99DelayMs: Math.round(sample.p99Ms) };
      if (!verdict.alive) throw Object.assign(new Error(verdict.reason), { details: seen });
      return seen;
    });
  }
}

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
