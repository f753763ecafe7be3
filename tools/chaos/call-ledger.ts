import type { CallObserver, CallSettlement, MixPart } from '../soak/load-mix';
import type { CallRecord } from './outcome';

/** Every call of the chaos run by request id, with when it was sent and how it ended (a CallObserver of the LoadMix). */
export class CallLedger implements CallObserver {
  readonly records = new Map<string, CallRecord>();
  readonly jobs: { id: string; at: number }[] = [];
  readonly refusedJobs: { at: number; status: number; error: string; retryAfter?: string }[] = [];
  /** A streamed reply can come before the producer's acknowledgement: kept until `sent`. */
  private readonly early = new Map<string, { at: number; how: CallSettlement }>();

  constructor(private readonly began: number) {}

  private now(): number {
    return Date.now() - this.began;
  }

  sent(part: MixPart, id: string): void {
    const early = this.early.get(id);
    this.early.delete(id);
    this.records.set(id, { part, id, sentAt: this.now(), ...(early ? { settledAt: early.at, how: early.how } : {}) });
  }

  settled(_part: MixPart, id: string, how: CallSettlement): void {
    const record = this.records.get(id);
    if (!record) {
      this.early.set(id, { at: this.now(), how });
      return;
    }
    // The first answer counts: a second one for the same id is a duplicate, not a correction.
    if (record.how) return;
    record.settledAt = this.now();
    record.how = how;
  }

  jobAccepted(id: string): void {
    this.jobs.push({ id, at: this.now() });
  }

  jobRefused(status: number, error: string, retryAfter?: string): void {
    this.refusedJobs.push({ at: this.now(), status, error, ...(retryAfter ? { retryAfter } : {}) });
  }

  get unsettled(): number {
    let n = 0;
    for (const r of this.records.values()) if (!r.how) n++;
    return n;
  }
}
