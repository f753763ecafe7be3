import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type Redis from 'ioredis';
import { IsNull, type Repository } from 'typeorm';
import { generateApiKey } from '@falaj/auth';
import { ApiKeyRecordSchema, MIRRORED_HASH_PRESENT_FIELD, apiKeysKey, type ApiKeyRecord, DomainError } from '@falaj/contracts';
import { REGISTRY_CONFIG, REGISTRY_REDIS, type RegistryConfig } from '../registry.config';
import type { CreateApiKeyDto } from '../tenants/tenants.dto';
import { TenantRecords } from '../tenants/tenant-records';
import { ApiKeyEntity } from './api-key.entity';

export const toApiKeyView = (k: ApiKeyEntity) => ({
  id: k.id,
  tenantId: k.tenantId,
  name: k.name,
  scopes: k.scopes,
  createdBy: k.createdBy,
  createdAt: k.createdAt,
  revokedAt: k.revokedAt,
});

/** How often the mirror is rebuilt from Postgres, so a write lost to a Redis outage heals without a restart. */
const MIRROR_CHECK_MS = 30_000;
/** How often the mirror is checked for being there at all (one HEXISTS): a Redis that lost it has it back within this. */
const MIRROR_PRESENT_CHECK_MS = 2000;

/**
 * API keys: Postgres holds them (hashed); Redis holds a mirror of the active ones, which every
 * app's Authenticator reads. Creation and revocation write both; the mirror is rebuilt from
 * Postgres at boot and every MIRROR_CHECK_MS, so a write lost to a Redis outage heals.
 */
@Injectable()
export class ApiKeysService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ApiKeysService.name);
  private readonly hash: string;
  private timer?: NodeJS.Timeout;
  private presentTimer?: NodeJS.Timeout;

  constructor(
    @InjectRepository(ApiKeyEntity) private readonly keys: Repository<ApiKeyEntity>,
    @Inject(REGISTRY_REDIS) private readonly redis: Redis,
    @Inject(REGISTRY_CONFIG) config: RegistryConfig,
    private readonly tenants: TenantRecords,
  ) {
    this.hash = apiKeysKey(config.prefix);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.rebuildMirror();
    this.timer = setInterval(() => void this.rebuildMirror().catch((e: Error) => this.logger.warn(`API key mirror check failed: ${e.message}`)), MIRROR_CHECK_MS);
    this.timer.unref();
    this.presentTimer = setInterval(() => void this.rebuildIfLost(), MIRROR_PRESENT_CHECK_MS);
    this.presentTimer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
    clearInterval(this.presentTimer);
  }

  /** Gateways answer 503 (not 401) while the mirror is gone; this makes that a moment. */
  private async rebuildIfLost(): Promise<void> {
    try {
      if (await this.redis.hexists(this.hash, MIRRORED_HASH_PRESENT_FIELD)) return;
      this.logger.warn('the API-key mirror is gone from Redis; rebuilding it');
      await this.rebuildMirror();
    } catch (error) {
      this.logger.warn(`API key mirror check failed: ${(error as Error).message}`);
    }
  }

  private async rebuildMirror(): Promise<void> {
    const active = await this.keys.find({ where: { revokedAt: IsNull() } });
    const residency = new Map<string, string>();
    for (const key of active) if (!residency.has(key.tenantId)) residency.set(key.tenantId, (await this.tenants.get(key.tenantId).catch(() => null))?.residency ?? '');
    const mirrored = await this.redis.hkeys(this.hash);
    const keep = new Set(active.map((k) => k.id));
    // With the field that tells verifiers the hash is the registry's whole mirror (an unknown key is then a 401, not a 503).
    const multi = this.redis.multi().hset(this.hash, MIRRORED_HASH_PRESENT_FIELD, '1');
    for (const key of active) multi.hset(this.hash, key.id, JSON.stringify(recordOf(key, residency.get(key.tenantId))));
    for (const id of mirrored) if (!keep.has(id) && id !== MIRRORED_HASH_PRESENT_FIELD) multi.hdel(this.hash, id);
    await multi.exec();
    this.logger.debug({ active: active.length }, 'API key mirror rebuilt');
  }

  /** Creates a key; the returned `key` is the only time it is ever shown. */
  async create(tenantId: string, dto: CreateApiKeyDto, actor: string) {
    const tenant = await this.tenants.get(tenantId);
    const generated = generateApiKey();
    const entity = await this.keys.save(this.keys.create({ id: generated.id, tenantId, name: dto.name, scopes: dto.scopes, secretSha256: generated.secretSha256, createdBy: actor, revokedAt: null }));
    await this.redis.hset(this.hash, entity.id, JSON.stringify(recordOf(entity, tenant.residency)));
    this.logger.log({ tenant: tenantId, keyId: entity.id, scopes: dto.scopes }, 'API key issued');
    return { ...toApiKeyView(entity), key: generated.key };
  }

  async list(tenantId: string): Promise<ApiKeyEntity[]> {
    await this.tenants.get(tenantId);
    return this.keys.find({ where: { tenantId }, order: { createdAt: 'ASC' } });
  }

  /** The tenant's keys not revoked (a tenant is deleted only with none). */
  countLive(tenantId: string): Promise<number> {
    return this.keys.countBy({ tenantId, revokedAt: IsNull() });
  }

  async revoke(tenantId: string, id: string): Promise<ApiKeyEntity> {
    const key = await this.keys.findOneBy({ tenantId, id });
    if (!key) throw new DomainError(404, `API key '${id}' of tenant '${tenantId}' not found`, 'api_key_not_found');
    if (!key.revokedAt) {
      key.revokedAt = new Date();
      await this.keys.save(key);
    }
    await this.redis.hdel(this.hash, id);
    this.logger.log({ tenant: tenantId, keyId: id }, 'API key revoked');
    return key;
  }
}

function recordOf(key: ApiKeyEntity, residency: string | undefined): ApiKeyRecord {
  return ApiKeyRecordSchema.parse({
    secretSha256: key.secretSha256,
    tenantId: key.tenantId,
    subject: `apikey:${key.id}`,
    scopes: key.scopes,
    ...(residency ? { residency } : {}),
  });
}
