import type { LimitName } from '@falaj/contracts';
import { DomainError } from '@falaj/contracts';

export class DeploymentsError extends DomainError {
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
