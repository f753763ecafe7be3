import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type Redis from 'ioredis';
import type { Kafka } from 'kafkajs';
import { ClientCredentialsTokenSource, SCOPES } from '@falaj/auth';
import { ModelLifecycleEventSchema, modelLifecycleTopic, platformTopics, poolName, type ModelLifecycleEvent } from '@falaj/contracts';
import { EventConsumer, createRedis, ensureTopics } from '@falaj/messaging';
import { AppMetrics, GpuMetrics, WorkerMetrics } from '@falaj/observability';
import { ArtifactCache } from './artifact-cache';
import { ArtifactSignatures } from './artifact-signatures';
import { modelMemoryBudget, type ExecutionProviderReport } from './execution-provider';
import { HeartbeatPublisher } from './heartbeat.publisher';
import { ServingPlan, lifecycleVersions } from './hosting/serving-plan';
import { ModelHost } from './model-host';
import { ModelCommandsListener } from './model-commands.listener';
import { PoolStreamServer } from './pool-stream.server';
import { WORKER_CONFIG, type WorkerConfig } from './worker.config';

export const EXECUTION_PROVIDER = Symbol('EXECUTION_PROVIDER');
export const WORKER_KAFKA = Symbol('WORKER_KAFKA');

export interface WorkerStatus {
  workerId: string;
  hardware: string;
  region: string;
  /** The pool served, or null when the worker stays out of it. */
  pool: string | null;
  executionProvider: string;
  reason?: string;
  inFlight: number;
  queueDepth: number;
  rssBytes: number;
  modelMemoryBytes: number;
  modelMemoryBudgetBytes: number;
  models: ReturnType<ModelHost['states']>;
}

/**
 * One worker: follows the lifecycle topic to know which versions to host, serves its pool's
 * stream, and beats. A GPU worker whose CUDA provider does not work stays out of the GPU pool
 * (unless told to fall back to the CPU), and its health says why.
 */
@Injectable()
export class WorkerRuntime implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(WorkerRuntime.name);
  readonly host: ModelHost;
  private readonly metrics: WorkerMetrics;
  readonly pool: string | null;
  private readonly redis: Redis;
  private readonly lifecycle: EventConsumer<ModelLifecycleEvent>;
  /** Lifecycle state and operators' load/unload commands, merged into what the host serves. */
  private readonly plan: ServingPlan;
  private commands?: ModelCommandsListener;
  private server?: PoolStreamServer;
  private heartbeat?: HeartbeatPublisher;
  private reader?: Redis;
  private joined = false;
  private joinError?: string;
  private stopping = false;
  /** The worker's own service identity at the built-in issuer: how it fetches artifacts. */
  private readonly serviceToken: ClientCredentialsTokenSource;

  constructor(
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    @Inject(EXECUTION_PROVIDER) private readonly provider: ExecutionProviderReport,
    @Inject(WORKER_KAFKA) private readonly kafka: Kafka,
    appMetrics: AppMetrics,
  ) {
    this.serviceToken = new ClientCredentialsTokenSource({ tokenUrl: config.auth.tokenUrl, ...config.client, scope: SCOPES.artifactsRead });
    const joins = provider.hardwareAvailable || config.gpu.allowCpuFallback;
    this.pool = joins ? poolName(config.hardware, config.region) : null;
    const cache = new ArtifactCache(config.modelCacheDir, config.registryUrl, () => this.serviceToken.get());
    // Read at scrape time: `this.host` exists by the first scrape.
    this.metrics = new WorkerMetrics(
      appMetrics,
      this.pool ?? 'none',
      () => this.host.states(),
      () => this.host.memoryBudgetBytes,
    );
    // GPU gauges only where a GPU answered the probe: without one, nvidia-smi is never run.
    if (config.hardware === 'gpu' && provider.hardwareAvailable) new GpuMetrics(appMetrics);
    this.host = new ModelHost(cache, provider, config.intraOpThreads, {
      metrics: this.metrics,
      signatures: new ArtifactSignatures(config.registryUrl, () => this.serviceToken.get()),
      ...config.execution,
      memoryBudgetBytes: modelMemoryBudget(config.execution.memoryBudgetBytes, provider, config.gpu, config.execution.defaultMemoryBudgetBytes),
    });
    this.plan = new ServingPlan(this.host, config.region);
    this.redis = createRedis(config.redis, config.workerId);
    this.lifecycle = new EventConsumer({
      kafka,
      // Each worker reads every model's state, so each is its own group, replaying from the start.
      groupId: `${config.prefix}-worker-${config.workerId}`,
      topic: modelLifecycleTopic(config.prefix),
      schema: ModelLifecycleEventSchema,
      fromBeginning: true,
      commitOffsets: false,
      trackReplay: true,
      handle: async (events) => {
        for (const { value } of events) {
          await this.plan.setLifecycle(value.tenantId, value.model, lifecycleVersions(value), value.type === 'model.deleted', value.regions);
        }
      },
    });
  }

  async onModuleInit(): Promise<void> {
    if (!this.pool) {
      this.logger.error(
        { hardware: this.config.hardware, reason: this.provider.reason },
        `NOT joining the ${this.config.hardware} pool: ${this.provider.reason}. ` + 'Set FALAJ_GPU_ALLOW_CPU_FALLBACK=true to serve it on the CPU instead.',
      );
      return;
    }
    if (!this.provider.hardwareAvailable) {
      this.logger.warn({ reason: this.provider.reason }, `serving the ${this.pool} pool on the CPU (fallback allowed)`);
    }
    // The registry creates the topic too; whoever boots first must not find it missing.
    const topics = platformTopics(this.config.prefix);
    await ensureTopics(this.kafka, [topics.lifecycle, topics.commands]);
    await this.lifecycle.start();
    this.commands = new ModelCommandsListener({ kafka: this.kafka, prefix: this.config.prefix, workerId: this.config.workerId, pool: this.pool, plan: this.plan });
    await this.commands.start();
    // In the background: the worker's health is served meanwhile, and says it is not ready yet.
    void this.joinWhenLoaded(this.pool).catch((error: Error) => {
      this.joinError = error.message;
      this.logger.error({ error: error.message }, 'could not join the pool');
    });
  }

  /**
   * Joins the pool's consumer group only once the versions it is told to serve are loaded and
   * warmed: the lifecycle and the operators' commands replayed to where they ended at start, and
   * every load they asked for settled. Before that the worker reads no request, takes no batch
   * chunk and sends no heartbeat, so nothing is sent its way that it would answer 503.
   */
  private async joinWhenLoaded(pool: string): Promise<void> {
    const started = performance.now();
    await Promise.all([this.lifecycle.replayed(), this.commands!.replayed()]);
    await this.plan.settled();
    if (this.stopping) return;
    this.reader = createRedis(this.config.redis, `${this.config.workerId}:reader`);
    this.server = new PoolStreamServer(this.reader, this.redis, this.host, {
      prefix: this.config.prefix,
      pool,
      workerId: this.config.workerId,
      concurrency: this.config.concurrency,
      readCount: this.config.readCount,
      maxReplyBytes: this.config.maxReplyBytes,
      metrics: this.metrics,
      lease: { endpoint: this.config.redis, ttlMs: this.config.leaseMs },
      runLedgerFile: this.config.runLedgerFile,
    });
    await this.server.start();
    this.heartbeat = new HeartbeatPublisher(this.redis, this.config.prefix, () => ({
      workerId: this.config.workerId,
      pool,
      region: this.config.region,
      hardware: this.config.hardware,
      executionProvider: this.provider.name,
      models: this.host.states(),
      inFlight: this.server?.busy ?? 0,
      queueDepth: this.host.queueDepth,
      rssBytes: process.memoryUsage.rss(),
      modelMemoryBytes: this.host.memoryBytes,
      modelMemoryBudgetBytes: this.host.memoryBudgetBytes,
    }));
    this.heartbeat.start();
    this.joined = true;
    const states = this.host.states();
    this.logger.log({ pool, versions: states.length, ready: states.filter((m) => m.state === 'ready').length, waitedMs: Math.round(performance.now() - started) }, 'versions loaded: joined the pool');
  }

  /** For readiness: Redis answers (the pool stream, the heartbeats, the replies). */
  async ping(): Promise<void> {
    await this.redis.ping();
  }

  /** For readiness: in the pool and reading it, or why not yet. */
  joinState(): { joined: boolean; reason?: string } {
    if (this.joined) return { joined: true };
    if (this.joinError) return { joined: false, reason: `could not join the pool: ${this.joinError}` };
    const replaying = this.lifecycle.replaying().length > 0;
    const loading = this.host.states().filter((m) => m.state === 'loading').length;
    return { joined: false, reason: replaying ? 'reading the model lifecycle before joining the pool' : `loading ${loading} version(s) before joining the pool` };
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await this.heartbeat?.stop();
    await this.server?.stop();
    // Each consumer's leave waits for its fetch in flight: the two wait together.
    await Promise.all([this.lifecycle.stop(), this.commands?.stop()]);
    await this.host.close();
    await this.reader?.quit().catch(() => undefined);
    await this.redis.quit().catch(() => undefined);
  }

  status(): WorkerStatus {
    return {
      workerId: this.config.workerId,
      hardware: this.config.hardware,
      region: this.config.region,
      pool: this.pool,
      executionProvider: this.provider.name,
      ...(this.provider.reason ? { reason: this.provider.reason } : {}),
      inFlight: this.server?.busy ?? 0,
      queueDepth: this.host.queueDepth,
      rssBytes: process.memoryUsage.rss(),
      modelMemoryBytes: this.host.memoryBytes,
      modelMemoryBudgetBytes: this.host.memoryBudgetBytes,
      models: this.host.states(),
    };
  }

  /** A short-lived token of the worker's own, to fetch artifacts from the registry. */
}
