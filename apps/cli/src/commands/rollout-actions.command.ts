import type { Command } from 'commander';
import { seg } from '../http-client';
import type { Runtime } from '../runtime';
import { renderRollout, rolloutOf, type RolloutView } from './rollout';

/** pause, resume and abort: one POST each, on the rollout named or the model's active one. */
export function registerRolloutActions(rollout: Command, rt: Runtime): void {
  for (const [action, description] of [
    ['pause', "hold the canary's share where it is (a breach still rolls back)"],
    ['resume', 'let a paused rollout advance again'],
    ['abort', 'stop the rollout and put the deployment back as it was before it'],
  ] as const) {
    rollout
      .command(action)
      .argument('<model>')
      .argument('[id]', "the rollout (default: the model's active one)")
      .option('--reason <text>', 'kept with the rollout')
      .description(description)
      .action(async (model: string, id: string | undefined, options: { reason?: string }) => {
        const client = rt.client();
        const target = id ?? (await rolloutOf(client, model, undefined, true)).id;
        const r = await client.json<RolloutView>('POST', `/admin/models/${seg(model)}/rollouts/${seg(target)}/${action}`, {
          json: options.reason ? { reason: options.reason } : {},
          what: `${action} rollout ${target} of '${model}'`,
        });
        rt.print(r, () => renderRollout(r));
      });
  }
}
