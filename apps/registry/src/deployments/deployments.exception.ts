import { DomainError } from '@falaj/http';

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
  static invalid(problems: string[]): DeploymentsError {
    return new DeploymentsError(400, `invalid deployment: ${problems.join('; ')}`, 'invalid_deployment');
  }
}
