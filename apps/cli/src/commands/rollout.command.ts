import type { Command } from 'commander';
import type { Runtime } from '../runtime';
import { registerRolloutActions } from './rollout-actions.command';
import { registerRolloutStart } from './rollout-start.command';
import { registerRolloutStatus } from './rollout-status.command';

export function registerRollout(program: Command, rt: Runtime): void {
  const rollout = program.command('rollout').description('progressive rollouts of a canary, judged step by step on live traffic');
  registerRolloutStart(rollout, rt);
  registerRolloutStatus(rollout, rt);
  registerRolloutActions(rollout, rt);
}
