import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { quotasChangedChannel, quotasKey } from '@falaj/contracts';
import { subscribeWhenReady } from '@falaj/messaging';
import type { QuotaConfig } from './quota.config';
import { parseQuotaRecords, withQuotaRecords } from './quota-records';

/**
 * The quotas in force on this instance: the env's (`FALAJ_QUOTAS`) with the registry's records
 * laid over them. Loaded at start, reloaded when the registry announces a change and every few
 * seconds in case an announcement was missed, so admission reads memory, never Redis, for them.
 */
export class QuotaReader {
  private readonly logger = new Logger(QuotaReader.name);
  private effective: QuotaConfig;
  private malformed = '';
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly redis: Redis,
    private readonly subscriber: Redis,
    private readonly prefix: string,
    private readonly env: QuotaConfig,
    private readonly refreshMs = 5000,
  ) {
    this.effective = env;
  }

  /** The effective quotas now; a plain read, for the per-request path. */
  readonly current = (): QuotaConfig => this.effective;

  async start(): Promise<void> {
    await this.reload();
    await subscribeWhenReady(this.subscriber, quotasChangedChannel(this.prefix));
    this.subscriber.on('message', () => void this.reload());
    this.timer = setInterval(() => void this.reload(), this.refreshMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.subscriber.quit().catch(() => undefined);
  }

  async reload(): Promise<void> {
    try {
      const { records, malformed } = parseQuotaRecords(await this.redis.hgetall(quotasKey(this.prefix)));
      // Said once per change, not at every refresh.
      const said = malformed.join();
      if (said && said !== this.malformed) this.logger.warn({ fields: malformed }, 'ignoring malformed quota records');
      this.malformed = said;
      this.effective = withQuotaRecords(this.env, records);
    } catch (error) {
      // Keep the last good quotas: Redis being away must neither lift nor reset them.
      this.logger.warn(`quota records reload failed: ${(error as Error).message}`);
    }
  }
}
