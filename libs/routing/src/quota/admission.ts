import { retryAfterOf } from '@falaj/contracts';
import { QuotaError } from './quota.error';

/** Over the tenant's (or the tenant's model's) token bucket: come back when a token is there. */
export function rateRefusal(tenantId: string, model: string, waitMs: number): QuotaError {
  const after = retryAfterOf(waitMs);
  return new QuotaError(429, `rate limit exceeded for tenant '${tenantId}' on model '${model}'; retry after ${after} s`, after, 'tenant_rate');
}

/** Over the tenant's requests in flight on this edge instance: a slot frees as soon as one answers. */
export function concurrencyRefusal(tenantId: string, limit: number): QuotaError {
  return new QuotaError(429, `tenant '${tenantId}' has ${limit} requests in flight, its limit; retry after 1 s`, 1, 'tenant_concurrency');
}

export interface AdmissionOptions {
  /** Takes a token from the request's buckets: 0 when it may go, else the milliseconds until it could (TokenBuckets.take). */
  take(tenantId: string, model: string): Promise<number>;
  /** The tenant's limit of requests in flight on this instance (undefined: none); absent where the edge has no such limit. */
  concurrency?(tenantId: string): number | undefined;
}

/**
 * Admission, the one step every entry point takes after placement (REST, gRPC, KServe v1, the
 * Kafka bridge, job rows): the shared token buckets, then, where the edge has one, the tenant's
 * in-flight limit on this instance. One refusal text and one Retry-After rounding for all.
 */
export class Admission {
  private readonly inFlight = new Map<string, number>();

  constructor(private readonly options: AdmissionOptions) {}

  /** Admits the request or throws a QuotaError (429); the returned function ends its in-flight slot (idempotent). */
  readonly admit = async (tenantId: string, model: string): Promise<() => void> => {
    const waitMs = await this.options.take(tenantId, model);
    if (waitMs > 0) throw rateRefusal(tenantId, model, waitMs);
    const limit = this.options.concurrency?.(tenantId);
    if (limit === undefined) return NO_SLOT;
    const current = this.inFlight.get(tenantId) ?? 0;
    if (current >= limit) throw concurrencyRefusal(tenantId, limit);
    this.inFlight.set(tenantId, current + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.inFlight.get(tenantId) ?? 1) - 1;
      if (left <= 0) this.inFlight.delete(tenantId);
      else this.inFlight.set(tenantId, left);
    };
  };

  /** A tenant's requests in flight here now. */
  held(tenantId: string): number {
    return this.inFlight.get(tenantId) ?? 0;
  }
}

const NO_SLOT = (): void => undefined;
