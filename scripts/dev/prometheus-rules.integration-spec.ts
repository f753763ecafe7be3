import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The monitoring manifests of k8s/monitoring against Prometheus' own tools (Debian's package,
 * `infra.sh up prometheus`): the recording rules parse, and Prometheus' rule engine gives the
 * hand-worked answers of falaj-rules.test.yaml (p50/p95 from the histogram, error ratio, queue
 * depth, batch size, Kafka lag). The live check — a real Prometheus scraping the running apps —
 * is in test/observability.e2e-spec.ts.
 */
const DIR = join(__dirname, '..', '..', 'k8s', 'monitoring');
const promtool = (...args: string[]) => spawnSync('promtool', args, { cwd: DIR, encoding: 'utf8' });

describe('k8s/monitoring: the recording rules and the dashboard (integration)', () => {
  it('parses the recording rules', () => {
    const checked = promtool('check', 'rules', 'falaj-rules.yaml');
    expect({ status: checked.status, out: checked.stdout + checked.stderr }).toEqual({ status: 0, out: expect.stringContaining('SUCCESS: 9 rules found') });
  });

  it("evaluates them, and the dashboard's p95 query, to the hand-worked answers", () => {
    const tested = promtool('test', 'rules', 'falaj-rules.test.yaml');
    expect({ status: tested.status, out: tested.stdout + tested.stderr }).toEqual({ status: 0, out: expect.stringContaining('SUCCESS') });
  });

  it('has every dashboard panel query on a series the apps or the rules make', () => {
    const dashboard = JSON.parse(readFileSync(join(DIR, 'grafana-dashboard.json'), 'utf8')) as { panels: { title: string; targets: { expr: string }[] }[] };
    const rules = readFileSync(join(DIR, 'falaj-rules.yaml'), 'utf8');
    const metrics = readFileSync(join(__dirname, '..', '..', 'docs', 'metrics.md'), 'utf8');
    for (const panel of dashboard.panels) {
      for (const { expr } of panel.targets) {
        for (const name of expr.match(/falaj[:_][a-z0-9_:]+/g) ?? []) {
          const series = name.replace(/_(bucket|sum|count)$/, '');
          expect({ panel: panel.title, series, known: rules.includes(`record: ${series}`) || metrics.includes(`\`${series}`) }).toEqual({ panel: panel.title, series, known: true });
        }
      }
    }
  });
});
