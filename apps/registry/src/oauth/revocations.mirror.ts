import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type Redis from 'ioredis';
import { LessThan, MoreThan, Not, IsNull, type Repository } from 'typeorm';
import { MIRRORED_HASH_PRESENT_FIELD, revocationsChangedChannel, revocationsKey, revokedClientField, revokedTokenField } from '@falaj/contracts';
import { REGISTRY_CONFIG, REGISTRY_REDIS, type RegistryConfig } from '../registry.config';
import { OAuthClientEntity } from './oauth-client.entity';
import { RevokedTokenEntity } from './revoked-token.entity';

/** How often the mirror is rewritten from Postgres, so a Redis that lost it heals within this. */
const MIRROR_CHECK_MS = 10_000;

/**
 * Mirrors the issuer's revocations into the Redis hash every verifier follows, and announces each
 * change. Postgres is the truth: the hash is rewritten whole at boot and every MIRROR_CHECK_MS.
 * A client revoked longer ago than a token can live needs no entry (its tokens have all expired,
 * and the token endpoint refuses it from Postgres).
 */
@Injectable()
export class RevocationsMirror implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RevocationsMirror.name);
  private readonly key: string;
  private readonly channel: string;
  private timer?: NodeJS.Timeout;

  constructor(
    @InjectRepository(OAuthClientEntity) private readonly clients: Repository<OAuthClientEntity>,
    @InjectRepository(RevokedTokenEntity) private readonly tokens: Repository<RevokedTokenEntity>,
    @Inject(REGISTRY_REDIS) private readonly redis: Redis,
    @Inject(REGISTRY_CONFIG) private readonly config: RegistryConfig,
  ) {
    this.key = revocationsKey(config.prefix);
    this.channel = revocationsChangedChannel(config.prefix);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.rebuild().catch((e: Error) => this.logger.warn(`revocation mirror not written at boot: ${e.message}`));
    this.timer = setInterval(() => void this.rebuild().catch((e: Error) => this.logger.warn(`revocation mirror check failed: ${e.message}`)), MIRROR_CHECK_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  async clientRevoked(client: OAuthClientEntity): Promise<void> {
    await this.redis.hset(this.key, revokedClientField(client.clientId), String(Math.floor(client.revokedAt!.getTime() / 1000)));
    await this.redis.publish(this.channel, revokedClientField(client.clientId));
  }

  async tokenRevoked(token: RevokedTokenEntity): Promise<void> {
    await this.redis.hset(this.key, revokedTokenField(token.jti), String(Math.floor(token.expiresAt.getTime() / 1000)));
    await this.redis.publish(this.channel, revokedTokenField(token.jti));
  }

  private async rebuild(): Promise<void> {
    const horizon = new Date(Date.now() - (this.config.auth.maxLifetimeSeconds + this.config.auth.clockToleranceSeconds) * 1000);
    const clients = await this.clients.find({ where: { revokedAt: Not(IsNull()) } });
    const fields: Record<string, string> = {};
    for (const c of clients) if (c.revokedAt! > horizon) fields[revokedClientField(c.clientId)] = String(Math.floor(c.revokedAt!.getTime() / 1000));
    await this.tokens.delete({ expiresAt: LessThan(new Date()) });
    for (const t of await this.tokens.find({ where: { expiresAt: MoreThan(new Date()) } })) fields[revokedTokenField(t.jti)] = String(Math.floor(t.expiresAt.getTime() / 1000));
    // The present field too: a verifier that finds the hash without it (Redis lost it) keeps the
    // revocations it knew instead of forgetting them until this rebuild.
    fields[MIRRORED_HASH_PRESENT_FIELD] = '1';
    const mirrored = await this.redis.hkeys(this.key);
    const multi = this.redis.multi();
    multi.hset(this.key, fields);
    for (const field of mirrored) if (!(field in fields)) multi.hdel(this.key, field);
    const changed = mirrored.length !== Object.keys(fields).length || Object.keys(fields).some((f) => !mirrored.includes(f));
    if (changed) multi.publish(this.channel, '*');
    await multi.exec();
  }
}
