import { DomainError } from '@falaj/contracts';

/** What a AuditError says went wrong: its `code`, in every protocol's error answer. */
export const AUDIT_ERROR_CODES = ['audit_bad_cursor', 'audit_other_tenant'] as const;
export type AuditErrorCode = (typeof AUDIT_ERROR_CODES)[number];

export class AuditError extends DomainError<AuditErrorCode> {
  /** Altered, cut, or made for another query or account: never decoded into a position to read from. */
  static badCursor(): AuditError {
    return new AuditError(400, 'cursor: not a cursor of this query (altered, or given with other filters or by another account); start again without it', 'audit_bad_cursor');
  }
  static otherTenant(asked: string, own: string): AuditError {
    return new AuditError(403, `tenant: a tenant's account reads only its own audit log ('${own}'), not '${asked}'`, 'audit_other_tenant');
  }
}
