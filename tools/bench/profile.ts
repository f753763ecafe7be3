import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, FalajSuite, trustTestCa } from '@falaj/testing';
import { BENCH_MODELS, jsonBody } from './bench-models';
import { load } from './http-load';

/**
 * `npm run bench:profile`: the gateway and the cpu-worker under `node --cpu-prof` while the tiny
 * MLP and the mid CNN take REST JSON load at c=64 (batching on), then where their CPU time went,
 * by function and by package. The .cpuprofile files stay for Chrome DevTools / speedscope.
 */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** V8 stamps samples with the monotonic clock in µs, the same clock as process.hrtime in every process. */
const nowMicros = () => Number(process.hrtime.bigint() / 1000n);

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'falaj-prof-'));
  const prof = (name: string) => ['--cpu-prof', `--cpu-prof-dir=${join(dir, name)}`];
  const suite = new FalajSuite();
  const seconds = Number(process.env.FALAJ_BENCH_SECONDS ?? 6);
  const windows: { label: string; from: number; to: number }[] = [];
  try {
    trustTestCa();
    await suite.start({
      env: { 'cpu-worker': { FALAJ_INTRA_OP_THREADS: '1' } },
      nodeArgs: { gateway: prof('gateway'), 'cpu-worker': prof('cpu-worker') },
    });
    const admin = await suite.platformAdminToken();
    await suite.call('POST', '/admin/tenants', admin, { id: 'prof', name: 'Profile', residency: 'ae' });
    const token = await suite.token({ tenantId: 'prof', subject: 'p', scopes: ['infer', 'models:write'] });
    for (const model of BENCH_MODELS.slice(0, 2)) {
      await suite.call('POST', '/admin/models', token, { name: model.name });
      await suite.call('POST', `/admin/models/${model.name}/versions`, token, readFileSync(model.path), { 'content-type': 'application/octet-stream' });
      await suite.call('POST', `/admin/models/${model.name}/versions/1/stage`, token, { stage: 'production' });
      await eventually(`${model.name} ready`, async () => ((await suite.call('GET', `/v2/models/${model.name}/ready`, token)).status === 200 ? true : undefined), 120_000);
      for (const c of [1, 64]) {
        const from = nowMicros();
        const r = await load(`${suite.gatewayUrl}/v2/models/${model.name}/infer`, c, seconds, jsonBody(model), {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
        });
        windows.push({ label: `${model.name} c=${c} JSON`, from, to: nowMicros() });
        process.stdout.write(`${model.name} c=${c} JSON: ${r.throughput.toFixed(0)} req/s, p50 ${r.p50.toFixed(2)} ms\n`);
      }
    }
  } finally {
    await suite.stop();
  }
  for (const app of ['gateway', 'cpu-worker']) {
    const file = readdirSync(join(dir, app)).find((f) => f.endsWith('.cpuprofile'));
    if (!file) continue;
    const profile = JSON.parse(readFileSync(join(dir, app, file), 'utf8')) as CpuProfile;
    for (const w of windows) {
      process.stdout.write(`\n== ${app} during ${w.label}: ${join(dir, app, file)}\n${summarize(profile, w.from, w.to)}\n`);
    }
  }
}

/** Self time by function and by package, heaviest first. */
function summarize(profile: CpuProfile, from: number, to: number): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i] ?? 0;
    if (at >= from && at <= to) self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const fn = new Map<string, number>();
  const pkg = new Map<string, number>();
  for (const [id, us] of self) {
    const { functionName, url, lineNumber } = byId.get(id)?.callFrame ?? { functionName: '?', url: '', lineNumber: 0 };
    const where = url.replace(/^file:\/\//, '');
    fn.set(
      `${functionName || '(anonymous)'} ${where.split('/').slice(-2).join('/')}:${lineNumber + 1}`,
      (fn.get(`${functionName || '(anonymous)'} ${where.split('/').slice(-2).join('/')}:${lineNumber + 1}`) ?? 0) + us,
    );
    const m = where.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
    const group = m
      ? m[1]
      : where.includes('/dist/')
        ? `falaj ${where.split('/dist/')[1]?.split('/').slice(0, 2).join('/')}`
        : where.startsWith('node:')
          ? 'node core'
          : functionName.startsWith('(')
            ? functionName
            : 'native/V8';
    pkg.set(group, (pkg.get(group) ?? 0) + us);
  }
  const top = (m: Map<string, number>, n: number) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, us]) => `  ${((us / total) * 100).toFixed(1).padStart(5)} %  ${k}`)
      .join('\n');
  return `by package:\n${top(pkg, 15)}\nby function:\n${top(fn, 25)}`;
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    process.stderr.write(`profile failed: ${error.stack ?? error.message}\n`);
    process.exit(1);
  },
);
