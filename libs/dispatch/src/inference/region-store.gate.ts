import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { REGION_STORES_ALL_FIELD, auditTopic, regionAuditTopic, regionStoreField, regionStoresChangedChannel, regionStoresKey } from '@falaj/contracts';
import { RedisHashMirror } from '@falaj/messaging';

/** The registry's map changes only with its restart: a read every few seconds follows it, no subscription. */
const REFRESH_MS = 5000;

/**
 * Which regions' calls may be served: those whose audit rows have a store (regionStoresKey),
 * followed in memory, so the request path reads a Set. Before the registry has written the hash
 * (or with no map) every region is accepted: the registry, which writes the rows, refuses a
 * region without a store in any case, so a missing hash can never send rows to another region.
 * A Redis that is away keeps the last view.
 */
export class RegionStoreGate extends RedisHashMirror {
  private readonly logger = new Logger(RegionStoreGate.name);
  private accepted: ReadonlySet<string> | null = null;

  constructor(
    redis: Redis,
    private readonly prefix: string,
  ) {
    super(redis, null, regionStoresKey(prefix), regionStoresChangedChannel(prefix), REFRESH_MS);
  }

  /** `unknown` stands for a call with no residency, as its audit event records it. */
  accepts(region: string | undefined): boolean {
    return this.accepted === null || this.accepted.has(regionStoreField(region ?? 'unknown'));
  }

  /**
   * Where an event of the region is published: the region's own audit topic once the registry
   * keeps regions apart, else the shared one. Either way its row lands in the region's store (the
   * registry drains both); the region's topic keeps it off the others' while it travels. A region
   * without a store has no topic: its (refusal's) event takes the shared one, where the registry
   * sets it aside.
   */
  auditTopicOf(region: string): string {
    return this.accepted?.has(regionStoreField(region)) ? regionAuditTopic(this.prefix, region) : auditTopic(this.prefix);
  }

  protected apply(fields: Record<string, string>): void {
    const names = Object.keys(fields);
    // An empty hash is one lost with Redis (the registry rewrites it): the last view holds until then.
    if (names.length === 0) return;
    this.accepted = names.includes(REGION_STORES_ALL_FIELD) ? null : new Set(names);
  }

  protected reloadFailed(error: Error): void {
    this.logger.warn(`region stores reload failed: ${error.message}`);
  }
}
