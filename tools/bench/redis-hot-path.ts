import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import Redis from 'ioredis';
import { POOL_STREAM_ENQUEUE_LUA, POOL_STREAM_REMOVE_LUA, encodeDispatchEntry, entryBytes } from '@falaj/contracts';
import { cpuMs } from './cpu-time';

/**
 * `npm run bench:redis-hot-path`: only the Redis traffic of one request, the old way and the new
 * way, A/B/A/B in one process so both see the same machine: a "gateway" enqueues and waits on its
 * reply stream, a "worker" takes the entry, replies and removes it, one request at a time (c=1)
 * or 64 in flight. Per request: CPU of this process (both sides' client work) and of
 * redis-server, and the round trip. Old: XADD MAXLEN ~ 100000; reply XADD MAXLEN ~ 10000 +
 * PEXPIRE, XACK + XDEL; XREAD then XDEL apart. New: the budget's enqueue script; reply XADD
 * NOMKSTREAM, the remove script; the XDEL pipelined with the next XREAD.
 */
const SECONDS = Number(process.env.FALAJ_BENCH_SECONDS ?? 2);
const ROUNDS = Number(process.env.FALAJ_BENCH_ROUNDS ?? 4);
const REDIS_URL = process.env.FALAJ_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** old, new, or one part new alone: enqueue, reply (the worker's XADD and remove), read (the gateway's XDEL with its next XREAD). */
type Mode = 'old' | 'new' | 'enqueue' | 'reply' | 'read';
const isNew = (mode: Mode, part: 'enqueue' | 'reply' | 'read') => mode === 'new' || mode === part;
type Entry = [Buffer, Buffer[]];

async function cell(mode: Mode, concurrency: number): Promise<{ rps: number; p50: number; cpu: number; redisCpu: number }> {
  const prefix = `falajbench-${randomBytes(3).toString('hex')}`;
  const pool = `${prefix}:pool`,
    bytesKey = `${pool}:bytes`,
    replies = `${prefix}:replies`,
    group = 'g';
  const gateway = new Redis(REDIS_URL, { enableAutoPipelining: true });
  const gatewayReader = new Redis(REDIS_URL);
  const worker = new Redis(REDIS_URL);
  const workerReader = new Redis(REDIS_URL);
  for (const r of [gateway, worker]) {
    r.defineCommand('enqueue', { numberOfKeys: 2, lua: POOL_STREAM_ENQUEUE_LUA });
    r.defineCommand('remove', { numberOfKeys: 2, lua: POOL_STREAM_REMOVE_LUA });
  }
  await worker.xgroup('CREATE', pool, group, '0', 'MKSTREAM');
  await gateway.xadd(replies, 'MAXLEN', '0', '*', 'open', '1');
  const waiting = new Map<string, () => void>();
  let running = true;
  const workerLoop = (async () => {
    while (running) {
      const got = (await workerReader.callBuffer('XREADGROUP', 'GROUP', group, 'w', 'COUNT', 64, 'BLOCK', 200, 'STREAMS', pool, '>')) as [Buffer, Entry[]][] | null;
      if (!got) continue;
      const entries = got[0][1];
      const p = worker.pipeline();
      for (const [id, fields] of entries) {
        const reply = Buffer.concat([fields[1].subarray(0, 40), Buffer.alloc(12)]);
        if (!isNew(mode, 'reply')) p.xadd(replies, 'MAXLEN', '~', 10000, '*', 'r', id).pexpire(replies, 600_000);
        else p.xadd(replies, 'NOMKSTREAM', '*', 'r', id);
        void reply;
      }
      if (!isNew(mode, 'reply')) p.xack(pool, group, ...entries.map(([id]) => id)).xdel(pool, ...entries.map(([id]) => id));
      else (p as unknown as { remove(...a: unknown[]): void }).remove(pool, bytesKey, group, ...entries.flatMap(([id, f]) => [id, entryBytes(f)]));
      await p.exec();
    }
  })();
  const readerLoop = (async () => {
    let lastId = '0-0';
    let read: Buffer[] = [];
    while (running) {
      const args = ['COUNT', 16, 'BLOCK', 200, 'STREAMS', replies, lastId] as const;
      let got: [Buffer, Entry[]][] | null;
      if (isNew(mode, 'read') && read.length > 0)
        got = ((await gatewayReader
          .pipeline()
          .xdel(replies, ...read)
          .callBuffer('XREAD', ...args)
          .exec()) ?? [])[1]?.[1] as typeof got;
      else got = (await gatewayReader.callBuffer('XREAD', ...args)) as typeof got;
      read = [];
      if (!got) continue;
      for (const [id, fields] of got[0][1]) {
        read.push(id);
        lastId = id.toString();
        waiting.get(fields[1].toString())?.();
      }
      if (!isNew(mode, 'read')) void gateway.xdel(replies, ...read);
    }
  })();
  const redisPid = Number(execFileSync('pidof', ['redis-server']).toString().trim().split(' ')[0]);
  const latencies: number[] = [];
  const before = [cpuMs(process.pid), cpuMs(redisPid)];
  const started = performance.now();
  const end = started + SECONDS * 1000;
  const fields = encodeDispatchEntry({
    dispatchId: 'd',
    requestId: 'r',
    tenantId: 't',
    model: 'm',
    version: 1,
    replyTo: 'gw',
    deadline: Date.now() + 60_000,
    inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: Buffer.alloc(16) }],
    outputs: [],
  });
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        let ok: () => void = () => undefined;
        const answered = new Promise<void>((resolve) => (ok = resolve));
        const id = !isNew(mode, 'enqueue')
          ? await gateway.xadd(pool, 'MAXLEN', '~', 100000, '*', ...fields)
          : ((await (gateway as unknown as { enqueue(...a: unknown[]): Promise<unknown> }).enqueue(pool, bytesKey, 10000, 512 * 1024 * 1024, ...fields)) as string);
        waiting.set(String(id), ok);
        await answered;
        waiting.delete(String(id));
        latencies.push(performance.now() - t);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const after = [cpuMs(process.pid), cpuMs(redisPid)];
  running = false;
  await Promise.all([workerLoop, readerLoop]);
  await gateway.del(pool, bytesKey, replies);
  for (const r of [gateway, gatewayReader, worker, workerReader]) r.disconnect();
  latencies.sort((a, b) => a - b);
  const n = latencies.length;
  return { rps: n / elapsed, p50: latencies[Math.floor(n / 2)], cpu: (after[0] - before[0]) / n, redisCpu: (after[1] - before[1]) / n };
}

async function main(): Promise<void> {
  process.stdout.write(
    `load average ${loadavg()[0].toFixed(2)} at start\n| round | c | mode | req/s | p50 ms | CPU ms/req (clients) | CPU ms/req (redis-server) |\n|---:|---:|---|---:|---:|---:|---:|\n`,
  );
  for (let round = 1; round <= ROUNDS; round++) {
    for (const c of (process.env.FALAJ_BENCH_CONCURRENCY ?? '1,64').split(',').map(Number)) {
      for (const mode of (process.env.FALAJ_BENCH_MODES ?? 'old,new').split(',') as Mode[]) {
        const r = await cell(mode, c);
        process.stdout.write(`| ${round} | ${c} | ${mode} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(3)} | ${r.cpu.toFixed(4)} | ${r.redisCpu.toFixed(4)} |\n`);
      }
    }
  }
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    process.stderr.write(`${error.stack ?? error.message}\n`);
    process.exit(1);
  },
);
