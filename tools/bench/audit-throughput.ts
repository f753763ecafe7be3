import { cpus, loadavg } from 'node:os';
import { KAFKA_USERS } from '@falaj/messaging';
import { auditEventOf, auditTopic, regionAuditTopic } from '@falaj/contracts';
import { FalajSuite, testKafka, trustTestCa } from '@falaj/testing';

/** Events a run sends, and how many go in one produce request (as the gateway's sink batches them). */
const EVENTS = Number(process.env.FALAJ_BENCH_AUDIT_EVENTS ?? 50_000);
const PER_SEND = 500;

interface Result {
  layout: string;
  events: number;
  seconds: number;
  rowsPerSecond: number;
}

/**
 * Audit rows written end to end: events produced onto the audit topics as the gateway's own
 * Kafka user sends them (acks=all, 500 a request), drained by the registry's audit writer into
 * Postgres, timed from the first send until the last row is in its store. Once with every region
 * in the catalog, once with `ae` and `eu` in stores of their own (FALAJ_REGION_STORES), events
 * split evenly between them on their regions' own topics.
 */
async function run(layout: 'catalog' | 'two region stores'): Promise<Result> {
  const suite = new FalajSuite();
  const regional = layout !== 'catalog';
  await suite.start({ regionStores: regional ? ['ae', 'eu'] : undefined });
  try {
    const kafka = testKafka('bench-audit', KAFKA_USERS.gateway);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const regions = ['ae', 'eu'] as const;
    const topicOf = (region: string) => (regional ? regionAuditTopic(suite.prefix, region) : auditTopic(suite.prefix));
    const started = performance.now();
    for (let sent = 0; sent < EVENTS; sent += PER_SEND) {
      const byTopic = new Map<string, { key: string; value: string; headers: Record<string, string> }[]>();
      for (let i = sent; i < Math.min(EVENTS, sent + PER_SEND); i++) {
        const region = regions[i % 2];
        const event = auditEventOf({
          requestId: `bench-${i}`,
          tenantId: 'acme',
          subject: 'svc',
          residency: region,
          model: 'm',
          version: 1,
          pool: `cpu.${region}`,
          protocol: 'rest',
          status: 200,
          error: null,
          latencyMs: 1,
        });
        const topic = topicOf(region);
        (byTopic.get(topic) ?? byTopic.set(topic, []).get(topic)!).push({ key: event.requestId, value: JSON.stringify(event), headers: { tenant: 'acme' } });
      }
      await producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
    }
    await producer.disconnect();
    const count = async (): Promise<number> => {
      const sql = `SELECT count(*)::int AS n FROM audit_log WHERE request_id LIKE 'bench-%'`;
      if (!regional) return (await suite.query<{ n: number }>(sql))[0].n;
      return (await Promise.all(regions.map((r) => suite.queryRegion<{ n: number }>(r, sql)))).reduce((n, rows) => n + rows[0].n, 0);
    };
    for (;;) {
      if ((await count()) >= EVENTS) break;
      if (performance.now() - started > 300_000) throw new Error(`audit rows not all written after 300 s (${await count()} of ${EVENTS})`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const seconds = (performance.now() - started) / 1000;
    return { layout, events: EVENTS, seconds, rowsPerSecond: EVENTS / seconds };
  } finally {
    await suite.stop();
  }
}

async function main(): Promise<void> {
  // The apps answer over TLS from the tests' CA (as the tests trust it).
  trustTestCa();
  const load1 = loadavg()[0];
  const results = [await run('catalog'), await run('two region stores')];
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, Node ${process.version}, load average ${load1.toFixed(2)} at start`;
  const rows = results.map((r) => `| ${r.layout} | ${r.events} | ${r.seconds.toFixed(1)} | ${Math.round(r.rowsPerSecond)} |`);
  process.stdout.write(
    `Audit rows written end to end — ${new Date().toISOString()} — ${machine}\n\n| layout | events | seconds (first send → last row) | rows/s |\n|---|---:|---:|---:|\n${rows.join('\n')}\n`,
  );
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    process.stderr.write(`bench:audit failed: ${error.stack ?? error.message}\n`);
    process.exit(1);
  },
);
