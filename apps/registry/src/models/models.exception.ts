import { DomainError } from '@falaj/contracts';

export class ModelsError extends DomainError {
  static notFound(name: string): ModelsError {
    return new ModelsError(404, `model '${name}' not found`, 'model_not_found');
  }
  static exists(name: string): ModelsError {
    return new ModelsError(409, `model '${name}' already exists`, 'model_exists');
  }
  static serving(name: string, why: string): ModelsError {
    return new ModelsError(409, `model '${name}' cannot be deleted while it serves: ${why}`, 'model_serving');
  }
}
