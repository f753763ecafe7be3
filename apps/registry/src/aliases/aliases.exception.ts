import { DomainError } from '@falaj/contracts';

/** What a AliasesError says went wrong: its `code`, in every protocol's error answer. */
export const ALIASES_ERROR_CODES = ['alias_not_found'] as const;
export type AliasesErrorCode = (typeof ALIASES_ERROR_CODES)[number];

export class AliasesError extends DomainError<AliasesErrorCode> {
  static notFound(model: string, alias: string): AliasesError {
    return new AliasesError(404, `alias '${alias}' of model '${model}' not found`, 'alias_not_found');
  }
}
