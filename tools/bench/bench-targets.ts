import type { FindRow } from './bench-report';
import { ms, pct, rps } from './cell-format';

const verdict = (ok: boolean | undefined) => (ok === undefined ? 'NOT MEASURED' : ok ? 'MET' : 'MISSED');

/** Issue 15's targets, each judged from this run's rows: the served path against raw onnxruntime and the bare Fastify echo. */
export function benchTargets(find: FindRow, raw: Map<string, { batch: number; throughput: number; sessions: number; threads: number }>): string[] {
  const targets: string[] = [];
  const rawTiny = find('tiny-mlp', 'raw', 'off', 1);
  for (const path of ['rest-json', 'rest-binary'] as const) {
    for (const batching of ['on', 'off'] as const) {
      const g = find('tiny-mlp', path, batching, 1);
      const ok = g?.p50 !== undefined && rawTiny?.p50 !== undefined ? g.p50 <= rawTiny.p50 + 0.5 : undefined;
      targets.push(`- tiny MLP, c=1, ${path}, batching ${batching}: p50 ${ms(g?.p50)} ms vs raw p50 ${ms(rawTiny?.p50)} ms + 0.5 → **${verdict(ok)}**`);
    }
  }
  for (const c of [64, 1]) {
    const echo = find('fastify-echo', 'echo', '-', c);
    for (const path of ['rest-json', 'rest-binary'] as const) {
      const g = find('tiny-mlp', path, 'on', c);
      const share = g?.throughput !== undefined && echo?.throughput ? ` = ${pct(g.throughput / echo.throughput)}` : '';
      if (c === 64) {
        const ok = g?.throughput !== undefined && echo?.throughput ? g.throughput >= 0.5 * echo.throughput : undefined;
        targets.push(`- tiny MLP, c=64, ${path}, batching on: ${rps(g?.throughput)} req/s vs Fastify echo ${rps(echo?.throughput)} req/s${share} (≥ 50 %) → **${verdict(ok)}**`);
      } else {
        targets.push(`- (for reference) tiny MLP, c=1, ${path}, batching on: ${rps(g?.throughput)} req/s vs Fastify echo at c=1 ${rps(echo?.throughput)} req/s${share}`);
      }
      // The gateway's rows run over TLS when the bench does: the same echo over TLS says how much of the gap is TLS.
      const echoTls = find('fastify-echo', 'echo-tls', '-', c);
      if (echoTls?.throughput && g?.throughput !== undefined) {
        targets.push(
          `- (for reference) tiny MLP, c=${c}, ${path}, batching on: ${rps(g.throughput)} req/s vs Fastify echo over TLS at c=${c} ${rps(echoTls.throughput)} req/s = ${pct(g.throughput / echoTls.throughput)}`,
        );
      }
    }
  }
  const best = raw.get('ocr-cls');
  const shape = best ? `${best.sessions} session(s) × ${best.threads} thread(s), batch ${best.batch}` : '';
  for (const path of ['rest-binary', 'rest-json'] as const) {
    const g = find('ocr-cls', path, 'on', 64);
    const ok = g?.throughput !== undefined && best ? g.throughput >= 0.85 * best.throughput : undefined;
    const share = g?.throughput !== undefined && best ? ` = ${pct(g.throughput / best.throughput)}` : '';
    const note = path === 'rest-json' ? ' (JSON: for reference; the target is set for binary tensors)' : '';
    targets.push(`- mid CNN, c=64, ${path}, batching on: ${rps(g?.throughput)} req/s vs raw best batched ${rps(best?.throughput)} items/s (${shape})${share} (≥ 85 %) → **${verdict(ok)}**${note}`);
  }
  {
    const g = find('ocr-cls', 'stream', 'on', 64);
    const share = g?.throughput !== undefined && best ? pct(g.throughput / best.throughput) : '–';
    targets.push(
      `- (for comparison) mid CNN, c=64, straight into the stream (no HTTP, no decoding: the ceiling of the binary path), batching on: ${rps(g?.throughput)} req/s = ${share} of raw best batched`,
    );
  }
  for (const path of ['stream', 'rest-json', 'rest-binary'] as const) {
    const on = find('ocr-cls', path, 'on', 64);
    const off = find('ocr-cls', path, 'off', 64);
    const gain = on?.throughput !== undefined && off?.throughput ? on.throughput / off.throughput : undefined;
    targets.push(`- mid CNN, c=64, ${path}: batching on ${rps(on?.throughput)} vs off ${rps(off?.throughput)} req/s → ${gain === undefined ? 'NOT MEASURED' : `×${gain.toFixed(2)}`}`);
  }
  const p99s = (['tiny-mlp', 'ocr-cls'] as const).flatMap((model) => (['rest-json', 'rest-binary'] as const).map((path) => `${model} ${path} ${ms(find(model, path, 'on', 64)?.p99)} ms`));
  targets.push(`- p99 at c=64, batching on (no regression: compare with the previous run's table): ${p99s.join('; ')}`);
  return targets;
}
