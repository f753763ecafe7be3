import type { Command } from 'commander';
import { renderTable } from '../output';
import type { Runtime } from '../runtime';
import { versionsOf } from './versions';

export function registerVersionsList(versions: Command, rt: Runtime): void {
  versions
    .command('list')
    .argument('<model>')
    .description("a model's versions, oldest first, with stage and aliases")
    .action(async (model: string) => {
      const list = await versionsOf(rt.client(), model);
      rt.print({ versions: list }, () =>
        renderTable(
          ['version', 'stage', 'aliases', 'size', 'sha256', 'created'],
          list.map((v) => [v.version, v.stage, (v.aliases ?? []).join(' '), `${v.sizeBytes} B`, v.sha256.slice(0, 12), v.createdAt]),
        ),
      );
    });
}
