import type { Command } from 'commander';
import type { Runtime } from '../runtime';
import { renderRollout, rolloutOf } from './rollout';
import { intervalOption as interval } from './rollout-options';
import { watchRollout } from './rollout-watch';

export function registerRolloutStatus(rollout: Command, rt: Runtime): void {
  rollout
    .command('status')
    .argument('<model>')
    .argument('[id]', "the rollout (default: the model's newest)")
    .option('--watch', 'follow it until it finishes (exit 6 unless it succeeds)')
    .option('--interval <seconds>', 'how often --watch reads it', '1')
    .description('a rollout: its plan, every step with the metrics that decided it, and the live analysis of the current step')
    .action(async (model: string, id: string | undefined, options: { watch?: boolean; interval: string }) => {
      const client = rt.client();
      const r = await rolloutOf(client, model, id, false);
      if (options.watch) return watchRollout(rt, client, model, r.id, interval(options.interval));
      rt.print(r, () => renderRollout(r));
    });
}
