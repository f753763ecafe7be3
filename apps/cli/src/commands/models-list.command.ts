import type { Command } from 'commander';
import { renderTable } from '../output';
import type { Runtime } from '../runtime';

interface ModelView {
  name: string;
  description: string;
  owner?: string | null;
  labels?: Record<string, string>;
  createdAt: string;
}

export function registerModelsList(models: Command, rt: Runtime): void {
  models
    .command('list')
    .description("the tenant's models")
    .option('--stage <stage>', 'only models with a version in this stage')
    .option('--limit <n>', 'at most this many', '100')
    .action(async (options: { stage?: string; limit: string }) => {
      const page = await rt.client().json<{ models: ModelView[]; total: number }>('GET', '/admin/models', { query: { stage: options.stage, limit: options.limit }, what: 'list models' });
      rt.print(
        page,
        () =>
          renderTable(
            ['model', 'owner', 'labels', 'created'],
            page.models.map((m) => [
              m.name,
              m.owner,
              Object.entries(m.labels ?? {})
                .map(([k, v]) => `${k}=${v}`)
                .join(' '),
              m.createdAt,
            ]),
          ) + `\n${page.total} model(s)`,
      );
    });
}
