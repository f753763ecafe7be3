import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { WorkerHeartbeatSchema, poolWorkersKey, workerHeartbeatKey } from '@falaj/contracts';
import { KAFKA_USERS, applyKafkaAcls, kafkaAclPolicy, removeKafkaAcls } from '@falaj/messaging';
import { AppProcess, LocalIssuer, TEST_KAFKA, eventually, freePort, testKafka, testKafkaEnv } from '@falaj/testing';

/**
 * The built gpu-worker on this machine, which has no GPU: real onnxruntime (its CUDA provider
 * fails to load), real Redis and Kafka. Run after `npm run build`.
 */
const REDIS_URL = process.env.FALAJ_REDIS_URL ?? 'redis://127.0.0.1:6379';
jest.setTimeout(90_000);

describe('gpu-worker without a GPU', () => {
  const prefix = `falajtest-${randomBytes(4).toString('hex')}`;
  const workDir = mkdtempSync(join(tmpdir(), 'falaj-gpu-'));
  const redis = new Redis(REDIS_URL);
  const apps: AppProcess[] = [];
  // Stands in for the built-in issuer: the status route wants an operator's token.
  const issuer = new LocalIssuer();
  const operatorToken = () => issuer.sign({ sub: 'operator', tenant: '_platform', scope: 'workers:read' });
  const status = async (url: string) => (await (await fetch(`${url}/health/status`, { headers: { authorization: `Bearer ${await operatorToken()}` } })).json()) as Record<string, unknown>;

  // The worker speaks to Kafka as the platform's workers do: its own SCRAM user, this run's ACLs.
  const acls = kafkaAclPolicy(prefix);
  const withAdmin = async (act: (admin: ReturnType<ReturnType<typeof testKafka>['admin']>) => Promise<unknown>) => {
    const admin = testKafka('gpu-worker-spec').admin();
    await admin.connect();
    try {
      await act(admin);
    } finally {
      await admin.disconnect();
    }
  };

  beforeAll(async () => {
    await issuer.start();
    if (TEST_KAFKA.security === 'sasl_ssl') await withAdmin((admin) => applyKafkaAcls(admin, acls));
  });

  const start = async (name: string, env: NodeJS.ProcessEnv) => {
    const port = await freePort();
    const app = new AppProcess(
      name,
      'gpu-worker',
      {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        FALAJ_PREFIX: prefix,
        FALAJ_ISSUER_URL: issuer.url,
        FALAJ_CLIENT_ID: `e2e-${name}`,
        FALAJ_CLIENT_SECRET: randomBytes(32).toString('base64url'),
        ...testKafkaEnv(KAFKA_USERS.worker),
        FALAJ_REDIS_URL: REDIS_URL,
        FALAJ_WORKER_PORT: String(port),
        FALAJ_WORKER_ID: name,
        FALAJ_REGISTRY_URL: 'http://127.0.0.1:1',
        FALAJ_MODEL_CACHE_DIR: join(workDir, name),
        FALAJ_PLAINTEXT: 'true',
        ...env,
      },
      join(workDir, 'logs'),
      `http://127.0.0.1:${port}/health/live`,
    );
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
    await withAdmin(async (admin) => {
      const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${prefix}.`));
      if (topics.length) await admin.deleteTopics({ topics });
      if (TEST_KAFKA.security === 'sasl_ssl') await removeKafkaAcls(admin, acls);
    });
    rmSync(workDir, { recursive: true, force: true });
    await issuer.stop();
  });

  it('refuses to join the GPU pool, loudly, and says why on its health', async () => {
    const worker = await start('gpu-refuses', {});
    const ready = await fetch(`${worker.url}/health/ready`);
    expect(ready.status).toBe(503);
    expect((await fetch(`${worker.url}/health/status`)).status).toBe(401);
    const report = await status(worker.url);
    expect(report).toMatchObject({ pool: null, hardware: 'gpu', executionProvider: 'cpu' });
    expect(String(report.reason)).toMatch(/CUDA execution provider unavailable/);
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
