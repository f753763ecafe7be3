import { Worker } from 'node:worker_threads';
import { Logger } from '@nestjs/common';
import { redisConnectionOptions, type RedisEndpoint } from '@falaj/messaging';

// The thread's whole program, plain JavaScript evaluated by the Worker (as session-thread.ts):
// its own Redis connection, refreshing the lease on a timer of its own, so a long synchronous
// model run on the worker's JavaScript thread never lets the lease lapse; only the process's
// death (or Redis out of reach for the whole lease) does.
const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Redis = require(workerData.ioredis);
const { url, options, key, ttlMs, everyMs } = workerData;
const redis = new Redis(url, { ...options, maxRetriesPerRequest: 1, connectionName: workerData.name });
redis.on('error', () => undefined);
let held = false;
let failing = null;
const refresh = async () => {
  try {
    await redis.set(key, '1', 'PX', ttlMs);
    if (!held) parentPort.postMessage({ kind: 'held' });
    if (failing) parentPort.postMessage({ kind: 'recovered' });
    held = true;
    failing = null;
  } catch (error) {
    const message = String((error && error.message) || error);
    if (failing !== message) parentPort.postMessage({ kind: 'failing', error: message });
    failing = message;
  }
};
const timer = setInterval(refresh, everyMs);
void refresh();
parentPort.on('message', async (m) => {
  if (m.kind !== 'release') return;
  clearInterval(timer);
  await redis.del(key).catch(() => undefined);
  await redis.quit().catch(() => undefined);
  parentPort.postMessage({ kind: 'released' });
});
`;

/** The worker's liveness lease in its pool (workerLeaseKey), held by a thread of its own. */
export class WorkerLease {
  private readonly logger = new Logger(WorkerLease.name);

  private constructor(private readonly thread: Worker) {
    thread.on('message', (m: { kind: string; error?: string }) => {
      if (m.kind === 'failing') this.logger.warn({ error: m.error }, 'could not refresh the liveness lease: the pool may take this worker for dead');
      if (m.kind === 'recovered') this.logger.log('liveness lease refreshed again');
    });
    thread.on('error', (error) => this.logger.error({ error: error.message }, 'the lease thread failed'));
    thread.unref();
  }

  /** Starts refreshing and resolves once the lease is first written: only then may the worker join its pool. */
  static async hold(endpoint: RedisEndpoint, key: string, ttlMs: number, name: string): Promise<WorkerLease> {
    const thread = new Worker(THREAD_SOURCE, {
      eval: true,
      workerData: { ioredis: require.resolve('ioredis'), url: endpoint.url, options: redisConnectionOptions(endpoint), key, ttlMs, everyMs: Math.max(100, Math.floor(ttlMs / 4)), name },
    });
    await new Promise<void>((resolve, reject) => {
      const onMessage = (m: { kind: string }) => {
        if (m.kind !== 'held') return;
        thread.off('message', onMessage);
        resolve();
      };
      thread.on('message', onMessage);
      thread.once('error', reject);
    });
    return new WorkerLease(thread);
  }

  /** Deletes the lease (a clean stop: nothing is left to claim) and ends the thread. */
  async release(): Promise<void> {
    const released = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 2000);
      this.thread.on('message', (m: { kind: string }) => {
        if (m.kind === 'released') {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    this.thread.postMessage({ kind: 'release' });
    await released;
    await this.thread.terminate();
  }
}
