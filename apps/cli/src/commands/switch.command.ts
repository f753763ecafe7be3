import type { Command } from 'commander';
import { CliError } from '../cli-error';
import { seg } from '../http-client';
import { renderTable } from '../output';
import type { Runtime } from '../runtime';
import { splitOf, type DeploymentView } from './deployment';

export function registerSwitch(program: Command, rt: Runtime): void {
  program
    .command('switch')
    .argument('<model>')
    .argument('[version]', 'the version (or alias) to send all traffic to')
    .description('blue-green: all traffic to one version at once (the one it replaces stays loaded at weight 0); --back returns to the previous primary')
    .option('--back', "switch back to the previous revision's primary version")
    .option('--reason <text>', 'kept with the deployment revision')
    .action(async (model: string, version: string | undefined, options: { back?: boolean; reason?: string }) => {
      if (!options.back && version === undefined) throw CliError.usage('switch to which version?', `falaj switch ${model} VERSION, or falaj switch ${model} --back`);
      if (options.back && version !== undefined) throw CliError.usage('give a version or --back, not both');
      const reason = options.reason ? { reason: options.reason } : {};
      const deployment = options.back
        ? await rt.client().json<DeploymentView>('POST', `/admin/models/${seg(model)}/deployment/switch-back`, { json: reason, what: `switch '${model}' back` })
        : await rt.client().json<DeploymentView>('POST', `/admin/models/${seg(model)}/deployment/switch`, {
            json: { version: /^\d+$/.test(version!) ? Number(version) : version, ...reason },
            what: `switch '${model}' to ${version}`,
          });
      rt.print(deployment, () => renderTable(['model', 'revision', 'split'], [[deployment.model, deployment.revision, splitOf(deployment.targets)]]));
    });
}
