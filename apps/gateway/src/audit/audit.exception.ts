import { DomainError } from '@falaj/contracts';

/** Come back in a second: the spool empties as fast as Kafka takes its events. */
const RETRY_AFTER_SECONDS = 1;

/** What a AuditError says went wrong: its `code`, in every protocol's error answer. */
export const AUDIT_ERROR_CODES = ['audit_spool_full', 'audit_spool_unwritable'] as const;
export type AuditErrorCode = (typeof AUDIT_ERROR_CODES)[number];

/**
 * A must-audit tenant's call refused (503, Retry-After) because its audit event cannot be made
 * durable: refused before dispatch, or its answer withheld when the write failed after.
 */
export class AuditError extends DomainError<AuditErrorCode> {
  static spoolFull(maxBytes: number): AuditError {
    return new AuditError(
      503,
      `this tenant's calls must be audited and the gateway's audit spool is full (FALAJ_AUDIT_SPOOL_MAX_BYTES=${maxBytes}: the audit log is not taking events); retry after ${RETRY_AFTER_SECONDS} s`,
      'audit_spool_full',
      { limit: 'audit_spool', retryAfterSeconds: RETRY_AFTER_SECONDS },
    );
  }
  /** The disk's own error goes to the log (AuditSink), not to the caller. */
  static spoolUnwritable(): AuditError {
    return new AuditError(503, `this tenant's calls must be audited and the gateway cannot write its audit spool now; retry after ${RETRY_AFTER_SECONDS} s`, 'audit_spool_unwritable', {
      limit: 'audit_spool',
      retryAfterSeconds: RETRY_AFTER_SECONDS,
    });
  }
}
