import { DomainError } from '@falaj/contracts';

/** What a CatalogError says went wrong: its `code`, in every protocol's error answer. */
export const CATALOG_ERROR_CODES = ['bad_transition'] as const;
export type CatalogErrorCode = (typeof CATALOG_ERROR_CODES)[number];

export class CatalogError extends DomainError<CatalogErrorCode> {
  /** The stage-transition policy's refusal; the same answer the versions API has always given. */
  static badTransition(from: string, to: string): CatalogError {
    return new CatalogError(409, `a ${from} version cannot move to ${to}`, 'bad_transition');
  }
}
