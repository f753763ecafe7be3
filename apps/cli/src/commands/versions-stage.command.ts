import { Option, type Command } from 'commander';
import { seg } from '../http-client';
import { renderTable } from '../output';
import type { Runtime } from '../runtime';
import type { VersionView } from './versions';

/** `versions promote` (to production, or --to staging) and `versions archive`: one stage change each. */
export function registerVersionsStage(versions: Command, rt: Runtime): void {
  const change = async (model: string, version: string, stage: string, reason: string | undefined) => {
    const view = await rt.client().json<VersionView>('POST', `/admin/models/${seg(model)}/versions/${seg(version)}/stage`, {
      json: { stage, ...(reason ? { reason } : {}) },
      what: `move version ${version} of '${model}' to ${stage}`,
    });
    rt.print(view, () => renderTable(['model', 'version', 'stage'], [[view.model, view.version, view.stage]]));
  };
  versions
    .command('promote')
    .argument('<model>')
    .argument('<version>', 'a number or an alias')
    .description('move a version to production (it then serves alone), or to --to staging')
    .addOption(new Option('--to <stage>', 'the stage').choices(['production', 'staging']).default('production'))
    .option('--reason <text>', 'kept in the stage history')
    .action((model: string, version: string, options: { to: string; reason?: string }) => change(model, version, options.to, options.reason));
  versions
    .command('archive')
    .argument('<model>')
    .argument('<version>', 'a number or an alias')
    .description('archive a version: it never serves again (unless brought back through staging)')
    .option('--reason <text>', 'kept in the stage history')
    .action((model: string, version: string, options: { reason?: string }) => change(model, version, 'archived', options.reason));
}
