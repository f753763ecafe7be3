import type { LimitName } from '@falaj/contracts';
import { DomainError } from '@falaj/contracts';

/** What a DeploymentsError says went wrong: its `code`, in every protocol's error answer. */
export const DEPLOYMENTS_ERROR_CODES = ['deployment_not_found', 'no_previous_revision', 'no_shadow', 'invalid_deployment'] as const;
export type DeploymentsErrorCode = (typeof DEPLOYMENTS_ERROR_CODES)[number];

export class DeploymentsError extends DomainError<DeploymentsErrorCode> {
  static notFound(model: string): DeploymentsError {
    return new DeploymentsError(404, `model '${model}' has no deployment`, 'deployment_not_found');
  }
  static nothingToSwitchBack(model: string): DeploymentsError {
    return new DeploymentsError(409, `model '${model}' has no earlier deployment revision to switch back to`, 'no_previous_revision');
  }
  static noShadow(model: string): DeploymentsError {
    return new DeploymentsError(404, `model '${model}' has no shadow version in its deployment`, 'no_shadow');
  }
  /** Serving settings over the platform's maxima, wherever the spec came from (PUT, switch, rollout, promotion). */
  static overMaxima(problems: string[], limit: LimitName): DeploymentsError {
    return new DeploymentsError(400, `invalid deployment: ${problems.join('; ')}`, 'invalid_deployment', { limit });
  }
  static invalid(problems: string[]): DeploymentsError {
    return new DeploymentsError(400, `invalid deployment: ${problems.join('; ')}`, 'invalid_deployment');
  }
}
