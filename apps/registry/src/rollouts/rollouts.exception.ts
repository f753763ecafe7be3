import { DomainError } from '@falaj/contracts';

/** What a RolloutsError says went wrong: its `code`, in every protocol's error answer. */
export const ROLLOUTS_ERROR_CODES = ['rollout_not_found', 'rollout_active', 'rollout_no_baseline', 'rollout_same_version', 'rollout_state'] as const;
export type RolloutsErrorCode = (typeof ROLLOUTS_ERROR_CODES)[number];

export class RolloutsError extends DomainError<RolloutsErrorCode> {
  static notFound(model: string, id: string): RolloutsError {
    return new RolloutsError(404, `model '${model}' has no rollout '${id}'`, 'rollout_not_found');
  }
  static active(model: string, id: string): RolloutsError {
    return new RolloutsError(409, `model '${model}' already has an active rollout (${id}); abort it or let it finish first`, 'rollout_active');
  }
  static noBaseline(model: string, why: string): RolloutsError {
    return new RolloutsError(409, `model '${model}' cannot start a rollout: ${why}`, 'rollout_no_baseline');
  }
  static sameVersion(version: number): RolloutsError {
    return new RolloutsError(400, `version ${version} already takes all the traffic; a canary must be another version`, 'rollout_same_version');
  }
  static notIn(id: string, state: string, action: string): RolloutsError {
    return new RolloutsError(409, `rollout ${id} is ${state}; it cannot ${action}`, 'rollout_state');
  }
}
