import type { LimitName } from '@falaj/contracts';
import { QuotaError } from '@falaj/routing';

export interface InFlightLimits {
  /** Requests this gateway holds at once, past admission and not yet answered. */
  perGateway: number;
  /** Of those, one tenant's. */
  perTenant: number;
  /** Bytes of decoded request tensors this gateway has dispatched and not yet seen answered. */
  bytes: number;
}

export type InFlightLimit = 'gateway' | 'tenant' | 'bytes';

/** Each as the platform's limit names say it (`falaj_limit_refusals_total{limit}`). */
const IN_FLIGHT_LIMIT_NAMES: Record<InFlightLimit, LimitName> = { gateway: 'in_flight_gateway', tenant: 'in_flight_tenant', bytes: 'in_flight_bytes' };

/** Come back in a second: these limits clear as fast as the requests ahead are answered. */
const RETRY_AFTER_SECONDS = 1;

/**
 * Admission before any Redis work, Envoy-overload-manager style: past a limit the request is
 * refused at once with 503 and Retry-After instead of queueing into the pool's stream, where it
 * would only wait behind the others (and, past the stream's length, be trimmed unserved). Each
 * admission returns its release, which is idempotent.
 */
export class InFlightLimiter {
  private requests = 0;
  private bytesInFlight = 0;
  private readonly tenants = new Map<string, number>();

  constructor(
    private readonly limits: InFlightLimits,
    private readonly onRefused: (limit: InFlightLimit) => void = () => undefined,
  ) {}

  get inFlight(): { requests: number; bytes: number } {
    return { requests: this.requests, bytes: this.bytesInFlight };
  }

  /** A request slot of the gateway and of its tenant, or a 503 naming the limit. */
  enter(tenantId: string): () => void {
    if (this.requests >= this.limits.perGateway) {
      throw this.refuse('gateway', `the gateway has ${this.requests} requests in flight, its limit of ${this.limits.perGateway}`);
    }
    const tenant = this.tenants.get(tenantId) ?? 0;
    if (tenant >= this.limits.perTenant) {
      throw this.refuse('tenant', `tenant '${tenantId}' has ${tenant} requests in flight on this gateway, its limit of ${this.limits.perTenant}`);
    }
    this.requests++;
    this.tenants.set(tenantId, tenant + 1);
    return once(() => {
      this.requests--;
      const left = (this.tenants.get(tenantId) ?? 1) - 1;
      if (left <= 0) this.tenants.delete(tenantId);
      else this.tenants.set(tenantId, left);
    });
  }

  /**
   * A request's bytes within the gateway's byte budget, or a 503. A request larger than the
   * whole budget still passes when nothing else is in flight, so it is never starved for good.
   */
  reserveBytes(bytes: number): () => void {
    if (this.bytesInFlight > 0 && this.bytesInFlight + bytes > this.limits.bytes) {
      throw this.refuse('bytes', `the gateway has ${this.bytesInFlight} request bytes in flight; ${bytes} more would pass its budget of ${this.limits.bytes}`);
    }
    this.bytesInFlight += bytes;
    return once(() => (this.bytesInFlight -= bytes));
  }

  private refuse(limit: InFlightLimit, why: string): QuotaError {
    this.onRefused(limit);
    return new QuotaError(503, `over capacity: ${why}; retry after ${RETRY_AFTER_SECONDS} s`, RETRY_AFTER_SECONDS, IN_FLIGHT_LIMIT_NAMES[limit]);
  }
}

function once(release: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    release();
  };
}
