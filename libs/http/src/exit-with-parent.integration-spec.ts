import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { KAFKA_USERS, applyKafkaAcls, kafkaAclPolicy, removeKafkaAcls } from '@falaj/messaging';
import { TEST_KAFKA, eventually, freePort, repoRoot, testKafka, testKafkaEnv } from '@falaj/testing';

/**
 * The harness's apps do not outlive it: a router started with FALAJ_EXIT_WITH_PARENT by a process
 * that is then SIGKILLed (no chance to stop its children) shuts itself down. Run after `npm run build`.
 */
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('apps started by the test harness', () => {
  it('shut down by themselves when the process that started them is killed', async () => {
    const port = await freePort();
    const prefix = `falajtest-${randomBytes(4).toString('hex')}`;
    // The router as the platform runs it: its own Kafka login, this run's ACLs.
    const acls = kafkaAclPolicy(prefix);
    const admin = testKafka('exit-with-parent').admin();
    await admin.connect();
    if (TEST_KAFKA.security === 'sasl_ssl') await applyKafkaAcls(admin, acls);
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      FALAJ_PREFIX: prefix,
      FALAJ_JWT_SECRET: randomBytes(32).toString('hex'),
      ...testKafkaEnv(KAFKA_USERS.router),
      FALAJ_REDIS_URL: process.env.FALAJ_REDIS_URL ?? 'redis://127.0.0.1:6379',
      FALAJ_ROUTER_PORT: String(port),
      FALAJ_EXIT_WITH_PARENT: 'true',
      FALAJ_PLAINTEXT: 'true',
    };
    // The "harness": starts the router, prints its pid, and waits to be killed.
    const main = join(repoRoot(), 'dist/apps/router/src/main.js');
    const harness = spawn(
      process.execPath,
      [
        '-e',
        `
      const child = require('node:child_process').spawn(process.execPath, [${JSON.stringify(main)}], { env: ${JSON.stringify(env)}, stdio: 'ignore' });
      console.log(child.pid);
      setInterval(() => {}, 1000);
    `,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const routerPid = await new Promise<number>((resolve) => harness.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim()))));
    try {
      await eventually('router up', async () => ((await fetch(`http://127.0.0.1:${port}/health/live`).catch(() => null))?.ok ? true : undefined), 60_000);
      harness.kill('SIGKILL');
      await eventually('router gone', async () => (alive(routerPid) ? undefined : true), 20_000, 200);
    } finally {
      if (alive(routerPid)) process.kill(routerPid, 'SIGKILL');
      const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${prefix}.`));
      if (topics.length > 0) await admin.deleteTopics({ topics });
      if (TEST_KAFKA.security === 'sasl_ssl') await removeKafkaAcls(admin, acls);
      await admin.disconnect();
    }
  }, 90_000);
});
