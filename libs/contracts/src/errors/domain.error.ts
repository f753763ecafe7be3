import type { LimitName } from '../limits/limit-name';

/** What a refusal adds to its status and message: the named limit it is for, when to come back. */
export interface RefusalDetails {
  /** The named limit refused for: counted in `falaj_limit_refusals_total{limit}`. */
  limit?: LimitName;
  /** Sent as `Retry-After` (seconds): only where trying again later can succeed. */
  retryAfterSeconds?: number;
}

/**
 * The one status-carrying error: base of every capability's exception (`VersionsError`,
 * `InferenceError`, `QuotaError`, `OipError`…), a message for the caller, the HTTP-like status
 * every edge maps and a code that says what went wrong. Each capability declares its codes as a
 * const tuple (`VERSIONS_ERROR_CODES`) and extends `DomainError<VersionsErrorCode>`, so its
 * factories take only those. REST and KServe v1 answer `{"error": message, "code": code}` (the
 * global filter), gRPC its status with the code in the `falaj-error-code` trailer, the Kafka
 * bridge a response whose `status` header is the status and whose body has `error` and `code`,
 * a job row its status.
 */
export class DomainError<Code extends string = string> extends Error {
  readonly limit?: LimitName;
  readonly retryAfterSeconds?: number;

  constructor(
    readonly status: number,
    message: string,
    readonly code: Code,
    details: RefusalDetails = {},
  ) {
    super(message);
    this.name = new.target.name;
    if (details.limit !== undefined) this.limit = details.limit;
    if (details.retryAfterSeconds !== undefined) this.retryAfterSeconds = details.retryAfterSeconds;
  }
}

/** The whole seconds a caller is told to wait after `waitMs` (`Retry-After`, Kafka's `retry-after`): never 0, never a fraction. */
export function retryAfterOf(waitMs: number): number {
  return Math.max(1, Math.ceil(waitMs / 1000));
}

/** The `Retry-After` value of an error that says when to come back, on every protocol; undefined when it does not. */
export function retryAfterHeader(error: unknown): string | undefined {
  const seconds = (error as { retryAfterSeconds?: unknown } | null | undefined)?.retryAfterSeconds;
  return typeof seconds === 'number' ? String(retryAfterOf(seconds * 1000)) : undefined;
}
