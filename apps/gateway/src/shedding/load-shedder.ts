import { Injectable } from '@nestjs/common';
import { QuotaError } from '@falaj/routing';
import { shedDecision } from './shed.policy';

/** Weight of the newest answer in the pool's latency average. */
const ALPHA = 0.2;

/**
 * Per pool, this gateway's requests in flight and an exponential average of their latency; a
 * request the pool would answer past the route's SLA is refused at once with 503 and
 * Retry-After instead of queueing (see shedDecision).
 */
@Injectable()
export class LoadShedder {
  private readonly inFlight = new Map<string, number>();
  private readonly recentMs = new Map<string, number>();

  /** Admits the request or throws a 503; call the returned function with its latency when answered. */
  admit(pool: string, workers: number, slaMs: number | null | undefined): (latencyMs: number) => void {
    const inFlight = this.inFlight.get(pool) ?? 0;
    const decision = shedDecision({ inFlight, workers, recentMs: this.recentMs.get(pool) ?? null }, slaMs);
    if (decision.shed) throw new QuotaError(503, `pool ${pool} is shedding load: ${decision.reason}`, decision.retryAfterSeconds);
    this.inFlight.set(pool, inFlight + 1);
    return (latencyMs) => {
      this.inFlight.set(pool, Math.max(0, (this.inFlight.get(pool) ?? 1) - 1));
      const previous = this.recentMs.get(pool);
      this.recentMs.set(pool, previous === undefined ? latencyMs : previous + ALPHA * (latencyMs - previous));
    };
  }
}
