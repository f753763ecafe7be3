import type { Command } from 'commander';
import { seg } from '../http-client';
import type { Runtime } from '../runtime';
import { renderRollout, type RolloutView } from './rollout';
import { intervalOption as interval, numberOption as number } from './rollout-options';
import { watchRollout } from './rollout-watch';

interface StartOptions {
  canary: string;
  steps?: string;
  pause?: string;
  maxErrorRate?: string;
  maxP95Ms?: string;
  minRequests?: string;
  reason?: string;
  watch?: boolean;
  interval: string;
}

export function registerRolloutStart(rollout: Command, rt: Runtime): void {
  rollout
    .command('start')
    .argument('<model>')
    .requiredOption('--canary <version>', 'the version (or alias) to roll out')
    .option('--steps <list>', "the canary's share at each step, rising to 100 (e.g. 5,25,50,100)")
    .option('--pause <seconds>', 'how long each step holds before it may advance')
    .option('--max-error-rate <rate>', 'highest share of 5xx answers of the canary (0…1)')
    .option('--max-p95-ms <ms>', "highest canary p95 (default: the deployment's SLA)")
    .option('--min-requests <n>', 'canary answers a step needs before it is judged')
    .option('--reason <text>', 'kept with the rollout')
    .option('--watch', 'then follow it until it finishes')
    .option('--interval <seconds>', 'how often --watch reads it', '1')
    .description('start a rollout of --canary over the version that takes all traffic now')
    .action(async (model: string, options: StartOptions) => {
      const steps = options.steps?.split(',').map((s) => number('--steps', s.trim())!);
      const analysis = Object.fromEntries(
        Object.entries({
          maxErrorRate: number('--max-error-rate', options.maxErrorRate),
          maxP95Ms: number('--max-p95-ms', options.maxP95Ms),
          minRequests: number('--min-requests', options.minRequests),
        }).filter(([, v]) => v !== undefined),
      );
      const body = {
        canary: /^\d+$/.test(options.canary) ? Number(options.canary) : options.canary,
        ...(steps ? { steps } : {}),
        ...(options.pause !== undefined ? { pauseSeconds: number('--pause', options.pause) } : {}),
        ...(Object.keys(analysis).length ? { analysis } : {}),
        ...(options.reason ? { reason: options.reason } : {}),
      };
      const client = rt.client();
      const started = await client.json<RolloutView>('POST', `/admin/models/${seg(model)}/rollouts`, { json: body, what: `start a rollout of '${model}'` });
      if (options.watch) return watchRollout(rt, client, model, started.id, interval(options.interval));
      rt.print(started, () => `${renderRollout(started)}\nfollow it: falaj rollout status ${model} ${started.id} --watch`);
    });
}
