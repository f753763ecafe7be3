import type { Command } from 'commander';
import { CliError } from '../cli-error';
import { EXIT } from '../exit-codes';
import { seg } from '../http-client';
import { renderTable } from '../output';
import type { Runtime } from '../runtime';
import { splitOf, withTargets, type DeploymentView } from './deployment';
import { versionsOf } from './versions';

interface DeployOptions {
  canary?: string;
  version?: string;
  baseline?: string;
  reason?: string;
}

const percent = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 100) throw CliError.usage(`--canary ${value} is not a whole percentage from 0 to 100`);
  return n;
};

export function registerDeploy(program: Command, rt: Runtime): void {
  program
    .command('deploy')
    .argument('<model>')
    .description('split traffic: --canary PCT sends that share to the canary version, the rest to the baseline; without --canary, all of it to --version')
    .option('--canary <pct>', "the canary's share of traffic, in percent")
    .option('--version <v>', 'the canary (or, without --canary, the one version); default: the newest version that is not production or archived')
    .option('--baseline <v>', 'the version taking the rest; default: the production version')
    .option('--reason <text>', 'kept with the deployment revision')
    .action(async (model: string, options: DeployOptions) => {
      const client = rt.client();
      const versions = await versionsOf(client, model);
      const production = versions.filter((v) => v.stage === 'production').map((v) => v.version);
      const resolve = (ref: string): number => {
        const found = versions.find((v) => String(v.version) === ref || (v.aliases ?? []).includes(ref));
        if (!found) throw new CliError(`model '${model}' has no version or alias '${ref}'`, EXIT.notFound, `see \`falaj versions list ${model}\``);
        return found.version;
      };
      const currentAnswer = await client.open('GET', `/admin/models/${seg(model)}/deployment`, { what: `read the deployment of '${model}'` });
      const current = currentAnswer.statusCode === 200 ? ((await currentAnswer.body.json()) as DeploymentView) : (await currentAnswer.body.dump(), undefined);
      const heaviest = current ? [...current.targets].sort((a, b) => b.weight - a.weight)[0].version : production.length === 1 ? production[0] : undefined;

      let candidate: number | undefined;
      if (options.version) candidate = resolve(options.version);
      else candidate = [...versions].reverse().find((v) => v.stage !== 'production' && v.stage !== 'archived')?.version;
      if (candidate === undefined)
        throw CliError.usage(`model '${model}' has no version to deploy that is not already production or archived`, 'push one (`falaj models push FILE`) or name it with --version');

      let targets: { version: number; weight: number }[];
      if (options.canary === undefined) {
        targets = [{ version: candidate, weight: 100 }];
      } else {
        const share = percent(options.canary);
        const baseline = options.baseline ? resolve(options.baseline) : heaviest;
        if (baseline === undefined) throw CliError.usage(`model '${model}' has no single production version to keep as the baseline`, 'name it with --baseline V');
        if (baseline === candidate) throw CliError.usage(`the canary and the baseline are both version ${candidate}`, 'name another with --version V');
        targets = [
          { version: baseline, weight: 100 - share },
          { version: candidate, weight: share },
        ].sort((a, b) => a.version - b.version);
      }
      const reason = options.reason ?? (options.canary === undefined ? `all traffic to version ${candidate}` : `${options.canary}% canary of version ${candidate}`);
      const deployment = await client.json<DeploymentView>('PUT', `/admin/models/${seg(model)}/deployment`, { json: withTargets(current, targets, reason), what: `deploy '${model}'` });
      rt.print(deployment, () => renderTable(['model', 'revision', 'split', 'hardware'], [[deployment.model, deployment.revision, splitOf(deployment.targets), deployment.hardware]]));
    });
}
