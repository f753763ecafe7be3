import { DomainError } from '@falaj/contracts';

/** What a ModelsError says went wrong: its `code`, in every protocol's error answer. */
export const MODELS_ERROR_CODES = ['model_not_found', 'model_exists', 'model_serving'] as const;
export type ModelsErrorCode = (typeof MODELS_ERROR_CODES)[number];

export class ModelsError extends DomainError<ModelsErrorCode> {
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
