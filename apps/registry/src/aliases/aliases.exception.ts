import { DomainError } from '@falaj/contracts';

export class AliasesError extends DomainError {
  static notFound(model: string, alias: string): AliasesError {
    return new AliasesError(404, `alias '${alias}' of model '${model}' not found`, 'alias_not_found');
  }
}
