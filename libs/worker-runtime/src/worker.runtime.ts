import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type Redis from 'ioredis';
import type { Kafka } from 'kafkajs';
import { SCOPES, TokenService } from '@falaj/auth';
import { ModelLifecycleEventSchema, modelLifecycleTopic, platformTopics, poolName, type ModelLifecycleEvent } from '@falaj/contracts';
import { EventConsumer, createRedis, ensureTopics } from '@falaj/messaging';
import { ArtifactCache } from './artifact-cache';
import { BatchChunkProcessor } from './batch-chunk.processor';
import { modelMemoryBudget, type ExecutionProviderReport } from './execution-provider';
import { HeartbeatPublisher } from './heartbeat.publisher';
import { ModelHost } from './model-host';
import { ModelCommandsListener, ServingPlan, lifecycleVersions } from './model-commands.listener';
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
  readonly pool: string | null;
  private readonly redis: Redis;
  private readonly lifecycle: EventConsumer<ModelLifecycleEvent>;
  /** Lifecycle state and operators' load/unload commands, merged into what the host serves. */
  private readonly plan: ServingPlan;
  private commands?: ModelCommandsListener;
  private server?: PoolStreamServer;
  private batch?: BatchChunkProcessor;
  private heartbeat?: HeartbeatPublisher;
  private reader?: Redis;
  private token?: { value: string; expires: number };

  constructor(
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    @Inject(EXECUTION_PROVIDER) private readonly provider: ExecutionProviderReport,
    @Inject(WORKER_KAFKA) private readonly kafka: Kafka,
    private readonly tokens: TokenService,
  ) {
    const joins = provider.hardwareAvailable || config.gpu.allowCpuFallback;
    this.pool = joins ? poolName(config.hardware, config.region) : null;
    const cache = new ArtifactCache(config.modelCacheDir, config.registryUrl, () => this.serviceToken());
    this.host = new ModelHost(cache, provider, config.intraOpThreads, {
      ...config.execution,
      memoryBudgetBytes: modelMemoryBudget(config.execution.memoryBudgetBytes, provider, config.gpu),
    });
    this.plan = new ServingPlan(this.host);
    this.redis = createRedis(config.redisUrl, config.workerId);
    this.lifecycle = new EventConsumer({
      kafka,
      // Each worker reads every model's state, so each is its own group, replaying from the start.
      groupId: `${config.prefix}-worker-${config.workerId}`,
      topic: modelLifecycleTopic(config.prefix),
      schema: ModelLifecycleEventSchema,
      fromBeginning: true,
      commitOffsets: false,
      handle: async (events) => {
        for (const { value } of events) {
          await this.plan.setLifecycle(value.tenantId, value.model, lifecycleVersions(value), value.type === 'model.deleted');
        }
      },
    });
  }

  async onModuleInit(): Promise<void> {
    if (!this.pool) {
      this.logger.error(
        { hardware: this.config.hardware, reason: this.provider.reason },
        `NOT joining the ${this.config.hardware} pool: ${this.provider.reason}. ` +
          'Set FALAJ_GPU_ALLOW_CPU_FALLBACK=true to serve it on the CPU instead.',
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
    this.reader = createRedis(this.config.redisUrl, `${this.config.workerId}:reader`);
    this.server = new PoolStreamServer(this.reader, this.redis, this.host, {
      prefix: this.config.prefix,
      pool: this.pool,
      workerId: this.config.workerId,
      concurrency: this.config.concurrency,
      readCount: this.config.readCount,
    });
    await this.server.start();
    this.batch = new BatchChunkProcessor(this.host, {
      redisUrl: this.config.redisUrl,
      prefix: this.config.prefix,
      pool: this.pool,
      workerId: this.config.workerId,
      ...this.config.batch,
    });
    this.batch.start();
    const pool = this.pool;
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
  }

  async onApplicationShutdown(): Promise<void> {
    await this.heartbeat?.stop();
    await this.batch?.stop();
    await this.server?.stop();
    await this.lifecycle.stop();
    await this.commands?.stop();
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
  private async serviceToken(): Promise<string> {
    if (this.token && this.token.expires > Date.now() + 60_000) return this.token.value;
    const value = await this.tokens.sign(
      { subject: `service:${this.config.workerId}`, tenantId: '_platform', scopes: [SCOPES.artifactsRead] },
      600,
    );
    this.token = { value, expires: Date.now() + 600_000 };
    return value;
  }
}
