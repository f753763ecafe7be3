import { DomainError } from '@falaj/contracts';

export class CatalogError extends DomainError {
  /** The stage-transition policy's refusal; the same answer the versions API has always given. */
  static badTransition(from: string, to: string): CatalogError {
    return new CatalogError(409, `a ${from} version cannot move to ${to}`, 'bad_transition');
  }
}
