import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { WorkerHeartbeatSchema, poolWorkersKey, workerHeartbeatKey } from '@falaj/contracts';
import { AppProcess, eventually, freePort } from '@falaj/testing';

/**
 * The built gpu-worker on this machine, which has no GPU: real onnxruntime (its CUDA provider
 * fails to load), real Redis and Kafka. Run after `npm run build`.
 */
const REDIS_URL = process.env.FALAJ_REDIS_URL ?? 'redis://127.0.0.1:6379';
const KAFKA_BROKERS = process.env.FALAJ_KAFKA_BROKERS ?? '127.0.0.1:9092';
jest.setTimeout(90_000);

describe('gpu-worker without a GPU', () => {
  const prefix = `falajtest-${randomBytes(4).toString('hex')}`;
  const workDir = mkdtempSync(join(tmpdir(), 'falaj-gpu-'));
  const redis = new Redis(REDIS_URL);
  const apps: AppProcess[] = [];

  const start = async (name: string, env: NodeJS.ProcessEnv) => {
    const port = await freePort();
    const app = new AppProcess(name, 'gpu-worker', {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      FALAJ_PREFIX: prefix,
      FALAJ_JWT_SECRET: randomBytes(32).toString('hex'),
      FALAJ_KAFKA_BROKERS: KAFKA_BROKERS,
      FALAJ_REDIS_URL: REDIS_URL,
      FALAJ_WORKER_PORT: String(port),
      FALAJ_WORKER_ID: name,
      FALAJ_REGISTRY_URL: 'http://127.0.0.1:1',
      FALAJ_MODEL_CACHE_DIR: join(workDir, name),
      ...env,
    }, join(workDir, 'logs'), `http://127.0.0.1:${port}/health/live`);
    apps.push(app);
    app.start();
    await app.waitHealthy();
    return { url: `http://127.0.0.1:${port}`, log: () => readFileSync(join(workDir, 'logs', `${name}.log`), 'utf8') };
  };
  const members = () => redis.zrange(poolWorkersKey(prefix, 'gpu.ae'), 0, -1);

  afterAll(async () => {
    await Promise.all(apps.map((a) => a.stop()));
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    const admin = new Kafka({ brokers: KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${prefix}.`));
    if (topics.length) await admin.deleteTopics({ topics });
    await admin.disconnect();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('refuses to join the GPU pool, loudly, and says why on its health', async () => {
    const worker = await start('gpu-refuses', {});
    const ready = await fetch(`${worker.url}/health/ready`);
    expect(ready.status).toBe(503);
    const status = (await (await fetch(`${worker.url}/health/status`)).json()) as Record<string, unknown>;
    expect(status).toMatchObject({ pool: null, hardware: 'gpu', executionProvider: 'cpu' });
    expect(String(status.reason)).toMatch(/CUDA execution provider unavailable/);
    expect(worker.log()).toMatch(/NOT joining the gpu pool: CUDA execution provider unavailable/);
    expect(worker.log()).toMatch(/FALAJ_GPU_ALLOW_CPU_FALLBACK=true/);
    // A worker that beats would be in the pool within a second; give it three.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(await members()).not.toContain('gpu-refuses');
    expect(await redis.exists(workerHeartbeatKey(prefix, 'gpu-refuses'))).toBe(0);
  });

  it('serves the GPU pool on the CPU when the fallback is allowed, and its heartbeat says cpu', async () => {
    const worker = await start('gpu-falls-back', { FALAJ_GPU_ALLOW_CPU_FALLBACK: 'true' });
    await eventually('fallback worker ready', async () => ((await fetch(`${worker.url}/health/ready`)).ok ? true : undefined));
    await eventually('fallback worker in the gpu pool', async () => ((await members()).includes('gpu-falls-back') ? true : undefined));
    const beat = WorkerHeartbeatSchema.parse(JSON.parse((await redis.get(workerHeartbeatKey(prefix, 'gpu-falls-back'))) as string));
    expect(beat).toMatchObject({ pool: 'gpu.ae', hardware: 'gpu', executionProvider: 'cpu', region: 'ae', queueDepth: 0 });
    expect(beat.rssBytes).toBeGreaterThan(10_000_000);
    expect(worker.log()).toMatch(/serving the gpu.ae pool on the CPU \(fallback allowed\)/);
  });
});
