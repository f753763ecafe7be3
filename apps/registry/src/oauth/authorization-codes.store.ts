import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { authorizationCodeKey } from '@falaj/contracts';
import { REGISTRY_CONFIG, REGISTRY_REDIS, type RegistryConfig } from '../registry.config';
import type { AuthorizationGrant } from './authorization-code.policy';

const codeSha256 = (code: string): string => createHash('sha256').update(code).digest('hex');

/**
 * One-time authorization codes in Redis (shared by every registry): a code of 256 random bits,
 * kept under its hash with the code's expiry as TTL, and taken with GETDEL, so a code redeems at
 * most once even when two redemptions race on two registries.
 */
@Injectable()
export class AuthorizationCodesStore {
  constructor(
    @Inject(REGISTRY_REDIS) private readonly redis: Redis,
    @Inject(REGISTRY_CONFIG) private readonly config: RegistryConfig,
  ) {}

  async issue(grant: AuthorizationGrant): Promise<string> {
    const code = randomBytes(32).toString('base64url');
    const ttl = Math.max(1, grant.expiresAt - Date.now());
    await this.redis.set(authorizationCodeKey(this.config.prefix, codeSha256(code)), JSON.stringify(grant), 'PX', ttl, 'NX');
    return code;
  }

  /** The grant of a code, once: the second call for the same code gets null. */
  async take(code: string): Promise<AuthorizationGrant | null> {
    if (code.length === 0 || code.length > 200) return null;
    const raw = await this.redis.getdel(authorizationCodeKey(this.config.prefix, codeSha256(code)));
    return raw === null ? null : (JSON.parse(raw) as AuthorizationGrant);
  }
}
