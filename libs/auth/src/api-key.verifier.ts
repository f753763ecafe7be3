import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import type Redis from 'ioredis';
import { ApiKeyRecordSchema, BackboneUnavailableError, MIRRORED_HASH_PRESENT_FIELD, apiKeysKey, type ApiKeyRecord } from '@falaj/contracts';
import { parseApiKey, secretMatches } from './api-key';
import type { Principal } from './principal';
import { PLATFORM_TENANT, TENANT_SCOPES } from './scopes';
import { InvalidTokenError } from './invalid-token.error';

/** Turns an API key into a principal, or throws InvalidTokenError. */
export abstract class ApiKeyVerifier {
  abstract verify(key: string): Promise<Principal>;
}

/** How long a looked-up key (or its absence) is trusted: a revocation is seen within this. */
export const API_KEY_CACHE_MS = 5_000;

/**
 * Verifies API keys against the registry's mirror in Redis (`<prefix>:apikeys:v1`), never by
 * calling the registry. Lookups are cached per key id for API_KEY_CACHE_MS, so the hot path
 * costs a Redis read only every few seconds per key, and a revoked key stops working within
 * that time. Fail closed, but say why: Redis away, or the mirror gone with it (no
 * MIRRORED_HASH_PRESENT_FIELD: the registry rewrites it within seconds), is a retryable 503
 * (BackboneUnavailableError), never a 401 that tells the caller its key is bad.
 */
export class RedisApiKeyVerifier extends ApiKeyVerifier implements OnApplicationShutdown {
  private readonly logger = new Logger(RedisApiKeyVerifier.name);
  private readonly cache = new Map<string, { record: ApiKeyRecord | null; until: number }>();

  constructor(
    private readonly redis: Pick<Redis, 'hmget' | 'quit'>,
    private readonly prefix: string,
    private readonly options: { cacheMs?: number; ownsConnection?: boolean } = {},
  ) {
    super();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.options.ownsConnection) await this.redis.quit().catch(() => undefined);
  }

  async verify(key: string): Promise<Principal> {
    const parsed = parseApiKey(key);
    if (!parsed) throw new InvalidTokenError('malformed API key');
    const record = await this.lookup(parsed.id);
    if (!record || !secretMatches(parsed.secret, record.secretSha256)) throw new InvalidTokenError('unknown or revoked API key');
    // The record comes from Redis, which the registry writes but others may reach: it can name a
    // tenant and that tenant's scopes, never the platform or a platform scope.
    if (record.tenantId === PLATFORM_TENANT) throw new InvalidTokenError('API keys belong to tenants, not to the platform');
    const scopes = record.scopes.filter((s) => (TENANT_SCOPES as readonly string[]).includes(s));
    return { subject: record.subject, tenantId: record.tenantId, scopes, ...(record.residency ? { residency: record.residency } : {}) };
  }

  private async lookup(id: string): Promise<ApiKeyRecord | null> {
    const cached = this.cache.get(id);
    if (cached && cached.until > Date.now()) return cached.record;
    let raw: string | null;
    let present: string | null;
    try {
      [raw, present] = await this.redis.hmget(apiKeysKey(this.prefix), id, MIRRORED_HASH_PRESENT_FIELD);
    } catch (error) {
      // Redis away: fail closed, never open; retryable, since the key may well be good.
      this.logger.warn(`API key lookup failed: ${(error as Error).message}`);
      throw new BackboneUnavailableError('API keys cannot be verified right now (Redis is unavailable); retry shortly');
    }
    // The mirror is gone (Redis lost it) and not yet rewritten: no answer about this key, and nothing cached.
    if (raw === null && present === null) throw new BackboneUnavailableError('API keys cannot be verified right now (their mirror is being rebuilt); retry shortly');
    const parsed = raw ? ApiKeyRecordSchema.safeParse(JSON.parse(raw)) : null;
    const record = parsed?.success ? parsed.data : null;
    if (this.cache.size > 10_000) this.cache.clear(); // bound memory against key-id spraying
    this.cache.set(id, { record, until: Date.now() + (this.options.cacheMs ?? API_KEY_CACHE_MS) });
    return record;
  }
}
