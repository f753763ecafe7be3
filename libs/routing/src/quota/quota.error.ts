/**
 * Over a quota (429) or shed (503): the caller is told when to come back. Thrown by the
 * gateway's admission and shedding and by the streaming bridge's admission alike; every
 * protocol maps it by its status, and `retryAfterSeconds` becomes `Retry-After`.
 */
export class QuotaError extends Error {
  readonly code: 'quota_exceeded' | 'shed';

  constructor(
    readonly status: 429 | 503,
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
    this.name = 'QuotaError';
    this.code = status === 429 ? 'quota_exceeded' : 'shed';
  }
}
