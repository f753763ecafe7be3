import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from './eventually';
import type { FalajSuite } from './falaj-suite';
import { freePorts } from './free-port';

export interface PrometheusSample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface PrometheusExemplars {
  seriesLabels: Record<string, string>;
  exemplars: { labels: Record<string, string>; value: string; timestamp: number }[];
}

/** A real Prometheus (Debian's binary, `infra.sh up prometheus`) scraping the suite's apps; stopped by `stop`. */
export interface PrometheusRun {
  query(promql: string): Promise<PrometheusSample[]>;
  /** /api/v1/query_exemplars over the last `seconds`. */
  exemplars(promql: string, seconds?: number): Promise<PrometheusExemplars[]>;
  targets(): Promise<string>;
  /** Resolves once every app's target is up. */
  allUp(): Promise<PrometheusSample[]>;
  stop(): void;
}

export interface PrometheusOptions {
  /** Apps of the suite, each a scrape job of its name. */
  apps: string[];
  /** The bearer token it scrapes with (an operator's: `/metrics` needs workers:read). */
  token: string;
  /** Rule files' contents, by file name. */
  rules?: Record<string, string>;
  /** --enable-feature flags, e.g. exemplar-storage. */
  features?: string[];
}

/** Starts Prometheus on a free loopback port, its config and data under the suite's work folder, scraping every second over the suite's TLS. */
export async function startPrometheus(suite: FalajSuite, options: PrometheusOptions): Promise<PrometheusRun> {
  const [port] = await freePorts(1);
  const dir = join(suite.workDir, `prometheus-${port}`);
  mkdirSync(join(dir, 'data'), { recursive: true });
  for (const [name, text] of Object.entries(options.rules ?? {})) writeFileSync(join(dir, name), text);
  writeFileSync(join(dir, 'token'), options.token);
  const job = (app: string) => {
    const url = new URL(suite.appUrl(app));
    return [
      `  - job_name: ${app}`,
      `    scheme: ${url.protocol.replace(':', '')}`,
      '    authorization: { credentials_file: token }',
      `    tls_config: { ca_file: ${suite.caFile} }`,
      `    static_configs: [{ targets: ['${url.host}'] }]`,
    ].join('\n');
  };
  const rules = Object.keys(options.rules ?? {});
  writeFileSync(
    join(dir, 'prometheus.yml'),
    ['global: { scrape_interval: 1s, evaluation_interval: 1s }', ...(rules.length > 0 ? [`rule_files: [${rules.join(', ')}]`] : []), 'scrape_configs:', ...options.apps.map(job)].join('\n'),
  );
  const features = (options.features ?? []).map((f) => `--enable-feature=${f}`);
  const process: ChildProcess = spawn(
    'prometheus',
    [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, ...features],
    { cwd: dir, stdio: 'ignore' },
  );
  const api = async <T>(path: string): Promise<T | undefined> => {
    const response = await fetch(`http://127.0.0.1:${port}${path}`).catch(() => undefined);
    if (response?.status !== 200) return undefined;
    return ((await response.json()) as { data: T }).data;
  };
  const query = async (promql: string) => (await api<{ result: PrometheusSample[] }>(`/api/v1/query?query=${encodeURIComponent(promql)}`))?.result ?? [];
  return {
    query,
    exemplars: async (promql, seconds = 300) => {
      const now = Date.now() / 1000;
      return (await api<PrometheusExemplars[]>(`/api/v1/query_exemplars?query=${encodeURIComponent(promql)}&start=${now - seconds}&end=${now + 60}`)) ?? [];
    },
    targets: async () => JSON.stringify(await api<unknown>('/api/v1/targets')),
    allUp: () =>
      eventually(
        'every target scraped',
        async () => {
          const result = await query('up');
          return result.length === options.apps.length && result.every((r) => r.value[1] === '1') ? result : undefined;
        },
        60_000,
        500,
      ),
    stop: () => {
      process.kill('SIGTERM');
    },
  };
}
