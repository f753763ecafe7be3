import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { eventually, FalajSuite, repoRoot, trustTestCa } from '@falaj/testing';
import { BENCH_MODELS, jsonBody } from './bench-models';
import { load, type LoadResult } from './http-load';

/**
 * `npm run bench:tls`: what TLS costs on the hot path. The five apps start twice, with TLS on
 * every listener (as deployed, HTTP/1.1 keep-alive connections as autocannon makes them) and with
 * FALAJ_PLAINTEXT=true, and tiny-mlp's REST JSON inference is loaded at c=1 and c=64 for
 * FALAJ_BENCH_SECONDS (4) each. Prints p50 and req/s side by side.
 */
const SECONDS = Number(process.env.FALAJ_BENCH_SECONDS ?? 4);
const MODEL = BENCH_MODELS.find((m) => m.name === 'tiny-mlp')!;

async function measure(tls: boolean): Promise<Record<number, LoadResult>> {
  const suite = new FalajSuite();
  try {
    await suite.start({ tls });
    const admin = await suite.platformAdminToken();
    await suite.call('POST', '/admin/tenants', admin, { id: 'bench', name: 'Benchmark', residency: 'ae' });
    const token = await suite.token({ tenantId: 'bench', scopes: ['infer', 'models:read', 'models:write'] });
    await suite.call('POST', '/admin/models', token, { name: MODEL.name });
    await suite.call('POST', `/admin/models/${MODEL.name}/versions`, token, readFileSync(MODEL.path), { 'content-type': 'application/octet-stream' });
    await suite.call('POST', `/admin/models/${MODEL.name}/versions/1/stage`, token, { stage: 'production' });
    await eventually('model ready', async () => ((await suite.call('GET', `/v2/models/${MODEL.name}/ready`, token)).status === 200 ? true : undefined), 120_000, 200);
    const url = `${suite.gatewayUrl}/v2/models/${MODEL.name}/infer`;
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    await load(url, 8, 1, jsonBody(MODEL), headers); // warm-up
    const results: Record<number, LoadResult> = {};
    for (const c of [1, 64]) results[c] = await load(url, c, SECONDS, jsonBody(MODEL), headers);
    return results;
  } finally {
    await suite.stop();
  }
}

async function main(): Promise<void> {
  if (spawnSync('bash', ['scripts/infra.sh', 'up'], { cwd: repoRoot(), stdio: ['ignore', 'ignore', 'inherit'] }).status !== 0) throw new Error('scripts/infra.sh up failed');
  trustTestCa();
  const on = await measure(true);
  const off = await measure(false);
  const row = (label: string, r: Record<number, LoadResult>) =>
    `| ${label} | ${r[1].p50.toFixed(2)} ms | ${r[1].throughput.toFixed(0)} | ${r[64].p50.toFixed(2)} ms | ${r[64].throughput.toFixed(0)} | ${r[1].errors + r[64].errors + r[1].non2xx + r[64].non2xx} |`;
  process.stdout.write(
    [
      `tiny-mlp, REST JSON, ${SECONDS} s per cell`,
      '| transport | p50 c=1 | req/s c=1 | p50 c=64 | req/s c=64 | errors |',
      '|---|---|---|---|---|---|',
      row('TLS 1.3', on),
      row('plain HTTP', off),
      '',
    ].join('\n'),
  );
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench:tls failed: ${String((error as Error).stack ?? error)}\n`);
    process.exit(1);
  },
);
