import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { summarize } from '../bench/percentiles';
import type { MixRates, PartCount } from './load-mix';
import type { ProcessSample } from './process-sampler';
import type { Census } from './redis-census';
import { growthOf, type Growth, type Series } from './slope';

export interface SoakRun {
  startedAt: Date;
  minutes: number;
  rates: MixRates;
  machine: string;
  loadBefore: number;
  loadAfter?: number;
  samples: { at: number; apps: Record<string, ProcessSample> }[];
  census: { at: number; census: Census }[];
  counts?: Record<string, PartCount>;
}

const START = '<!-- soak:start -->';
const END = '<!-- soak:end -->';

/**
 * A figure "grows" when its slope over the second half, carried over that half, adds more than
 * `floor` (in its unit) and more than a tenth of its last value: noise and a plateau do not.
 */
const grows = (g: Growth, minutes: number, floor: number) => g.slope * (minutes / 2) > Math.max(floor, 0.1 * Math.abs(g.last));

/** Renders the run, replaces the Soak section of `file` (between its markers) and returns the section. */
export function writeSoakReport(run: SoakRun, file: string): string {
  const section = render(run);
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '# Reliability\n';
  const block = `${START}\n${section}\n${END}`;
  const next = current.includes(START) ? current.replace(new RegExp(`${START}[\\s\\S]*?${END}`), block) : `${current.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, next);
  return section;
}

function render(run: SoakRun): string {
  const lines: string[] = [];
  const minutes = run.minutes;
  lines.push('## Soak', '');
  lines.push(
    `\`npm run soak -- --minutes ${minutes}\`, started ${run.startedAt.toISOString()} on ${run.machine}; load average ${run.loadBefore.toFixed(2)} before, ${run.loadAfter?.toFixed(2) ?? '?'} after (other work on the machine shows there).`,
  );
  lines.push(
    `Mix per second: ${run.rates.rest} REST JSON, ${run.rates.restIdempotent} REST with a fresh Idempotency-Key (TTL 120 s), ${run.rates.grpc} gRPC, ${run.rates.kafka} Kafka streamed; a ${run.rates.jobRows}-row batch job every ${run.rates.jobEverySeconds} s. Slopes are least-squares over the second half of the run (after warm-up); ⚠ marks a figure that grows.`,
    '',
  );

  lines.push('| part | sent | answered | failed | p50 ms | p99 ms | failures |', '|---|---:|---:|---:|---:|---:|---|');
  for (const [name, c] of Object.entries(run.counts ?? {})) {
    const m = summarize(c.latencies, c.latencies.length, 1);
    const why =
      Object.entries(c.why)
        .map(([w, n]) => `${w} ×${n}`)
        .join('; ') || '—';
    lines.push(`| ${name} | ${c.sent} | ${c.ok} | ${c.failed} | ${fmt(m.p50)} | ${fmt(m.p99)} | ${why} |`);
  }
  lines.push('');

  lines.push(
    '| app | RSS MiB first → last (max) | RSS MiB/min | heap MiB first → last | heap MiB/min | fds first → last | fds/min | handles last | Redis / Kafka / Postgres connections first → last |',
    '|---|---|---:|---|---:|---|---:|---:|---|',
  );
  const apps = Object.keys(run.samples[run.samples.length - 1]?.apps ?? {});
  for (const app of apps) {
    const series = (pick: (s: ProcessSample) => number | undefined): Series =>
      run.samples.flatMap((s) => {
        const v = s.apps[app] && pick(s.apps[app]);
        return v === undefined || Number.isNaN(v) ? [] : [[s.at, v] as const];
      });
    const rss = growthOf(series((s) => s.rssBytes / 2 ** 20));
    const heap = growthOf(series((s) => (s.heapUsed === undefined ? undefined : s.heapUsed / 2 ** 20)));
    const fds = growthOf(series((s) => s.fds));
    const first = run.samples.find((s) => s.apps[app])?.apps[app];
    const last = run.samples[run.samples.length - 1].apps[app];
    const conns = (s?: ProcessSample) => (s ? `${s.connections.redis}/${s.connections.kafka}/${s.connections.postgres}` : '?');
    lines.push(
      `| ${app} | ${fmt(rss.first)} → ${fmt(rss.last)} (${fmt(rss.max)}) | ${flag(rss, minutes, 5)}${fmt(rss.slope, 2)} | ${fmt(heap.first)} → ${fmt(heap.last)} | ${flag(heap, minutes, 2)}${fmt(heap.slope, 2)} | ${fmt(fds.first, 0)} → ${fmt(fds.last, 0)} | ${flag(fds, minutes, 5)}${fmt(fds.slope, 2)} | ${last?.handles ?? '?'} | ${conns(first)} → ${conns(last)} |`,
    );
  }
  lines.push('');

  lines.push('Redis keys whose every key has a TTL are bounded by it (they plateau at rate × TTL, after the TTL has passed once); ⚠ marks a shape that grows and has keys without one.', '');
  lines.push('| Redis keys (shape) | keys first → last | keys/min | entries first → last | entries/min | without TTL (last) | longest TTL s |', '|---|---|---:|---|---:|---:|---:|');
  const shapes = [...new Set(run.census.flatMap((c) => Object.keys(c.census.keys)))].sort();
  for (const shape of shapes) {
    const keys = growthOf(run.census.map((c) => [c.at, c.census.keys[shape] ?? 0] as const));
    const entries = growthOf(run.census.map((c) => [c.at, c.census.entries[shape] ?? 0] as const));
    const hasEntries = run.census.some((c) => c.census.entries[shape] !== undefined);
    const lastCensus = run.census[run.census.length - 1].census;
    const noTtl = lastCensus.withoutTtl[shape] ?? 0;
    const keyFlag = noTtl > 0 ? flag(keys, minutes, 50) : '';
    lines.push(
      `| \`${shape}\` | ${keys.first} → ${keys.last} | ${keyFlag}${fmt(keys.slope, 1)} | ${hasEntries ? `${entries.first} → ${entries.last}` : '—'} | ${hasEntries ? `${flag(entries, minutes, 50)}${fmt(entries.slope, 1)}` : '—'} | ${noTtl} | ${lastCensus.maxTtl[shape] ?? '—'} |`,
    );
  }
  return lines.join('\n');
}

const flag = (g: Growth, minutes: number, floor: number) => (grows(g, minutes, floor) ? '⚠ ' : '');
const fmt = (v: number, digits = 1) => (Number.isFinite(v) ? v.toFixed(digits) : '—');
