import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { quotasChangedChannel, quotasKey } from '@falaj/contracts';
import { RedisHashMirror } from '@falaj/messaging';
import type { QuotaConfig } from './quota.config';
import { parseQuotaRecords, withQuotaRecords } from './quota-records';

/**
 * The quotas in force on this instance: the env's (`FALAJ_QUOTAS`) with the registry's records
 * laid over them, followed in memory, so admission reads memory, never Redis, for them.
 */
export class QuotaReader extends RedisHashMirror {
  private readonly logger = new Logger(QuotaReader.name);
  private effective: QuotaConfig;
  private malformed = '';

  constructor(
    redis: Redis,
    subscriber: Redis,
    prefix: string,
    private readonly env: QuotaConfig,
    refreshMs = 5000,
  ) {
    super(redis, subscriber, quotasKey(prefix), quotasChangedChannel(prefix), refreshMs);
    this.effective = env;
  }

  /** The effective quotas now; a plain read, for the per-request path. */
  readonly current = (): QuotaConfig => this.effective;

  protected apply(fields: Record<string, string>): void {
    const { records, malformed } = parseQuotaRecords(fields);
    // Said once per change, not at every refresh.
    const said = malformed.join();
    if (said && said !== this.malformed) this.logger.warn({ fields: malformed }, 'ignoring malformed quota records');
    this.malformed = said;
    this.effective = withQuotaRecords(this.env, records);
  }

  protected reloadFailed(error: Error): void {
    // Keep the last good quotas: Redis being away must neither lift nor reset them.
    this.logger.warn(`quota records reload failed: ${error.message}`);
  }
}
